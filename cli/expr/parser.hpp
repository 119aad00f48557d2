#pragma once
// The expression parser. Grammar, loosest binding first:
//
//   expression := term (('+' | '-') term)*
//   term       := ('-' | '+') term | product       unary minus binds looser than * and / (so
//   product    := power (('*' | '/' | '@') signed)* -w*x is -(w*x), as in the lecture's ξ table;
//   signed     := ('-' | '+') signed | power        X@W is the matrix product)
//   power      := postfix ('^' signed)?            a/-b*c is (a/(-b))*c; right-associative:
//   postfix    := primary ('[' INDEX ']')*         a^b^c = a^(b^c); -x^2 = -(x^2); W[0] (0-based)
//   primary    := number | constant | variable | function '(' args ')' | '(' expression ')'
//               | '[' expression (',' expression)* ']'            a vector
//               | '[' '[' row ']' (',' '[' row ']')* ']'           a matrix, row by row
//
// Errors are ExprError with the column and what was expected.

#include <string>

#include "expr/program.hpp"

namespace xi::cli {

/// Deepest nesting of parentheses, unary signs and powers accepted.
inline constexpr int kMaxDepth = 200;

Program parse(const std::string& source);

}  // namespace xi::cli
