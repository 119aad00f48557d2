#pragma once
// Printing symbolic expressions: in the expression language itself (minimal parentheses; what
// it prints parses back to the same value), and as LaTeX for slides (\frac, e^{...}, \log,
// W^T X for dot(W, X)).

#include <string>

#include "symbolic/expr.hpp"

namespace xi::cli::sym {

/// Longest formula printed (in nodes of its tree); a longer one is an InputError.
inline constexpr std::size_t kMaxPrintedNodes = 200'000;

/// "-y*X*exp(-dot(W, X))/(1 + exp(-dot(W, X)))"
std::string to_text(const Pool& pool, Id id);
/// "-\frac{y X e^{-W^T X}}{1 + e^{-W^T X}}"
std::string to_latex(const Pool& pool, Id id);
/// A variable's name in LaTeX: "ξ5" → "\xi_{5}", "beta_0" → "\mathit{beta\_0}", "W" → "W".
std::string latex_name(const std::string& name);

}  // namespace xi::cli::sym
