#pragma once
// Tokens of the expression language.

#include <cstddef>
#include <string>
#include <string_view>

namespace xi::cli {

enum class TokenKind {
  number,
  identifier,
  plus,
  minus,
  star,
  slash,
  caret,
  at,  // '@', matrix product
  lparen,
  rparen,
  lbracket,
  rbracket,
  comma,
  end
};

struct Token {
  TokenKind kind = TokenKind::end;
  std::size_t offset = 0;  // byte offset in the source
  std::size_t length = 0;  // bytes
  std::string_view text;   // the token as written
  double number = 0;       // for numbers
};

/// How a token reads in a message: "number 3", "'x'", "')'", "the end of the expression".
std::string describe(const Token& t);

}  // namespace xi::cli
