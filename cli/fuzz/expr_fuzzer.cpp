// libFuzzer target: any byte string either parses (and then evaluates and differentiates on the
// tape without crashing) or is rejected with an ExprError whose column lies inside the input.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/var.hpp>

#include "expr/evaluate.hpp"
#include "expr/expr_error.hpp"
#include "expr/parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string source(reinterpret_cast<const char*>(data), size);
  xi::cli::Program program;
  try {
    program = xi::cli::parse(source);
  } catch (const xi::cli::ExprError& e) {
    if (e.offset() > source.size() || e.column() < 1 || e.column() > source.size() + 1)
      std::abort();
    return 0;
  }
  xi::Tape tape;
  xi::Tape::Scope scope(tape);
  std::vector<xi::Var> vars;
  for (std::size_t i = 0; i < program.variables.size(); ++i) {
    vars.push_back(xi::variable(0.25 + 0.5 * static_cast<double>(i)));
  }
  const xi::Var L = xi::cli::evaluate(program, vars);
  if (!L.is_constant()) xi::backward(L);
  return 0;
}
