#pragma once
// Shapes of an expression, inferred from the shapes of its variables before anything is recorded,
// so that a mismatch is an ExprError with a caret under the offending sub-expression (the engine
// would only say "shapes do not broadcast", without saying where).
//
// The rules (stricter than the engine's broadcasting, so that a column (n, 1) never silently meets
// a vector (n) and becomes an (n, n) matrix):
//   element-wise (+ - * / ^, exp, pow, min, ...): equal shapes, a scalar with any shape, or a
//     vector (n) with each row of a matrix (m, n);
//   a @ b: matrix (m, k) @ vector (k) → vector (m); vector (k) @ matrix (k, n) → vector (n);
//     matrix @ matrix → matrix; vector (k) @ vector (k) → scalar;
//   a[i]: element i of a vector, row i of a matrix (0-based);
//   sum, mean: any shape → scalar; dot(a, b): a and b of the same vector or matrix shape → scalar;
//   [e, ...]: scalar elements.

#include <cstddef>
#include <span>
#include <vector>

#include <xigrad/autodiff/shape.hpp>

#include "expr/program.hpp"

namespace xi::cli {

/// Largest number of elements of any value (100 million doubles, 800 MB).
inline constexpr std::size_t kMaxElements = 100'000'000;

/// The shape of every instruction, with program.variables[i] of shape `variables[i]`. Throws
/// ExprError naming the operation and both shapes, at the sub-expression where they meet.
std::vector<Shape> infer_shapes(const Program& program, std::span<const Shape> variables);

/// "a scalar", "a vector of shape (3)", "a matrix of shape (303, 3)".
std::string describe(const Shape& s);

}  // namespace xi::cli
