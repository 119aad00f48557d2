// derive: for every operation and function of the language, the printed derivative, parsed and
// evaluated back as `grad` would, agrees with the engine's gradient at random points, for
// scalars and vectors, and at the kinks (the engine's subgradients).

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "derive_support.hpp"
#include "expr/parser.hpp"

namespace xi::cli {
namespace {

using test::expect_formulas_agree;

// Random scalar values in [lo, hi] for x, y, z; vectors W, V of 3 and a matrix M (3, 3).
std::vector<Binding> point(std::mt19937& rng, double lo, double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<Binding> b{{"x", u(rng)}, {"y", u(rng)}, {"z", u(rng)}};
  for (const char* name : {"W", "V"}) {
    Binding v;
    v.name = name;
    v.shape = Shape::vector(3);
    for (int i = 0; i < 3; ++i) v.values.push_back(u(rng));
    b.push_back(v);
  }
  Binding m;
  m.name = "M";
  m.shape = Shape::matrix(3, 3);
  for (int i = 0; i < 9; ++i) m.values.push_back(u(rng));
  b.push_back(m);
  return b;
}

// Only the variables the expression uses (unused ones would have a zero derivative "0*W").
std::vector<Binding> used(const std::string& expression, const std::vector<Binding>& all) {
  std::vector<Binding> out;
  const Program p = parse(expression);
  for (const Binding& b : all) {
    for (const VariableRef& v : p.variables) {
      if (v.name == b.name) out.push_back(b);
    }
  }
  return out;
}

void agree_at_random_points(const std::vector<std::string>& expressions, double lo, double hi) {
  std::mt19937 rng(20261203);
  for (const std::string& e : expressions) {
    for (int trial = 0; trial < 5; ++trial) expect_formulas_agree(e, used(e, point(rng, lo, hi)));
  }
}

TEST(DeriveRules, OperatorsOnScalars) {
  agree_at_random_points({"x + y", "x - y", "x*y", "x/y", "-x", "x^y", "x^3", "2^x", "x^-2.5",
                          "x*x*x/(y*y)", "(x + y)^2 - (x - y)^2", "x/(x + y) + y/(x + y)",
                          "-(-x*y)", "1 - 1/(1 + x)", "x^y^z", "(x*y)^0.5/x"},
                         0.3, 1.7);
}

TEST(DeriveRules, EveryFunctionOnScalars) {
  agree_at_random_points(
      {"exp(x*y)", "log(x + y)", "log1p(x*y)", "expm1(x - y)", "sqrt(x*y)", "sin(x*y)",
       "cos(x + y)", "tan(x - y)", "tanh(x*y)", "sigmoid(x - y)", "softplus(x*y)", "pow(x, y)",
       "pow(x, 2) + pow(2, y)", "sum(x*y)", "mean(x + y)", "sign(x)*y"},
      0.3, 1.7);
}

TEST(DeriveRules, KinkedFunctionsAwayFromTheKink) {
  agree_at_random_points({"abs(x - y)", "relu(x - y)", "min(x, y)", "max(x, y*z)",
                          "min(x, 0.5)*max(y, z)", "abs(x)*relu(y)"},
                         -1.5, 1.5);
}

TEST(DeriveRules, KinkedFunctionsAtTheKinkTakeTheEnginesSubgradient) {
  // abs and relu at 0: subgradient 0; min and max at a tie: 1/2 to each side.
  expect_formulas_agree("abs(x)", {{"x", 0.0}});
  expect_formulas_agree("relu(x)*y", {{"x", 0.0}, {"y", 2.0}});
  expect_formulas_agree("min(x, y)", {{"x", 0.75}, {"y", 0.75}});
  expect_formulas_agree("max(x, y)*3", {{"x", -2.0}, {"y", -2.0}});
  expect_formulas_agree("max(x^2, y)", {{"x", 2.0}, {"y", 4.0}});
}

TEST(DeriveRules, Vectors) {
  agree_at_random_points({"dot(W, V)",
                          "sum(W*V)",
                          "mean(exp(W))",
                          "sum(W^2)/x",
                          "dot(W, W*x + V)",
                          "sum(log(1 + exp(-W*x)))",
                          "W@V",
                          "sum(M@W)",
                          "sum(W@M)",
                          "W[1]*x",
                          "sum([x, x*y, y^2]*W)",
                          "dot([x, y, z], W)",
                          "sum(exp(W)/sum(exp(W))*V)",
                          "sum(sqrt(W) + abs(W - V))",
                          "sum(max(W, V)) + sum(min(W, x))",
                          "sum(relu(W - V))",
                          "sum(M*W)",
                          "mean(M - W)*x",
                          "sum(W + x)",
                          "sum(tanh(M@W) + V)",
                          "sum(sigmoid(W)*softplus(V))",
                          "sum(W^x)",
                          "sum(pow(x, W))",
                          "[[x, y], [y, z]][1][0]*x",
                          "sum(sign(W)*V)",
                          "sum(M@M)",
                          "sum(exp(M)@M@W)",
                          "sum((M - W)^2)",
                          "sum(M[1]*W) + M[2][0]",
                          "sum(W*M)/x",
                          "mean(M + W)"},
                         0.3, 1.7);
}

TEST(DeriveRules, SeedLossesScalarAndVector) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 5; ++trial) {
    const std::vector<Binding> b = point(rng, -1.5, 1.5);
    for (const std::string e :
         {"-y*log(1/(1+exp(-dot(W,V))))", "-(1-y)*log(1-1/(1+exp(-dot(W,V))))",
          "-y*log(1/(1+exp(-dot(W,V)))) - (1-y)*log(1-1/(1+exp(-dot(W,V))))",
          "-y*log(1/(1+exp(-x*z)))", "(1-x)^2 + (2-x-y)^2 + (3-x-3*y)^2"}) {
      expect_formulas_agree(e, used(e, b));
    }
  }
}

}  // namespace
}  // namespace xi::cli

namespace xi::cli {
namespace {

// A product of many sums: simplification is bounded (no trying every way of multiplying it out)
// and the derivative is still exact.
TEST(DeriveRules, LongProductsOfSums) {
  std::string e = "(x + 1)";
  for (int i = 2; i <= 40; ++i) e += "*(x*y + " + std::to_string(i) + ")";
  agree_at_random_points({e}, 0.3, 1.7);
}

}  // namespace
}  // namespace xi::cli
