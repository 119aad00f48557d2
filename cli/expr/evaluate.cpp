#include "expr/evaluate.hpp"

#include <cmath>

#include <fmt/format.h>

#include "expr/expr_error.hpp"

namespace xi::cli {

std::vector<Var> evaluate_all(const Program& program, std::span<const Var> variables) {
  std::vector<Var> v;
  v.reserve(program.code.size());
  for (const Instr& in : program.code) {
    switch (in.code) {
      case Code::number:
        v.emplace_back(in.number);
        break;
      case Code::variable:
        v.push_back(variables[in.variable]);
        break;
      case Code::neg:
        v.push_back(-v[in.a]);
        break;
      case Code::add:
        v.push_back(v[in.a] + v[in.b]);
        break;
      case Code::sub:
        v.push_back(v[in.a] - v[in.b]);
        break;
      case Code::mul:
        v.push_back(v[in.a] * v[in.b]);
        break;
      case Code::div:
        v.push_back(v[in.a] / v[in.b]);
        break;
      case Code::pow:
        v.push_back(xi::pow(v[in.a], v[in.b]));
        break;
      case Code::call:
        v.push_back(in.function->arity == 1 ? in.function->unary(v[in.a])
                                            : in.function->binary(v[in.a], v[in.b]));
        break;
    }
  }
  return v;
}

Var evaluate(const Program& program, std::span<const Var> variables) {
  return evaluate_all(program, variables).back();
}

std::vector<std::size_t> resolve(const Program& program, std::span<const std::string> names) {
  std::vector<std::size_t> index;
  index.reserve(program.variables.size());
  for (const VariableRef& ref : program.variables) {
    std::size_t i = 0;
    while (i < names.size() && names[i] != ref.name) ++i;
    if (i == names.size()) {
      throw ExprError(fmt::format("unknown variable '{}' (give its value with --at {}=VALUE)",
                                  ref.name, ref.name),
                      program.source, ref.offset, ref.name.size());
    }
    index.push_back(i);
  }
  return index;
}

std::optional<std::uint32_t> first_non_finite(const std::vector<Var>& values) {
  for (std::uint32_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i].value())) return i;
  }
  return std::nullopt;
}

}  // namespace xi::cli
