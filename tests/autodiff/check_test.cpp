// check_gradient and check_nodes: correct gradients pass, a wrong hand-derived gradient and a
// custom operation with a wrong vector–Jacobian rule are caught and named, kinks are skipped.

#include <xigrad/autodiff/check.hpp>

#include <cmath>
#include <span>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <xigrad/autodiff/explain.hpp>
#include <xigrad/autodiff/tensor.hpp>

namespace {

using ::testing::HasSubstr;

class CheckTest : public ::testing::Test {
 protected:
  xi::Tape tape_;
  xi::Tape::Scope scope_{tape_};
};

// The lecture's L = −y log σ(wx) + λw², as a function of (w, x), y = 1.
xi::Var logistic(const xi::Tensor& v) {
  const xi::Var w = v[0], x = v[1];
  return -1.0 * xi::log(1 / (1 + xi::exp(-w * x))) + 0.1 * xi::square(w);
}

// Its gradient by hand: ∂L/∂w = −x(1 − σ(wx)) + 0.2w, ∂L/∂x = −w(1 − σ(wx)).
xi::Vector logistic_gradient(const xi::Vector& v, bool with_mistake = false) {
  const double w = v[0], x = v[1];
  const double s = 1 / (1 + std::exp(-w * x));
  xi::Vector g(2);
  g << -x * (1 - s) + 0.2 * w, -w * (with_mistake ? s : 1 - s);
  return g;
}

TEST_F(CheckTest, CorrectGradientAgrees) {
  xi::Vector x(2);
  x << 0.5, 2.0;
  const auto report = xi::check_gradient(logistic, x, logistic_gradient(x), {}, {"w", "x"});
  EXPECT_TRUE(report.ok) << report.table();
  ASSERT_EQ(report.components.size(), 2u);
  EXPECT_EQ(report.components[0].name, "w");
  EXPECT_NEAR(report.components[0].autodiff, logistic_gradient(x)[0], 1e-14);
  EXPECT_NEAR(report.components[0].finite_difference, logistic_gradient(x)[0], 1e-8);
  EXPECT_DOUBLE_EQ(report.components[1].step, 6e-6 * 2.0);
  EXPECT_NEAR(report.value, -std::log(1 / (1 + std::exp(-1.0))) + 0.025, 1e-14);
  for (const auto& c : report.components) EXPECT_LT(c.rel_error, 1e-8);
  EXPECT_THAT(report.table(), HasSubstr("all 2 components agree"));
}

TEST_F(CheckTest, WrongHandGradientIsFlagged) {
  xi::Vector x(2);
  x << 0.5, 2.0;
  const auto report = xi::check_gradient(logistic, x, logistic_gradient(x, /*with_mistake=*/true));
  EXPECT_FALSE(report.ok);
  EXPECT_TRUE(report.components[0].ok);
  EXPECT_FALSE(report.components[1].ok);
  EXPECT_EQ(report.components[1].name, "x[1]");
  EXPECT_GT(report.components[1].rel_error, 0.1);
  const std::string table = report.table();
  EXPECT_THAT(table, HasSubstr("DIFFERS: hand-derived"));
  EXPECT_THAT(table, HasSubstr("1 of 2 components differ"));
  EXPECT_THAT(table, HasSubstr("hand"));
}

TEST_F(CheckTest, ZeroGradientComponentIsNotFailedForRoundingNoise) {
  xi::Vector x(3);
  x << 1.3, -0.7, 2.0;
  // ∂f/∂x₂ = 0 exactly, but f ≈ 1e3 so finite differences see rounding noise.
  auto f = [](const xi::Tensor& v) {
    return 1000.0 + xi::exp(v[0]) * xi::sin(v[1]) + xi::square(v[2] - 2.0);
  };
  const auto report = xi::check_gradient(f, x);
  EXPECT_TRUE(report.ok) << report.table();
}

TEST_F(CheckTest, MismatchedSizesAreErrors) {
  xi::Vector x(2);
  x << 1, 2;
  EXPECT_THROW((void)xi::check_gradient(logistic, x, xi::Vector::Zero(3)), xi::ShapeError);
  EXPECT_THROW((void)xi::check_gradient(logistic, x, std::nullopt, {}, {"a"}), xi::ShapeError);
}

// ------------------------------------------------------------------ check_nodes

// y = x³ element-wise, with a vector–Jacobian rule ȳ·k·x² (k = 3 is right, k = 2 is the bug).
class Cube final : public xi::TensorOp {
 public:
  explicit Cube(double k) : k_(k) {}
  std::string_view name() const override { return "cube"; }
  void forward(const xi::TensorNode& n, double* out) const override {
    const double* a = n.in[0].data;
    for (std::size_t i = 0; i < n.shape.size(); ++i) out[i] = a[i] * a[i] * a[i];
  }
  void vjp(const xi::TensorNode& n, const xi::VjpArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    const double* a = n.in[0].data;
    double* abar = g.in_bar(n, 0);
    for (std::size_t i = 0; i < n.shape.size(); ++i) abar[i] += g.ybar[i] * k_ * a[i] * a[i];
  }

