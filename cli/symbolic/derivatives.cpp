#include "symbolic/derivatives.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <xigrad/autodiff/error.hpp>

#include "expr/expr_error.hpp"
#include "expr/parser.hpp"
#include "expr/shapes.hpp"
#include "expression_input.hpp"
#include "symbolic/derive.hpp"

namespace xi::cli::sym {
namespace {

std::string variable_list(const Program& p, const BoundData* data) {
  std::string s;
  for (const VariableRef& v : p.variables) {
    if (data && data->find(v.name)) continue;
    s += (s.empty() ? "" : ", ") + v.name;
  }
  return s.empty() ? "none" : s;
}

}  // namespace

Symbolic symbolic(const std::string& expression, std::span<const std::string> names,
                  std::span<const Shape> shapes, const BoundData* data) {
  Symbolic s;
  s.program = parse(expression);
  std::vector<std::string> vars;
  std::vector<Shape> var_shapes;
  for (const VariableRef& v : s.program.variables) {
    Shape shape = Shape::scalar();
    const auto it = std::find(names.begin(), names.end(), v.name);
    if (it != names.end()) {
      shape = shapes[static_cast<std::size_t>(it - names.begin())];
    } else if (const DataBinding* d = data ? data->find(v.name) : nullptr) {
      shape = d->shape;
    }
    vars.push_back(v.name);
    var_shapes.push_back(shape);
  }
  const Shape result = infer_shapes(s.program, var_shapes).back();
  if (!result.is_scalar()) {
    const Instr& last = s.program.code.back();
    throw ExprError(fmt::format("the expression is {}, but it must be a scalar: sum it with "
                                "sum(...), or pick an element with [i]",
                                describe(result)),
                    s.program.source, last.offset, last.length);
  }
  s.pool = std::make_unique<Pool>(std::move(vars), std::move(var_shapes));
  s.nodes = from_program(*s.pool, s.program);
  return s;
}

std::vector<Derivative> derivatives(Symbolic& s, std::span<const std::string> wrt,
                                    const BoundData* data) {
  std::vector<std::string> names(wrt.begin(), wrt.end());
  if (names.empty()) {
    for (const VariableRef& v : s.program.variables) {
      if (!(data && data->find(v.name))) names.push_back(v.name);
    }
  }
  std::vector<Derivative> out;
  for (const std::string& name : names) {
    check_variable_name(name, fmt::format("--wrt {}", name));
    if (data && data->find(name)) {
      throw InputError(fmt::format("--wrt {}: '{}' is data from {} (a constant), not a variable",
                                   name, name, data->source));
    }
    const auto it = std::find_if(s.program.variables.begin(), s.program.variables.end(),
                                 [&](const VariableRef& v) { return v.name == name; });
    if (it == s.program.variables.end()) {
      throw InputError(
          fmt::format("--wrt {}: '{}' is not a variable of the expression (its "
                      "variables are: {})",
                      name, name, variable_list(s.program, data)));
    }
    const auto index = static_cast<std::uint32_t>(it - s.program.variables.begin());
    try {
      out.push_back({name, derivative(*s.pool, s.root(), index)});
    } catch (const InputError& e) {
      throw InputError(fmt::format("--wrt {}: {}", name, e.what()));
    }
  }
  return out;
}

}  // namespace xi::cli::sym
