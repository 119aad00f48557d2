// libFuzzer target for the hand-written ξ tables of `check --nodes` (cli/node_table.hpp,
// cli/node_check.hpp): any byte string is either refused with an xi::Error (InputError with a
// line and a caret, NonFiniteError) or read and checked row by row against a fixed expression
// with vector and scalar variables and a constant, never a crash or another exception.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/tape.hpp>

#include "expression_input.hpp"
#include "node_check.hpp"
#include "node_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace xi::cli;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  xi::Tape tape;
  xi::Tape::Scope scope(tape);
  try {
    const HandTable table = parse_node_table(text, "fuzz.txt");
    Binding w;
    w.name = "W";
    w.shape = xi::Shape::vector(2);
    w.values = {0.5, -1.2};
    Binding x;
    x.name = "X";
    x.shape = xi::Shape::vector(2);
    x.values = {2, 1};
    const Problem problem("-y*log(1/(1+exp(-dot(W,X)))) + b*b", {w, Binding("b", 0.25)}, nullptr,
                          xi::Shape::scalar(), {x, Binding("y", 1)});
    (void)check_node_table(problem, table);
  } catch (const xi::Error&) {
  }
  return 0;
}