 private:
  double k_;
};

xi::Var cube_loss(const Cube& op, const xi::Tensor& x) {
  const xi::Tensor e = xi::exp(x);
  const xi::Tensor inputs[] = {e};
  const xi::Tensor c = xi::apply(op, inputs, e.shape());
  const xi::Var a = c[0] * 2.0;
  const xi::Var b = a + c[1];
  return b + xi::sin(c[2]);
}

xi::Tensor three() {
  xi::Vector v(3);
  v << 0.3, -0.4, 0.1;
  return xi::variable(v, "x");
}

TEST_F(CheckTest, WrongCustomRuleIsCaughtAndNamed) {
  const Cube wrong(2.0);
  const xi::Var L = cube_loss(wrong, three());
  const xi::NodeReport report = xi::check_nodes(L);
  EXPECT_FALSE(report.ok);
  ASSERT_TRUE(report.first_wrong.has_value()) << report.table();
  EXPECT_EQ(report.first_wrong->id, 2u);
  EXPECT_EQ(report.first_wrong->definition, "ξ2 = cube(ξ1)");
  EXPECT_EQ(report.first_wrong->op, "cube");
  EXPECT_GT(report.first_wrong->max_rel_error, 0.3);  // 2x² against 3x²: off by a third
  // Every other node is right.
  for (const auto& n : report.nodes) {
    if (n.id != 2) {
      EXPECT_TRUE(n.ok) << n.definition;
    }
  }
  const std::string table = report.table();
  EXPECT_THAT(table, HasSubstr("WRONG"));
  EXPECT_THAT(table, HasSubstr("first wrong node: ξ2 = cube(ξ1)"));
  // And the whole gradient is wrong too, which is how a user would first notice.
  auto f = [&](const xi::Tensor& v) { return cube_loss(wrong, v); };
  xi::Vector x(3);
  x << 0.3, -0.4, 0.1;
  EXPECT_FALSE(xi::check_gradient(f, x).ok);
}

TEST_F(CheckTest, RightCustomRulePasses) {
  const Cube right(3.0);
  const xi::Var L = cube_loss(right, three());
  const xi::NodeReport report = xi::check_nodes(L);
  EXPECT_TRUE(report.ok) << report.table();
  EXPECT_FALSE(report.first_wrong.has_value());
  ASSERT_EQ(report.nodes.size(), 6u);
  for (const auto& n : report.nodes) EXPECT_LT(n.max_rel_error, 1e-7) << n.definition;
  EXPECT_THAT(report.table(), HasSubstr("all 6 nodes agree"));
}

TEST_F(CheckTest, InputUsedTwiceByATensorOpIsOneVariable) {
  const xi::Tensor x = three();
  const xi::Tensor y = x * x;  // both inputs are the same slots
  const xi::Var L = y[0] + y[1] * 3.0 + y[2];
  const xi::NodeReport report = xi::check_nodes(L);
  EXPECT_TRUE(report.ok) << report.table();
}

TEST_F(CheckTest, LectureChainNodesAllAgree) {
  const xi::Var w = xi::variable(0.5, "w");
  const xi::Var x = xi::variable(2.0, "x");
  const xi::Var L = -1.0 * xi::log(1 / (1 + xi::exp(-w * x)));
  const xi::NodeReport report = xi::check_nodes(L);
  EXPECT_TRUE(report.ok) << report.table();
  ASSERT_EQ(report.nodes.size(), 7u);
  EXPECT_EQ(report.nodes[4].definition, "ξ5 = 1/ξ4");
  for (const auto& n : report.nodes) EXPECT_LT(n.max_rel_error, 1e-8) << n.definition;
}

TEST_F(CheckTest, NodesNearPolesAreCheckedWithASmallerStep) {
  const xi::Var x = xi::variable(1e-7, "x");
  const xi::Var L = xi::log(x) + 1 / x + xi::sqrt(x);
  const xi::NodeReport report = xi::check_nodes(L);
  EXPECT_TRUE(report.ok) << report.table();
  for (const auto& n : report.nodes) {
    EXPECT_FALSE(std::isnan(n.max_rel_error)) << n.definition;
  }
}

TEST_F(CheckTest, KinksAreNotCheckableRatherThanWrong) {
  const xi::Var z = xi::variable(0.0, "z");
  const xi::Var one = xi::variable(1.0, "o");
  const xi::Var r = xi::relu(z);
  const xi::Var m = xi::max(one, one * 1.0);
  const xi::Var near = xi::abs(z + 1e-9);  // near a kink, not on it
  const xi::Var L = r + m + near;
  const xi::NodeReport report = xi::check_nodes(L);
  EXPECT_TRUE(report.ok) << report.table();
  EXPECT_TRUE(std::isnan(report.nodes[0].max_rel_error));   // relu(0)
  EXPECT_TRUE(std::isnan(report.nodes[2].max_rel_error));   // max at a tie
  EXPECT_FALSE(std::isnan(report.nodes[4].max_rel_error));  // |1e-9|
  EXPECT_THAT(report.table(), HasSubstr("not checkable"));

  // A tensor relu with an element on its kink: that element is skipped, the others checked.
  xi::Vector v(3);
  v << 0.0, 1.0, -2.0;
  const xi::Tensor t = xi::relu(xi::variable(v, "v"));
  const xi::Var L2 = t[0] + t[1] * 2.0 + t[2];
  const xi::NodeReport r2 = xi::check_nodes(L2);
  EXPECT_TRUE(r2.ok) << r2.table();
}

TEST_F(CheckTest, LargeInputsAreSampled) {
  const xi::Tensor x = xi::variable(xi::Vector(xi::Vector::LinSpaced(1000, -1.0, 1.0)), "x");
  const Cube wrong(2.0);
  const xi::Tensor inputs[] = {x};
  const xi::Tensor c = xi::apply(wrong, inputs, x.shape());
  const xi::Var L = c[10] + c[500];
  const xi::NodeReport report = xi::check_nodes(L);
  ASSERT_TRUE(report.first_wrong.has_value());
  EXPECT_EQ(report.first_wrong->definition, "ξ1 = cube(x)");
}

}  // namespace

