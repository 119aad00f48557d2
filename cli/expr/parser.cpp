#include "expr/parser.hpp"

#include <bit>
#include <cmath>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "expr/expr_error.hpp"
#include "expr/lexer.hpp"

namespace xi::cli {
namespace {

class Parser {
 public:
  explicit Parser(const std::string& source) : tokens_(tokenize(source)) { prog_.source = source; }

  Program run() {
    if (peek().kind == TokenKind::end)
      fail(peek(), "empty expression: expected a number, a name, '(' or '['");
    expression();
    if (peek().kind != TokenKind::end) {
      const Token& t = peek();
      if (t.kind == TokenKind::rparen) fail(t, "unmatched ')'");
      if (t.kind == TokenKind::comma)
        fail(t, "',' outside the arguments of a function or the elements of a '[' literal");
      if (t.kind == TokenKind::rbracket) fail(t, "unmatched ']'");
      fail(t,
           fmt::format("expected an operator (+ - * / ^ @) or the end of the expression, found {}",
                       describe(t)));
    }
    return std::move(prog_);
  }

 private:
  using Key =
      std::tuple<Code, std::uint64_t, std::uint32_t, const Function*, std::uint32_t, std::uint32_t>;

  const Token& peek() const { return tokens_[pos_]; }
  const Token& take() { return tokens_[pos_++]; }
  bool at(TokenKind k) const { return peek().kind == k; }

  [[noreturn]] void fail(const Token& t, const std::string& what) const {
    throw ExprError(what, prog_.source, t.offset, t.length);
  }

  // Depth guard for the recursive rules.
  struct Nest {
    Parser& p;
    Nest(Parser& parser, const Token& t) : p(parser) {
      if (++p.depth_ > kMaxDepth) {
        p.fail(t, fmt::format("expression nested too deeply (more than {} levels)", kMaxDepth));
      }
    }
    ~Nest() { --p.depth_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;
  };

  // Appends an instruction, or finds the identical one already there.
  std::uint32_t emit(Instr in, std::size_t begin, std::size_t end) {
    in.offset = begin;
    in.length = end - begin;
    const Key key{in.code, std::bit_cast<std::uint64_t>(in.number), in.variable, in.function, in.a,
                  in.b};
    if (auto it = seen_.find(key); it != seen_.end()) return it->second;
    const auto id = static_cast<std::uint32_t>(prog_.code.size());
    prog_.code.push_back(in);
    seen_.emplace(key, id);
    return id;
  }
  std::size_t begin_of(std::uint32_t i) const { return prog_.code[i].offset; }
  std::size_t end_of_prev() const {
    return pos_ == 0 ? 0 : tokens_[pos_ - 1].offset + tokens_[pos_ - 1].length;
  }

  std::uint32_t binary(Code code, std::uint32_t a, std::uint32_t b, std::size_t begin) {
    Instr in;
    in.code = code;
    in.a = a;
    in.b = b;
    return emit(in, begin, end_of_prev());
  }

  std::uint32_t expression() {
    const std::size_t begin = peek().offset;
    std::uint32_t lhs = term();
    while (at(TokenKind::plus) || at(TokenKind::minus)) {
      const Code code = take().kind == TokenKind::plus ? Code::add : Code::sub;
      const std::uint32_t rhs = term();
      lhs = binary(code, lhs, rhs, begin);
    }
    return lhs;
  }

  std::uint32_t term() {
    if (at(TokenKind::minus) || at(TokenKind::plus)) return sign(&Parser::term);
    return product();
  }

  std::uint32_t product() {
    const std::size_t begin = peek().offset;
    std::uint32_t lhs = power();
    while (at(TokenKind::star) || at(TokenKind::slash) || at(TokenKind::at)) {
      const TokenKind op = take().kind;
      const Code code = op == TokenKind::star    ? Code::mul
                        : op == TokenKind::slash ? Code::div
                                                 : Code::matmul;
      const std::uint32_t rhs = signed_power();
      lhs = binary(code, lhs, rhs, begin);
    }
    return lhs;
  }

