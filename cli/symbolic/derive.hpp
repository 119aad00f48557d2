#pragma once
// Symbolic reverse mode: the adjoint of every node of an expression as a simplified formula,
// by the same chain rule the engine's reverse sweep runs (one rule per operation of the
// language, the engine's subgradient at a kink: abs' = sign(a), relu' = sign(relu(a)), min and
// max give 1/2 to each side at a tie, written (1 + sign(a - b))/2).

#include <string>

#include "symbolic/expr.hpp"

namespace xi::cli::sym {

/// ∂root/∂(variable `wrt`) as a node of `pool`, with the shape of the variable (a scalar
/// derivative of a vector variable is written c*W^0). The language has no transpose or outer
/// product, so the gradient of a matrix operand of @ (or of a row M[i]) is a literal written
/// element by element, and the column sums of a vector met by each row of a matrix are
/// ones@A with the ones written (…)^0.
Id derivative(Pool& pool, Id root, std::uint32_t wrt);

}  // namespace xi::cli::sym