// The finite-difference step is relative to |x| and kept inside the domain: near the pole or
// the edge of the domain at 0 (log, sqrt, 1/x) and at large x, a right hand gradient passes and
// the finite difference matches the exact derivative; a wrong one is still named.
TEST(CheckGradientSteps, RightHandGradientsPassFromTinyToLargeX) {
  struct Case {
    const char* name;
    xi::Var (*f)(const xi::Tensor&);
    double (*df)(double);
  };
  const Case cases[] = {
      {"log", [](const xi::Tensor& v) { return xi::Var(xi::log(v[0])); },
       [](double x) { return 1 / x; }},
      {"sqrt", [](const xi::Tensor& v) { return xi::Var(xi::sqrt(v[0])); },
       [](double x) { return 0.5 / std::sqrt(x); }},
      {"1/x", [](const xi::Tensor& v) { return xi::Var(1.0 / v[0]); },
       [](double x) { return -1 / (x * x); }},
  };
  for (const Case& c : cases) {
    for (const double x0 : {1e-3, 1e-5, 1e-8, 1e-12, 1.0, 1e8}) {
      SCOPED_TRACE(fmt::format("{} at {}", c.name, x0));
      const xi::Vector x{{x0}};
      const double exact = c.df(x0);
      const auto right = xi::check_gradient(c.f, x, xi::Vector{{exact}});
      EXPECT_TRUE(right.ok) << right.table();
      EXPECT_NEAR(right.components[0].finite_difference / exact, 1.0, 1e-8) << right.table();
      EXPECT_LT(right.components[0].step, x0);                       // never reaches 0
      if (std::abs(exact) < xi::CheckOptions{}.abs_floor) continue;  // judged absolutely
      const auto wrong = xi::check_gradient(c.f, x, xi::Vector{{exact * 1.001}});
      EXPECT_FALSE(wrong.ok);
      EXPECT_THAT(wrong.table(), HasSubstr("DIFFERS: hand-derived"));
    }
  }
}

TEST(CheckGradientSteps, NegativeXAndZero) {
  // log(−x) at −1e-9 (the step must not cross 0), and x² at 0 (an absolute step there).
  const auto logneg = [](const xi::Tensor& v) { return xi::Var(xi::log(-v[0])); };
  const auto r1 = xi::check_gradient(logneg, xi::Vector{{-1e-9}}, xi::Vector{{-1e9}});
  EXPECT_TRUE(r1.ok) << r1.table();
  const auto sq = [](const xi::Tensor& v) { return xi::Var(xi::square(v[0]) + v[0]); };
  const auto r2 = xi::check_gradient(sq, xi::Vector{{0.0}}, xi::Vector{{1.0}});
  EXPECT_TRUE(r2.ok) << r2.table();
  EXPECT_NEAR(r2.components[0].finite_difference, 1.0, 1e-12);
}
