#pragma once
// Splits an expression into tokens. Numbers are decimal with an optional fraction and exponent
// (2, 0.5, .5, 1e-3, 2.5E+4); names are [A-Za-z_][A-Za-z0-9_]*. For text copied from a ξ table,
// '−' (U+2212) reads as '-' and '·', '×' as '*'. Anything else is an ExprError at its column.

#include <string>
#include <vector>

#include "expr/token.hpp"

namespace xi::cli {

/// The tokens of `source`, ending with one TokenKind::end token. Throws ExprError.
std::vector<Token> tokenize(const std::string& source);

}  // namespace xi::cli