  std::uint32_t signed_power() {
    if (at(TokenKind::minus) || at(TokenKind::plus)) return sign(&Parser::signed_power);
    return power();
  }

  // A leading '-' or '+' applied to what `rule` parses.
  std::uint32_t sign(std::uint32_t (Parser::*rule)()) {
    const Token& op = take();
    Nest nest(*this, op);
    const std::uint32_t operand = (this->*rule)();
    if (op.kind == TokenKind::plus) return operand;
    Instr in;
    in.code = Code::neg;
    in.a = operand;
    return emit(in, op.offset, end_of_prev());
  }

  std::uint32_t power() {
    const std::size_t begin = peek().offset;
    const std::uint32_t base = postfix();
    if (!at(TokenKind::caret)) return base;
    Nest nest(*this, take());
    const std::uint32_t exponent = signed_power();
    return binary(Code::pow, base, exponent, begin);
  }

  // primary ('[' INDEX ']')*: 0-based indexing with a whole number.
  std::uint32_t postfix() {
    const std::size_t begin = peek().offset;
    std::uint32_t value = primary();
    while (at(TokenKind::lbracket)) {
      const Token& open = take();
      const Token& t = peek();
      // A whole number below 2^32 (checked before any cast: a cast out of range is undefined).
      if (t.kind != TokenKind::number || !(t.number < 4294967296.0) ||
          t.number != std::floor(t.number)) {
        fail(t, fmt::format("expected an index (a whole number: 0 for the first element) after "
                            "the '[' at column {}, found {}",
                            column_of(prog_.source, open.offset), describe(t)));
      }
      take();
      if (!at(TokenKind::rbracket)) {
        fail(peek(), fmt::format("expected ']' to close the '[' at column {}, found {}",
                                 column_of(prog_.source, open.offset), describe(peek())));
      }
      take();
      Instr in;
      in.code = Code::index;
      in.a = value;
      in.number = t.number;
      value = emit(in, begin, end_of_prev());
    }
    return value;
  }

  // '[' e, ... ']' (a vector) or '[' '[' e, ... ']', ... ']' (a matrix, row by row).
  std::uint32_t literal() {
    const Token& open = take();
    Nest nest(*this, open);
    std::vector<std::uint32_t> elements;
    std::uint32_t rows = 0;
    if (at(TokenKind::lbracket)) {
      std::size_t cols = 0;
      for (;;) {
        const Token& row_open = peek();
        if (row_open.kind != TokenKind::lbracket) {
          fail(row_open,
               fmt::format("expected '[' to start row {} of the matrix opened at column "
                           "{}, found {}",
                           rows + 1, column_of(prog_.source, open.offset), describe(row_open)));
        }
        take();
        if (at(TokenKind::lbracket)) {
          fail(peek(),
               "a literal nests at most two levels: [a, b] is a vector, [[a, b], [c, d]] "
               "a matrix (row by row)");
        }
        const std::size_t before = elements.size();
        list(row_open, elements);
        const std::size_t n = elements.size() - before;
        if (rows > 0 && n != cols) {
          throw ExprError(fmt::format("row {} of the matrix has {} element{}, row 1 has {}: every "
                                      "row needs the same number",
                                      rows + 1, n, n == 1 ? "" : "s", cols),
                          prog_.source, row_open.offset, end_of_prev() - row_open.offset);
        }
        cols = n;
        ++rows;
        if (at(TokenKind::comma)) {
          take();
          continue;
        }
        if (at(TokenKind::rbracket)) break;
        fail(peek(), fmt::format("expected ',' or ']' after row {} of the matrix opened at column "
                                 "{}, found {}",
                                 rows, column_of(prog_.source, open.offset), describe(peek())));
      }
      take();
    } else {
      list(open, elements);
    }
    Instr in;
    in.code = Code::literal;
    in.a = static_cast<std::uint32_t>(prog_.elements.size());
    in.b = static_cast<std::uint32_t>(elements.size());
    in.rows = rows;
    prog_.elements.insert(prog_.elements.end(), elements.begin(), elements.end());
    return emit(in, open.offset, end_of_prev());
  }

