// The symbolic module: simplification rules and printing (minimal parentheses that parse back
// to the same tree), in the expression language and as LaTeX.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "expr/parser.hpp"
#include "symbolic/expr.hpp"
#include "symbolic/print.hpp"

namespace xi::cli::sym {
namespace {

class Simplify : public ::testing::Test {
 protected:
  Pool pool{{"x", "y", "W"}, {Shape::scalar(), Shape::scalar(), Shape::vector(3)}};
  Id x = pool.variable(0), y = pool.variable(1), W = pool.variable(2);
  Id n(double v) { return pool.number(v); }
  std::string text(Id id) { return to_text(pool, id); }
};

TEST_F(Simplify, NeutralAndAbsorbingElements) {
  EXPECT_EQ(text(pool.mul(x, n(1))), "x");
  EXPECT_EQ(text(pool.add(x, n(0))), "x");
  EXPECT_EQ(text(pool.mul(x, n(0))), "0");
  EXPECT_EQ(text(pool.neg(pool.neg(x))), "x");
  EXPECT_EQ(text(pool.div(x, x)), "1");
  EXPECT_EQ(text(pool.sub(x, x)), "0");
}

TEST_F(Simplify, ConstantFolding) {
  EXPECT_EQ(text(pool.add(n(2), pool.mul(n(3), n(4)))), "14");
  EXPECT_EQ(text(pool.mul(n(2), pool.mul(x, n(3)))), "6*x");
  EXPECT_EQ(text(pool.call(*find_function("exp"), n(0))), "1");
  // Never folded into a non-finite number.
  EXPECT_EQ(text(pool.div(n(1), n(0))), "1/0");
}

TEST_F(Simplify, LikeTermsAndPowersOfTheSameBase) {
  EXPECT_EQ(text(pool.add(pool.mul(n(2), x), pool.mul(x, n(3)))), "5*x");
  EXPECT_EQ(text(pool.mul(pool.mul(x, y), pool.div(x, pool.pow(y, n(3))))), "x^2/y^2");
  EXPECT_EQ(text(pool.pow(pool.pow(x, n(2)), n(3))), "x^6");
  // (x^2)^0.5 is |x|, not x: a fractional power of a power is left alone.
  EXPECT_EQ(text(pool.pow(pool.pow(x, n(2)), n(0.5))), "(x^2)^0.5");
}

TEST_F(Simplify, ExponentialsMergeWhenShorter) {
  const Function& exp = *find_function("exp");
  EXPECT_EQ(text(pool.mul(pool.call(exp, x), pool.call(exp, y))), "exp(x + y)");
  EXPECT_EQ(text(pool.div(pool.call(exp, x), pool.call(exp, y))), "exp(x - y)");
  EXPECT_EQ(text(pool.mul(pool.call(exp, pool.neg(x)), pool.call(exp, x))), "1");
  EXPECT_EQ(text(pool.mul(y, pool.call(exp, x))), "y*exp(x)");
}

TEST_F(Simplify, CommonFactorsAndCancellingSums) {
  EXPECT_EQ(text(pool.add(pool.mul(x, y), pool.mul(x, pool.mul(y, y)))), "x*y*(1 + y)");
  // (1 - 1/y)*y = y - 1
  EXPECT_EQ(text(pool.mul(pool.sub(n(1), pool.div(n(1), y)), y)), "-1 + y");
}

TEST_F(Simplify, ShapesAreKept) {
  EXPECT_EQ(text(pool.div(W, W)), "W^0");
  EXPECT_EQ(text(pool.sub(W, W)), "0*W");
  EXPECT_EQ(text(pool.mul(pool.div(W, W), x)), "x*W^0");
  EXPECT_EQ(text(pool.mul(pool.ones(W), W)), "W");
  EXPECT_EQ(text(pool.call(*find_function("sum"), pool.div(W, W))), "sum(W^0)");
}

// Programs print with the parentheses they need, and the text parses to the same program.
TEST(SymbolicPrint, MinimalParenthesesThatRoundTrip) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"-x^2", "-x^2"},
      {"(-x)^2", "(-x)^2"},
      {"-w*x", "-w*x"},
      {"(-w)*x", "(-w)*x"},
      {"2^3^x", "2^3^x"},
      {"(2^3)^x", "(2^3)^x"},
      {"a/(b*c)", "a/(b*c)"},
      {"(a/b)*c", "a/b*c"},
      {"a - (b - c)", "a - (b - c)"},
      {"(a - b) - c", "a - b - c"},
      {"a + -b", "a + -b"},
      {"x^-1", "x^(-1)"},
      {"1 + X@W*2", "1 + X@W*2"},
      {"(X@W)[0]", "(X@W)[0]"},
      {"-W[0]^2", "-W[0]^2"},
      {"[[1, x], [y, 2]][1]", "[[1, x], [y, 2]][1]"},
      {"max(x, -y)*dot(A, B)", "max(x, -y)*dot(A, B)"},
      {"-(1-y)*log(1-1/(1+exp(-w*x)))", "-(1 - y)*log(1 - 1/(1 + exp(-w*x)))"},
  };
  for (const auto& [source, printed] : cases) {
    const Program p = parse(source);
    std::vector<std::string> names;
    std::vector<Shape> shapes;
    for (const VariableRef& v : p.variables) {
      names.push_back(v.name);
      const bool vector = v.name == "A" || v.name == "B" || v.name == "W";
      shapes.push_back(v.name == "X" ? Shape::matrix(2, 2)
                                     : (vector ? Shape::vector(2) : Shape::scalar()));
    }
    Pool pool(names, shapes);
    const std::vector<Id> nodes = from_program(pool, p);
    EXPECT_EQ(to_text(pool, nodes.back()), printed) << source;
    Pool again(names, shapes);
    EXPECT_EQ(from_program(again, parse(printed)).back(), nodes.back()) << source;
  }
}

TEST(SymbolicPrint, Latex) {
  const Program p = parse("-(1-y)*log(1-1/(1+exp(-dot(W,X)))) + sqrt(abs(x))^2 + sigmoid(x)");
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  for (const VariableRef& v : p.variables) {
    names.push_back(v.name);
    shapes.push_back(v.name == "W" || v.name == "X" ? Shape::vector(2) : Shape::scalar());
  }
  Pool pool(names, shapes);
  EXPECT_EQ(to_latex(pool, from_program(pool, p).back()),
            "-\\left(1 - y\\right) \\log\\left(1 - \\frac{1}{1 + e^{-W^T X}}\\right) + "
            "\\sqrt{\\left|x\\right|}^{2} + \\sigma\\left(x\\right)");
}

}  // namespace
}  // namespace xi::cli::sym
