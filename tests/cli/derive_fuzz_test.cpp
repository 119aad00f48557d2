// derive under random programs: derivation and printing never crash, and every printed
// derivative parses back and has the shape of its variable (derive → print → parse).
// Grammar-shaped programs are also evaluated back against the engine.

#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <xigrad/autodiff/error.hpp>

#include "derive_support.hpp"
#include "expr/expr_error.hpp"
#include "expr/parser.hpp"
#include "expr/shapes.hpp"
#include "symbolic/derive.hpp"
#include "symbolic/print.hpp"

namespace xi::cli {
namespace {

struct Tally {
  long derived = 0, rejected = 0, too_long = 0;
};

Shape shape_for(const std::string& name) {
  if (name == "M") return Shape::matrix(3, 3);
  return name[0] >= 'A' && name[0] <= 'Z' ? Shape::vector(3) : Shape::scalar();
}

void exercise(const std::string& s, Tally& tally) {
  Program p;
  std::vector<Shape> shapes;
  std::vector<std::string> names;
  try {
    p = parse(s);
    for (const VariableRef& v : p.variables) {
      names.push_back(v.name);
      shapes.push_back(shape_for(v.name));
    }
    infer_shapes(p, shapes);
  } catch (const ExprError&) {
    ++tally.rejected;
    return;
  }
  sym::Pool pool(names, shapes);
  const std::vector<sym::Id> nodes = sym::from_program(pool, p);
  for (std::uint32_t v = 0; v < names.size(); ++v) {
    const sym::Id d = sym::derivative(pool, nodes.back(), v);
    std::string text;
    try {
      text = sym::to_text(pool, d);
      sym::to_latex(pool, d);
    } catch (const InputError&) {  // longer than kMaxPrintedNodes
      ++tally.too_long;
      continue;
    }
    SCOPED_TRACE(s + "  ∂/∂" + names[v] + " = " + text);
    Program back;
    ASSERT_NO_THROW(back = parse(text));
    std::vector<std::string> back_names;
    std::vector<Shape> back_shapes;
    for (const VariableRef& ref : back.variables) {
      back_names.push_back(ref.name);
      back_shapes.push_back(shape_for(ref.name));
    }
    std::vector<Shape> inferred;
    ASSERT_NO_THROW(inferred = infer_shapes(back, back_shapes));
    EXPECT_EQ(inferred.back(), shapes[v]);
    // The printed text is the formula: printing what it parses to gives the same text.
    sym::Pool again(back_names, back_shapes);
    EXPECT_EQ(sym::to_text(again, sym::from_program(again, back).back()), text);
    ++tally.derived;
  }
}

TEST(DeriveFuzz, RandomTokenSequencesDeriveAndRoundTrip) {
  const std::vector<std::string> tokens = {
      "x",        "y",     "w",    "1",         "0",
      "2.5",      "1e-3",  "pi",   "e",         "+",
      "-",        "*",     "/",    "^",         "(",
      ")",        ",",     " ",    "exp",       "log",
      "log1p",    "expm1", "sqrt", "abs",       "sin",
      "cos",      "tan",   "tanh", "sign",      "sigmoid",
      "softplus", "relu",  "pow",  "min",       "max",
      "-x^2",     "2^-1",  "[",    "]",         "@",
      "W",        "V",     "M",    "sum",       "dot",
      "mean",     "[0]",   "[2]",  "[1, 2, 3]", "[[1, 2, 3], [x, y, w], [0, 1, 0]]"};
  std::mt19937_64 rng(2026);
  std::uniform_int_distribution<std::size_t> len(1, 24), pick(0, tokens.size() - 1);
  Tally tally;
  for (int i = 0; i < 40000; ++i) {
    std::string s;
    for (std::size_t n = len(rng); n > 0; --n) s += tokens[pick(rng)];
    exercise(s, tally);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(tally.derived, 500);
  EXPECT_GT(tally.rejected, 1000);
}

// Inputs the libFuzzer target found (a node referenced after the pool grew under it).
TEST(DeriveFuzz, FoundInputs) {
  Tally tally;
  exercise("max(s/y*J^n^s-q*s,y)*asbs", tally);
  EXPECT_EQ(tally.derived, 6);  // s, y, J, n, q, asbs
  test::expect_formulas_agree(
      "max(s/y*t^n^s - q*s, y)*a",
      {{"s", 0.7}, {"y", 0.4}, {"t", 1.3}, {"n", 0.6}, {"q", 0.2}, {"a", 1.1}});
}

TEST(DeriveFuzz, GrammarShapedExpressionsAgreeWithTheEngine) {
  std::mt19937_64 rng(99);
  const std::vector<std::string> unary = {"exp",  "log1p",   "sqrt",     "sin",  "cos",
                                          "tanh", "sigmoid", "softplus", "expm1"};
  const std::vector<std::string> binop = {"+", "-", "*", "/"};
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    const int k = depth <= 0 ? static_cast<int>(rng() % 2) : static_cast<int>(rng() % 6);
    switch (k) {
      case 0:
        return std::string(1, "xyz"[rng() % 3]);
      case 1:
        return std::to_string(rng() % 3 + 1) + ".5";
      case 2:
        return "-" + gen(depth - 1);
      case 3:
        return unary[rng() % unary.size()] + "(" + gen(depth - 1) + ")";
      case 4:
        return "(" + gen(depth - 1) + binop[rng() % binop.size()] + gen(depth - 1) + ")";
      default:
        return "(" + gen(depth - 1) + ")^2";
    }
  };
  const std::vector<Binding> at{{"x", 0.37}, {"y", 0.81}, {"z", 0.53}};
  int checked = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string e = gen(4);
    std::vector<Binding> used;
    for (const VariableRef& v : parse(e).variables) {
      for (const Binding& b : at) {
        if (b.name == v.name) used.push_back(b);
      }
    }
    // Only finite values at the point (sqrt and log1p of negatives would be NaN both ways).
    Tape tape;
    Tape::Scope scope(tape);
    const Problem problem(e, used);
    if (!std::isfinite(problem.value_at(problem.point()))) continue;
    test::expect_formulas_agree(e, used);
    if (HasFailure()) return;
    ++checked;
  }
  EXPECT_GT(checked, 150);
}

}  // namespace
}  // namespace xi::cli
