#pragma once
// The expression parser. Grammar, loosest binding first:
//
//   expression := term (('+' | '-') term)*
//   term       := ('-' | '+') term | product       unary minus binds looser than * and / (so
//   product    := power (('*' | '/') signed)*       -w*x is -(w*x), as in the lecture's ξ table)
//   signed     := ('-' | '+') signed | power        a/-b*c is (a/(-b))*c
//   power      := primary ('^' signed)?            right-associative: a^b^c = a^(b^c); -x^2 =
//   -(x^2) primary    := number | constant | variable | function '(' args ')' | '(' expression ')'
//
// Errors are ExprError with the column and what was expected.

#include <string>

#include "expr/program.hpp"

namespace xi::cli {

/// Deepest nesting of parentheses, unary signs and powers accepted.
inline constexpr int kMaxDepth = 200;

Program parse(const std::string& source);

}  // namespace xi::cli
