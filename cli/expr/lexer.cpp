#include "expr/lexer.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <xigrad/autodiff/printable.hpp>

#include "expr/expr_error.hpp"

namespace xi::cli {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Multi-byte spellings of operators that a ξ table prints.
struct Alias {
  std::string_view bytes;
  TokenKind kind;
};
constexpr Alias kAliases[] = {
    {"\xE2\x88\x92", TokenKind::minus},  // − U+2212 minus sign
    {"\xC2\xB7", TokenKind::star},       // · U+00B7 middle dot
    {"\xC3\x97", TokenKind::star},       // × U+00D7 multiplication sign
};

class Lexer {
 public:
  explicit Lexer(const std::string& s) : src_(s) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      while (pos_ < src_.size() && is_space(src_[pos_])) ++pos_;
      if (pos_ >= src_.size()) break;
      out.push_back(next());
    }
    Token end;
    end.kind = TokenKind::end;
    end.offset = src_.size();
    out.push_back(end);
    return out;
  }

 private:
  Token make(TokenKind kind, std::size_t begin, std::size_t end) const {
    Token t;
    t.kind = kind;
    t.offset = begin;
    t.length = end - begin;
    t.text = std::string_view(src_).substr(begin, end - begin);
    return t;
  }

  Token next() {
    const std::size_t begin = pos_;
    const char c = src_[pos_];
    if (is_digit(c) || (c == '.' && pos_ + 1 < src_.size() && is_digit(src_[pos_ + 1]))) {
      return number();
    }
    if (is_name_start(c)) {
      while (pos_ < src_.size() && is_name_char(src_[pos_])) ++pos_;
      return make(TokenKind::identifier, begin, pos_);
    }
    TokenKind kind = TokenKind::end;
    switch (c) {
      case '+':
        kind = TokenKind::plus;
        break;
      case '-':
        kind = TokenKind::minus;
        break;
      case '*':
        kind = TokenKind::star;
        break;
      case '/':
        kind = TokenKind::slash;
        break;
      case '^':
        kind = TokenKind::caret;
        break;
      case '(':
        kind = TokenKind::lparen;
        break;
      case ')':
        kind = TokenKind::rparen;
        break;
      case ',':
        kind = TokenKind::comma;
        break;
      case '@':
        kind = TokenKind::at;
        break;
      case '[':
        kind = TokenKind::lbracket;
        break;
      case ']':
        kind = TokenKind::rbracket;
        break;
      default:
        break;
    }
    if (kind != TokenKind::end) {
      ++pos_;
      return make(kind, begin, pos_);
    }
    for (const Alias& a : kAliases) {
      if (std::string_view(src_).substr(pos_, a.bytes.size()) == a.bytes) {
        pos_ += a.bytes.size();
        return make(a.kind, begin, pos_);
      }
    }
    const auto b = static_cast<unsigned char>(c);
    if (c == '.') throw ExprError("expected a digit after '.'", src_, begin);
    if (b >= 0x21 && b < 0x7F) {
      throw ExprError(fmt::format("unexpected character '{}': expected a number, a name, an "
                                  "operator (+ - * / ^ @), '(', ')', '[', ']' or ','",
                                  c),
                      src_, begin);
    }
    // A valid UTF-8 character is named (escaped if unsafe to print); a stray byte is shown in hex.
    const Glyph g = xi::glyph_at(src_, pos_);
    if (g.bytes > 1) {
      throw ExprError(fmt::format("unexpected character '{}': expressions are written in ASCII",
                                  printable(std::string_view(src_).substr(pos_, g.bytes))),
                      src_, begin, g.bytes);
    }
    throw ExprError(fmt::format("unexpected byte 0x{:02X}", b), src_, begin);
  }

  Token number() {
    const std::size_t begin = pos_;
    while (pos_ < src_.size() && is_digit(src_[pos_])) ++pos_;
    if (pos_ < src_.size() && src_[pos_] == '.') {
      ++pos_;
      while (pos_ < src_.size() && is_digit(src_[pos_])) ++pos_;
    }
    // An exponent only when digits follow: `2e` is the number 2 followed by the name e.
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      std::size_t p = pos_ + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      if (p < src_.size() && is_digit(src_[p])) {
        pos_ = p;
        while (pos_ < src_.size() && is_digit(src_[pos_])) ++pos_;
      } else {
        throw ExprError("expected the digits of an exponent (as in 1e-3)", src_, p);
      }
    }
    if (pos_ < src_.size() && (is_name_start(src_[pos_]) || src_[pos_] == '.')) {
      throw ExprError(fmt::format("unexpected '{}' right after a number: write an operator "
                                  "between them (2*x, not 2x)",
                                  src_[pos_]),
                      src_, pos_);
    }
    Token t = make(TokenKind::number, begin, pos_);
    const char* first = src_.data() + begin;
    const char* last = src_.data() + pos_;
    const auto [ptr, ec] = std::from_chars(first, last, t.number);
    if (ec == std::errc::result_out_of_range) {
      // Overflow is an error; underflow just gives 0 or a subnormal (as strtod does).
      t.number = std::strtod(std::string(first, last).c_str(), nullptr);
      if (!std::isfinite(t.number)) {
        throw ExprError(fmt::format("number {} is too large for a double", t.text), src_, begin,
                        pos_ - begin);
      }
    } else if (ec != std::errc() || ptr != last) {
      throw ExprError("malformed number", src_, begin, pos_ - begin);
    }
    return t;
  }

  const std::string& src_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::end:
      return "the end of the expression";
    case TokenKind::number:
      return fmt::format("number {}", t.text);
    case TokenKind::identifier:
      return fmt::format("name '{}'", t.text);
    default:
      return fmt::format("'{}'", t.text);
  }
}

std::vector<Token> tokenize(const std::string& source) {
  return Lexer(source).run();
}

}  // namespace xi::cli
