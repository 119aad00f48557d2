// The parser under random input for a few seconds: random byte strings and random sequences of
// tokens. Nothing may crash or hang; every rejection is an ExprError whose column lies inside
// the input (plus one, for "at the end"); every accepted expression evaluates and
// differentiates on the tape.

#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/tape.hpp>
#include <xigrad/autodiff/var.hpp>

#include "expr/evaluate.hpp"
#include "expr/expr_error.hpp"
#include "expr/parser.hpp"
#include "expr/shapes.hpp"

namespace xi::cli {
namespace {

constexpr auto kBudget = std::chrono::milliseconds(1500);

struct Tally {
  long accepted = 0, rejected = 0;
};

// Parses `s`; on success evaluates it with every variable a leaf and runs backward.
void exercise(const std::string& s, Tally& tally) {
  Program p;
  try {
    p = parse(s);
  } catch (const ExprError& e) {
    ASSERT_GE(e.column(), 1u) << s;
    ASSERT_LE(e.offset(), s.size()) << s;
    ASSERT_FALSE(e.description().empty()) << s;
    ++tally.rejected;
    return;
  }
  // Names starting with an upper-case letter are vectors (3), M a matrix (3, 3): the shape check
  // either rejects the expression with a column inside it or the evaluation cannot fail.
  std::vector<Shape> shapes;
  for (const VariableRef& v : p.variables) {
    shapes.push_back(v.name == "M"                            ? Shape::matrix(3, 3)
                     : (v.name[0] >= 'A' && v.name[0] <= 'Z') ? Shape::vector(3)
                                                              : Shape::scalar());
  }
  try {
    infer_shapes(p, shapes);
  } catch (const ExprError& e) {
    ASSERT_GE(e.column(), 1u) << s;
    ASSERT_LE(e.offset(), s.size()) << s;
    ++tally.rejected;
    return;
  }
  Tape tape;
  Tape::Scope scope(tape);
  std::vector<Value> vars;
  for (std::size_t i = 0; i < p.variables.size(); ++i) {
    const double v = 0.3 + 0.7 * static_cast<double>(i);
    if (shapes[i].is_scalar()) {
      vars.emplace_back(variable(v));
    } else {
      const std::vector<double> values(shapes[i].size(), v);
      vars.emplace_back(variable(values.data(), shapes[i]));
    }
  }
  const Value result = evaluate(p, vars);
  const Var L = result.is_scalar() ? result.scalar() : sum(result.tensor());
  if (!L.is_constant()) backward(L);
  ++tally.accepted;
}

TEST(Fuzz, RandomBytes) {
  std::mt19937_64 rng(12345);
  std::uniform_int_distribution<int> len(0, 64), byte(0, 255);
  Tally tally;
  const auto end = std::chrono::steady_clock::now() + kBudget;
  while (std::chrono::steady_clock::now() < end) {
    std::string s(static_cast<std::size_t>(len(rng)), '\0');
    for (char& c : s) c = static_cast<char>(byte(rng));
    exercise(s, tally);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(tally.rejected, 100);
}

TEST(Fuzz, RandomTokenSequences) {
  const std::vector<std::string> tokens = {
      "x",           "y",        "w",   "1",    "0",    "2.5",  "1e-3",     "1e",
      ".",           "pi",       "e",   "+",    "-",    "*",    "/",        "^",
      "(",           ")",        ",",   " ",    "exp",  "log",  "log1p",    "expm1",
      "sqrt",        "abs",      "sin", "cos",  "tan",  "tanh", "sigmoid",  "softplus",
      "relu",        "pow",      "min", "max",  "foo",  "#",    "\xC2\xB7", "\xE2\x88\x92",
      "1e999",       "((",       "))",  "-x^2", "2^-1", "[",    "]",        "@",
      "W",           "X",        "M",   "sum",  "dot",  "mean", "[0]",      "[2]",
      "[[1, 2, 3]]", "[1, 2, 3]"};
  std::mt19937_64 rng(67890);
  std::uniform_int_distribution<std::size_t> len(0, 24), pick(0, tokens.size() - 1);
  Tally tally;
  const auto end = std::chrono::steady_clock::now() + kBudget;
  while (std::chrono::steady_clock::now() < end) {
    std::string s;
    for (std::size_t n = len(rng); n > 0; --n) s += tokens[pick(rng)];
    exercise(s, tally);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(tally.rejected, 100);
  EXPECT_GT(tally.accepted, 10);
}

TEST(Fuzz, GrammarShapedExpressionsAreAccepted) {
  // Random well-formed expressions: always accepted.
  std::mt19937_64 rng(424242);
  const std::vector<std::string> unary = {"exp",  "log1p",   "sqrt",     "abs",  "sin",  "cos",
                                          "tanh", "sigmoid", "softplus", "relu", "expm1"};
  const std::vector<std::string> binop = {"+", "-", "*", "/", "^"};
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    const int k = depth <= 0 ? static_cast<int>(rng() % 2) : static_cast<int>(rng() % 6);
    switch (k) {
      case 0:
        return std::string(1, "xyw"[rng() % 3]);
      case 1:
        return std::to_string(rng() % 5) + ".5";
      case 2:
        return "-" + gen(depth - 1);
      case 3:
        return unary[rng() % unary.size()] + "(" + gen(depth - 1) + ")";
      case 4:
        return "(" + gen(depth - 1) + binop[rng() % binop.size()] + gen(depth - 1) + ")";
      default:
        return std::string(rng() % 2 ? "max(" : "pow(") + gen(depth - 1) + ", " + gen(depth - 1) +
               ")";
    }
  };
  Tally tally;
  for (int i = 0; i < 2000; ++i) {
    const std::string s = gen(6);
    EXPECT_NO_THROW(parse(s)) << s;
    exercise(s, tally);
  }
  EXPECT_EQ(tally.rejected, 0);
}

}  // namespace
}  // namespace xi::cli
