// Vectors and matrices in the expression language, in-process: literals, broadcasting, @,
// indexing, the reductions, every shape error with its column, and gradients of random vector
// expressions against finite differences.

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/tape.hpp>

#include "expr/evaluate.hpp"
#include "expr/expr_error.hpp"
#include "expr/parser.hpp"
#include "expr/shapes.hpp"
#include "expression_input.hpp"

namespace xi::cli {
namespace {

using ::testing::HasSubstr;

// W = [0.5, -1, 2], X = [[1, 2, 3], [4, 5, 6]], s = 3, as constants.
struct Env {
  Tape tape;
  Tape::Scope scope{tape};
  std::vector<Binding> bindings = [] {
    Binding W;
    W.name = "W";
    W.shape = Shape::vector(3);
    W.values = {0.5, -1, 2};
    Binding X;
    X.name = "X";
    X.shape = Shape::matrix(2, 3);
    X.values = {1, 2, 3, 4, 5, 6};
    return std::vector<Binding>{W, X, Binding("s", 3)};
  }();

  // The expression's shape and values (row-major).
  std::pair<Shape, std::vector<double>> eval(const std::string& source) {
    const Problem p(source, bindings, nullptr, shape_of(source));
    const Value v = p.evaluate(p.constants());
    std::vector<double> out;
    for (std::size_t i = 0; i < v.size(); ++i) out.push_back(v.element(i));
    return {v.shape(), out};
  }

  Shape shape_of(const std::string& source) const {
    const Program p = parse(source);
    std::vector<Shape> shapes;
    for (const VariableRef& v : p.variables) {
      for (const Binding& b : bindings) {
        if (b.name == v.name) shapes.push_back(b.shape);
      }
    }
    return infer_shapes(p, shapes).back();
  }