  // The elements after `open` up to and including its ']'.
  void list(const Token& open, std::vector<std::uint32_t>& out) {
    if (at(TokenKind::rbracket)) {
      fail(peek(), "empty '[]': a vector needs at least one element, as in [0, 0]");
    }
    for (;;) {
      out.push_back(expression());
      if (at(TokenKind::comma)) {
        take();
        continue;
      }
      if (at(TokenKind::rbracket)) break;
      fail(peek(), fmt::format("expected ',' or ']' in the '[' opened at column {}, found {}",
                               column_of(prog_.source, open.offset), describe(peek())));
    }
    take();
  }

  std::uint32_t primary() {
    const Token& t = peek();
    switch (t.kind) {
      case TokenKind::lbracket:
        return literal();
      case TokenKind::number: {
        take();
        Instr in;
        in.code = Code::number;
        in.number = t.number;
        return emit(in, t.offset, t.offset + t.length);
      }
      case TokenKind::identifier:
        return name();
      case TokenKind::lparen: {
        Nest nest(*this, t);
        take();
        const std::uint32_t inner = expression();
        if (!at(TokenKind::rparen)) {
          fail(peek(), fmt::format("expected ')' to close the '(' at column {}, found {}",
                                   column_of(prog_.source, t.offset), describe(peek())));
        }
        take();
        return inner;
      }
      default:
        fail(t, fmt::format("expected a number, a name, '(' or '[', found {}", describe(t)));
    }
  }

  std::uint32_t name() {
    const Token& t = take();
    const std::string name(t.text);
    const bool call = at(TokenKind::lparen);
    if (const Constant* c = find_constant(name)) {
      if (call) fail(t, fmt::format("'{}' is a constant, not a function", name));
      Instr in;
      in.code = Code::number;
      in.number = c->value;
      return emit(in, t.offset, t.offset + t.length);
    }
    const Function* f = find_function(name);
    if (call && f == nullptr) {
      fail(t, fmt::format("unknown function '{}' (the functions are: {})", name, function_names()));
    }
    if (f == nullptr) return variable(t);
    if (!call) {
      fail(t, fmt::format("'{}' is a function: expected '(' after it, as in {}({})", name, name,
                          f->arity == 2 ? "a, b" : "x"));
    }
    Nest nest(*this, t);
    const Token& open = take();
    std::uint32_t args[2] = {0, 0};
    int n = 0;
    if (!at(TokenKind::rparen)) {
      for (;;) {
        const std::uint32_t arg = expression();
        if (n < 2) args[n] = arg;
        ++n;
        if (at(TokenKind::comma)) {
          take();
          continue;
        }
        if (at(TokenKind::rparen)) break;
        fail(peek(), fmt::format("expected ',' or ')' in the arguments of '{}' (opened at column "
                                 "{}), found {}",
                                 name, column_of(prog_.source, open.offset), describe(peek())));
      }
    }
    const Token& close = take();
    if (n != f->arity) {
      throw ExprError(fmt::format("'{}' takes {} argument{}, got {}", name, f->arity,
                                  f->arity == 1 ? "" : "s", n),
                      prog_.source, t.offset, close.offset + close.length - t.offset);
    }
    Instr in;
    in.code = Code::call;
    in.function = f;
    in.a = args[0];
    in.b = f->arity == 2 ? args[1] : 0;
    return emit(in, t.offset, close.offset + close.length);
  }

  std::uint32_t variable(const Token& t) {
    std::uint32_t index = 0;
    while (index < prog_.variables.size() && prog_.variables[index].name != t.text) ++index;
    if (index == prog_.variables.size()) prog_.variables.push_back({std::string(t.text), t.offset});
    Instr in;
    in.code = Code::variable;
    in.variable = index;
    return emit(in, t.offset, t.offset + t.length);
  }

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  Program prog_;
  std::map<Key, std::uint32_t> seen_;
};

}  // namespace

Program parse(const std::string& source) {
  return Parser(source).run();
}

}  // namespace xi::cli
