#pragma once
// `explain --lecture NAME`: the ξ table laid out as the lecture writes it on the board (seed
// 001, the L^A and L^B tables): each node's definition, also written out in the leaves
// (ξ5 = 1/ξ4 = 1/(1 + exp(-w*x))), its local partial along the chain to NAME as a formula in
// the ξ (∂ξ5/∂ξ4 = -1/ξ4^2) and the same partial written out in the leaves
// (-1/(1 + exp(-w*x))^2), and a last row with the chain of partials for ∂L/∂NAME and the whole
// derivative as one formula (what `derive` prints). `--latex` prints it as a LaTeX tabular.
//
// The ξ numbering is the one `explain` prints: the CLI records the program's instructions in
// post-order, one node for each that depends on a variable, none for a number, a variable, an
// element of a vector (its slot) or the sum or mean of a scalar (itself), two for a row of a
// matrix or a matrix literal (a slice or stack, then a reshape).

#include <string>
#include <vector>

#include "expression_input.hpp"

namespace CLI {
class App;
}

namespace xi::cli {

struct LectureArgs {
  std::string wrt;  // --lecture NAME
  bool latex = false;
  void add_to(CLI::App& cmd);
  bool requested() const { return !wrt.empty(); }
};

/// The lecture's table of `problem`'s expression, by the variable `wrt`. Throws InputError when
/// `wrt` is not one of its variables.
std::string lecture_table(const Problem& problem, const std::string& wrt, bool latex);

/// The ξ number of each instruction of `problem`'s program (0: none), as explain numbers them.
std::vector<int> xi_numbers(const Problem& problem);

}  // namespace xi::cli
