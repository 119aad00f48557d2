// libFuzzer target: any byte string either parses (and then either fails the shape check with an
// ExprError whose column lies inside the input, or evaluates and differentiates on the tape
// without an exception) or is rejected with an ExprError whose column lies inside the input.
// Every accepted program is also derived by each variable (cli/symbolic): derivation and printing
// never crash, and the printed derivative parses back (derive → print → parse).
// Names starting with an upper-case letter are vectors of 3 elements and M is a (3, 3) matrix, so
// literals, broadcasting, @, indexing and the reductions are fuzzed too.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/tensor.hpp>
#include <xigrad/autodiff/var.hpp>

#include "expr/evaluate.hpp"
#include "expr/expr_error.hpp"
#include "expr/parser.hpp"
#include "expr/shapes.hpp"
#include "symbolic/derive.hpp"
#include "symbolic/print.hpp"

namespace {

bool column_inside(const xi::cli::ExprError& e, const std::string& source) {
  return e.offset() <= source.size() && e.column() >= 1 && e.column() <= source.size() + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string source(reinterpret_cast<const char*>(data), size);
  xi::cli::Program program;
  try {
    program = xi::cli::parse(source);
  } catch (const xi::cli::ExprError& e) {
    if (!column_inside(e, source)) std::abort();
    return 0;
  }
  std::vector<xi::Shape> shapes;
  for (const xi::cli::VariableRef& v : program.variables) {
    shapes.push_back(v.name == "M"                            ? xi::Shape::matrix(3, 3)
                     : (v.name[0] >= 'A' && v.name[0] <= 'Z') ? xi::Shape::vector(3)
                                                              : xi::Shape::scalar());
  }
  try {
    xi::cli::infer_shapes(program, shapes);
  } catch (const xi::cli::ExprError& e) {
    if (!column_inside(e, source)) std::abort();
    return 0;
  }
  xi::Tape tape;
  xi::Tape::Scope scope(tape);
  std::vector<xi::cli::Value> vars;
  for (std::size_t i = 0; i < program.variables.size(); ++i) {
    const double v = 0.25 + 0.5 * static_cast<double>(i);
    if (shapes[i].is_scalar()) {
      vars.emplace_back(xi::variable(v));
    } else {
      const std::vector<double> values(shapes[i].size(), v);
      vars.emplace_back(xi::variable(values.data(), shapes[i]));
    }
  }
  // The shapes were checked: the engine must not throw (an uncaught exception aborts).
  const xi::cli::Value result = xi::cli::evaluate(program, vars);
  const xi::Var L = result.is_scalar() ? result.scalar() : xi::sum(result.tensor());
  if (!L.is_constant()) xi::backward(L);

  std::vector<std::string> names;
  for (const xi::cli::VariableRef& v : program.variables) names.push_back(v.name);
  xi::cli::sym::Pool pool(names, shapes);
  const xi::cli::sym::Id root = xi::cli::sym::from_program(pool, program).back();
  for (std::uint32_t v = 0; v < names.size(); ++v) {
    const xi::cli::sym::Id d = xi::cli::sym::derivative(pool, root, v);
    std::string text;
    try {
      text = xi::cli::sym::to_text(pool, d);
      xi::cli::sym::to_latex(pool, d);
    } catch (const xi::InputError&) {
      continue;  // too long to print: a clean refusal
    }
    try {
      xi::cli::parse(text);
    } catch (const xi::cli::ExprError&) {
      std::abort();  // a printed derivative that does not parse back
    }
  }
  return 0;
}