  ExprError error_of(const std::string& source) const {
    try {
      shape_of(source);
    } catch (const ExprError& e) {
      return e;
    }
    ADD_FAILURE() << "no error for " << source;
    return ExprError("", source, 0);
  }
};

TEST(VectorExpression, LiteralsAndBroadcasting) {
  Env env;
  EXPECT_EQ(env.eval("[0.5, -1, 2]").second, (std::vector<double>{0.5, -1, 2}));
  EXPECT_EQ(env.eval("[0.5, -1, 2]").first, Shape::vector(3));
  EXPECT_EQ(env.eval("[[1, 2], [3, 4]]").first, Shape::matrix(2, 2));
  EXPECT_EQ(env.eval("[[1, 2], [3, 4]]").second, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(env.eval("[s, 2*s]").second, (std::vector<double>{3, 6}));
  EXPECT_EQ(env.eval("W*2 + 1").second, (std::vector<double>{2, -1, 5}));
  EXPECT_EQ(env.eval("1 - W").second, (std::vector<double>{0.5, 2, -1}));
  EXPECT_EQ(env.eval("W*W").second, (std::vector<double>{0.25, 1, 4}));
  EXPECT_EQ(env.eval("s*W").second, (std::vector<double>{1.5, -3, 6}));
  EXPECT_EQ(env.eval("-W").second, (std::vector<double>{-0.5, 1, -2}));
  EXPECT_EQ(env.eval("W^2").second, (std::vector<double>{0.25, 1, 4}));
  EXPECT_EQ(env.eval("max(W, 0)").second, (std::vector<double>{0.5, 0, 2}));
  EXPECT_EQ(env.eval("abs(W)").second, (std::vector<double>{0.5, 1, 2}));
  // A vector (3) against each row of a matrix (2, 3).
  EXPECT_EQ(env.eval("X + W").second, (std::vector<double>{1.5, 1, 5, 4.5, 4, 8}));
  EXPECT_EQ(env.eval("X + W").first, Shape::matrix(2, 3));
}

TEST(VectorExpression, MatmulIndexingAndReductions) {
  Env env;
  EXPECT_EQ(env.eval("X@W").first, Shape::vector(2));
  EXPECT_EQ(env.eval("X@W").second, (std::vector<double>{4.5, 9}));
  EXPECT_EQ(env.eval("[1, 1]@X").second, (std::vector<double>{5, 7, 9}));
  EXPECT_EQ(env.eval("W@W").first, Shape::scalar());
  EXPECT_EQ(env.eval("W@W").second, (std::vector<double>{5.25}));
  EXPECT_EQ(env.eval("X@[[1], [0], [0]]").first, Shape::matrix(2, 1));
  // '@' binds like '*': left to right, tighter than '+'.
  EXPECT_EQ(env.eval("1 + X@W*2").second, (std::vector<double>{10, 19}));
  EXPECT_EQ(env.eval("W[0]").second, (std::vector<double>{0.5}));
  EXPECT_EQ(env.eval("W[2]^2").second, (std::vector<double>{4}));
  EXPECT_EQ(env.eval("X[1]").second, (std::vector<double>{4, 5, 6}));
  EXPECT_EQ(env.eval("X[1][2]").second, (std::vector<double>{6}));
  EXPECT_EQ(env.eval("(X@W)[1]").second, (std::vector<double>{9}));
  EXPECT_EQ(env.eval("sum(W)").second, (std::vector<double>{1.5}));
  EXPECT_EQ(env.eval("mean(X)").second, (std::vector<double>{3.5}));
  EXPECT_EQ(env.eval("sum(s)").second, (std::vector<double>{3}));
  EXPECT_EQ(env.eval("dot(W, [1, 1, 1])").second, (std::vector<double>{1.5}));
  EXPECT_EQ(env.eval("dot(X, X)").second, (std::vector<double>{91}));
}

TEST(VectorExpression, ShapeErrorsNameBothShapesAndPointAtTheColumn) {
  Env env;
  struct Case {
    std::string source;
    std::size_t column;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"s + W + [1, 2]", 1,
       "shapes (3) and (2) do not match in '+': `s + W` is a vector of shape (3) and `[1, 2]` is a "
       "vector of shape (2)"},
      {"exp(W * [1, 2])", 5, "shapes (3) and (2) do not match in '*'"},
      {"max(W, [1, 2])", 1, "shapes (3) and (2) do not match in 'max'"},
      {"sum(W@X)", 5,
       "shapes (3) and (2, 3) do not fit in '@': `W` is a vector of shape (3) and `X` is a matrix "
       "of shape (2, 3) (3 elements against 2 rows)"},
      {"s@W", 1, "'@' multiplies vectors and matrices, but `s` is a scalar (use '*' to scale)"},
      {"1 + W[3]", 5,
       "index 3 is out of range: `W` is a vector of shape (3) (indices start at 0, so they run "
       "from 0 to 2)"},
      {"X[2]", 1, "index 2 is out of range: `X` is a matrix of shape (2, 3)"},
      {"s[0]", 1, "cannot index a scalar: `s` is a scalar"},
      {"[1, W]", 5, "the elements of a '[' literal are numbers (scalars), but `W` is a vector"},
      {"dot(W, [1, 2])", 1, "dot takes two vectors (or matrices) of the same shape"},
      {"dot(s, s)", 1,
       "dot takes two vectors (or matrices) of the same shape, but `s` is a scalar"},
  };
  for (const Case& c : cases) {
    const ExprError e = env.error_of(c.source);
    EXPECT_EQ(e.column(), c.column) << c.source << ": " << e.what();
    EXPECT_THAT(e.description(), HasSubstr(c.says)) << c.source;
  }
}

TEST(VectorExpression, SyntaxErrorsOfTheNewForms) {
  struct Case {
    std::string source;
    std::size_t column;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"[]", 2, "empty '[]': a vector needs at least one element"},
      {"[1, 2", 6, "expected ',' or ']' in the '[' opened at column 1"},
      {"[[1, 2], [3]]", 10, "row 2 of the matrix has 1 element, row 1 has 2"},
      {"[[1], 2]", 7, "expected '[' to start row 2 of the matrix opened at column 1"},
      {"[[[1]]]", 3, "a literal nests at most two levels"},
      {"W[1.5]", 3, "expected an index (a whole number: 0 for the first element)"},
      {"W[-1]", 3, "expected an index"},
      {"W[x]", 3, "expected an index"},
      {"W[0", 4, "expected ']' to close the '[' at column 2"},
      {"W]", 2, "unmatched ']'"},
      {"W @", 4, "expected a number, a name, '(' or '['"},
  };
  for (const Case& c : cases) {
    try {
      parse(c.source);
      ADD_FAILURE() << "no error for " << c.source;
    } catch (const ExprError& e) {
      EXPECT_EQ(e.column(), c.column) << c.source << ": " << e.what();
      EXPECT_THAT(e.description(), HasSubstr(c.says)) << c.source;
    }
  }
}

TEST(VectorExpression, ResultMustBeAScalar) {
  Env env;
  try {
    Problem("W*2", env.bindings);
    ADD_FAILURE() << "no error";
  } catch (const ExprError& e) {
    EXPECT_EQ(e.column(), 1u);
    EXPECT_THAT(e.description(),
                HasSubstr("the expression is a vector of shape (3), but it must be a scalar: sum "
                          "it with sum(...), or pick an element with [i]"));
  }
}

TEST(VectorExpression, ScalarExpressionsRecordScalarNodes) {
  // Scalar code keeps the ξ chain of scalar nodes: no tensor node on the tape.
  Tape tape;
  Tape::Scope scope(tape);
  const Problem p("-y*log(1/(1+exp(-w*x)))", {{"w", 0.5}, {"x", 2.0}, {"y", 1.0}});
  const Recording r = p.record();
  EXPECT_EQ(tape.tensor_nodes().size(), 0u);
  EXPECT_NEAR(r.result().value(), std::log1p(std::exp(-1.0)), 1e-15);
}

// Random expressions over vector variables: the engine's gradient agrees with central finite
// differences component by component.
TEST(VectorExpression, GradientsOfRandomVectorExpressionsMatchFiniteDifferences) {
  std::mt19937_64 rng(2024);
  const std::vector<std::string> unary = {"exp",     "sin",      "cos",  "tanh",
                                          "sigmoid", "softplus", "log1p"};
  const std::vector<std::string> binop = {"+", "-", "*"};
  // A vector-valued expression of U, V (vectors of 3), M (3, 3) and s.
  std::function<std::string(int)> vec = [&](int depth) -> std::string {
    const int k = depth <= 0 ? static_cast<int>(rng() % 2) : static_cast<int>(rng() % 7);
    switch (k) {
      case 0:
        return rng() % 2 ? "U" : "V";
      case 1:
        return "[s, 0.5, U[1]]";
      case 2:
        return unary[rng() % unary.size()] + "(" + vec(depth - 1) + ")";
      case 3:
        return "(" + vec(depth - 1) + binop[rng() % binop.size()] + vec(depth - 1) + ")";
      case 4:
        return "(s*" + vec(depth - 1) + ")";
      case 5:
        return "(M@" + vec(depth - 1) + ")";
      default:
        return "(" + vec(depth - 1) + "@M)";
    }
  };
  Binding U, V, M;
  U.name = "U";
  U.shape = Shape::vector(3);
  U.values = {0.3, -0.2, 0.5};
  V.name = "V";
  V.shape = Shape::vector(3);
  V.values = {-0.4, 0.1, 0.2};
  M.name = "M";
  M.shape = Shape::matrix(3, 3);
  M.values = {0.2, -0.1, 0.3, 0.1, 0.4, -0.2, -0.3, 0.2, 0.1};
  const std::vector<Binding> bindings{U, V, M, Binding("s", 0.7)};
  for (int trial = 0; trial < 60; ++trial) {
    const std::string reduce = std::vector<std::string>{"sum", "mean"}[rng() % 2];
    const std::string source =
        rng() % 3 == 0 ? "dot(" + vec(3) + ", " + vec(2) + ")" : reduce + "(" + vec(3) + ")";
    SCOPED_TRACE(source);
    Tape tape;
    Tape::Scope scope(tape);
    Problem p(source, bindings);
    const Recording r = p.record();
    const std::vector<double> g = p.backward_checked(r);
    const Vector x = p.point();
    ASSERT_EQ(g.size(), static_cast<std::size_t>(x.size()));
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      const double h = 1e-6;
      Vector a = x, b = x;
      a[i] += h;
      b[i] -= h;
      const double fd = (p.value_at(a) - p.value_at(b)) / (2 * h);
      EXPECT_NEAR(g[static_cast<std::size_t>(i)], fd, 1e-6 * std::max(1.0, std::abs(fd)))
          << p.component_names()[static_cast<std::size_t>(i)];
    }
    // The Hessian path (forward over reverse through slices of x) agrees with the gradient's.
    const ValueAndGradient vg = value_and_grad(p.function(), x);
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      EXPECT_NEAR(vg.gradient[i], g[static_cast<std::size_t>(i)],
                  1e-12 * std::max(1.0, std::abs(g[static_cast<std::size_t>(i)])));
    }
  }
}

}  // namespace
}  // namespace xi::cli
