// Tests for the losses: each fused loss against its composed twin (values and gradients at
// moderate inputs), against central finite differences, and at extreme inputs where the fused
// form stays finite and the composed one does not.

#include <xigrad/models/losses.hpp>

#include <xigrad/autodiff/autodiff.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace xi::models {
namespace {

using ::testing::HasSubstr;

Vector vec(std::initializer_list<double> v) {
  Vector out(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double x : v) out[i++] = x;
  return out;
}

/// Value and gradient of f at x, on a private tape.
ValueAndGradient eval(const ScalarFunction& f, const Vector& x) {
  return value_and_grad(f, x);
}

void expect_close(const ValueAndGradient& a, const ValueAndGradient& b, double tol) {
  EXPECT_NEAR(a.value, b.value, tol * std::max(1.0, std::abs(b.value)));
  ASSERT_EQ(a.gradient.size(), b.gradient.size());
  for (Eigen::Index i = 0; i < a.gradient.size(); ++i) {
    EXPECT_NEAR(a.gradient[i], b.gradient[i], tol * std::max(1.0, std::abs(b.gradient[i])))
        << "component " << i;
  }
}

// ------------------------------------------------------------------ binary cross-entropy

Var bce_composed(const Tensor& z, const Vector& t) {
  const Tensor tt = constant(t);
  const Tensor p = sigmoid(z);
  return -mean(tt * log(p) + (1.0 - tt) * log(1.0 - p));
}

TEST(BceLoss, MatchesComposedTwinAtModerateLogits) {
  const Vector z = vec({-5.0, -2.5, -0.3, 0.0, 0.7, 1.9, 4.0, 5.0});
  for (const double t0 : {0.0, 0.3, 1.0}) {
    const Vector t = Vector::Constant(z.size(), t0);
    const auto fused = eval([&](const Tensor& x) { return bce_loss(x, constant(t)); }, z);
    const auto composed = eval([&](const Tensor& x) { return bce_composed(x, t); }, z);
    expect_close(fused, composed, 1e-12);
  }
}

TEST(BceLoss, MatchesFiniteDifferences) {
  const Vector z = vec({-3.0, -0.5, 0.25, 2.0});
  const Vector t = vec({0.0, 1.0, 1.0, 0.0});
  const GradientReport r =
      check_gradient([&](const Tensor& x) { return bce_loss(x, constant(t)); }, z);
  EXPECT_TRUE(r.ok) << r.table();
}

TEST(BceLoss, FiniteAtSevenHundredWhereTheComposedFormIsNot) {
  const Vector z = vec({700.0, -700.0});
  const Vector t = vec({0.0, 1.0});
  const auto fused = eval([&](const Tensor& x) { return bce_loss(x, constant(t)); }, z);
  EXPECT_DOUBLE_EQ(fused.value, 700.0);  // softplus(±700) − t·z = 700 for both examples
  EXPECT_TRUE(fused.gradient.allFinite());
  EXPECT_DOUBLE_EQ(fused.gradient[0], 0.5);   // (σ(700) − 0)/2
  EXPECT_DOUBLE_EQ(fused.gradient[1], -0.5);  // (σ(−700) − 1)/2
  // z = 700, t = 0: log(1 − σ(700)) = log(0).
  const auto composed = eval([&](const Tensor& x) { return bce_composed(x, t); }, z);
  EXPECT_FALSE(std::isfinite(composed.value));
}

// ------------------------------------------------------------------ mean squared error

TEST(MseLoss, MatchesComposedTwinAndFiniteDifferences) {
  const Vector p = vec({1.5, -2.0, 0.25, 3.0});
  const Vector y = vec({1.0, -1.0, 0.0, 4.5});
  const auto fused = eval([&](const Tensor& x) { return mse_loss(x, constant(y)); }, p);
  const auto composed = eval([&](const Tensor& x) { return mean(square(x - constant(y))); }, p);
  expect_close(fused, composed, 1e-14);
  EXPECT_DOUBLE_EQ(fused.value, (0.25 + 1.0 + 0.0625 + 2.25) / 4);
  const GradientReport r =
      check_gradient([&](const Tensor& x) { return mse_loss(x, constant(y)); }, p);
  EXPECT_TRUE(r.ok) << r.table();
}

TEST(MseLoss, FiniteWhereTheSquareIsLarge) {
  const Vector p = vec({1e150, -1e150});
  const Vector y = vec({0.0, 0.0});
  const auto fused = eval([&](const Tensor& x) { return mse_loss(x, constant(y)); }, p);
  EXPECT_TRUE(std::isfinite(fused.value));
}

// ------------------------------------------------------------------ softmax cross-entropy

/// −mean over rows of log(softmax(z))[label], through a one-hot mask.
Var cross_entropy_composed(const Tensor& z, const Matrix& onehot) {
  const Index n = z.rows();
  return -sum(log(softmax(z)) * constant(onehot)) / static_cast<double>(n);
}

TEST(CrossEntropyLoss, MatchesComposedTwinAtModerateLogits) {
  Matrix z0(3, 4);
  z0 << 0.5, -1.0, 2.0, 0.1,  //
      -0.3, 0.3, 0.0, 1.2,    //
      3.0, -2.0, 0.5, -0.5;
  const std::vector<Index> labels{2, 0, 3};
  Matrix onehot = Matrix::Zero(3, 4);
  for (Index i = 0; i < 3; ++i) onehot(i, labels[i]) = 1.0;
  const Vector flat = Eigen::Map<const Vector>(z0.data(), z0.size());
  const auto as_matrix = [](const Tensor& x) { return reshape(x, Shape::matrix(3, 4)); };
  const auto fused =
      eval([&](const Tensor& x) { return cross_entropy_loss(as_matrix(x), labels); }, flat);
  const auto composed =
      eval([&](const Tensor& x) { return cross_entropy_composed(as_matrix(x), onehot); }, flat);
  expect_close(fused, composed, 1e-12);
  const GradientReport r = check_gradient(
      [&](const Tensor& x) { return cross_entropy_loss(as_matrix(x), labels); }, flat);
  EXPECT_TRUE(r.ok) << r.table();
}

TEST(CrossEntropyLoss, FiniteAtHugeLogitsWhereTheComposedFormIsNot) {
  Matrix z0(1, 2);
  z0 << 1000.0, 0.0;
  const std::vector<Index> labels{1};
  Matrix onehot = Matrix::Zero(1, 2);
  onehot(0, 1) = 1.0;
  const Vector flat = Eigen::Map<const Vector>(z0.data(), z0.size());
  const auto as_matrix = [](const Tensor& x) { return reshape(x, Shape::matrix(1, 2)); };
  const auto fused =
      eval([&](const Tensor& x) { return cross_entropy_loss(as_matrix(x), labels); }, flat);
  EXPECT_DOUBLE_EQ(fused.value, 1000.0);
  EXPECT_TRUE(fused.gradient.allFinite());
  const auto composed =
      eval([&](const Tensor& x) { return cross_entropy_composed(as_matrix(x), onehot); }, flat);
  EXPECT_FALSE(std::isfinite(composed.value));  // softmax underflows to 0, log(0) = −inf
}

// ------------------------------------------------------------------ hinge

Var hinge_composed(const Tensor& z, const Vector& t) {
  return mean(relu(1.0 - constant(t) * z));
}

TEST(HingeLoss, MatchesComposedTwinAwayFromTheKink) {
  const Vector z = vec({-2.0, -0.4, 0.3, 0.9, 1.5, 3.0, -1.2, 0.1});
  const Vector t = vec({1.0, 1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0});
  const auto fused = eval([&](const Tensor& x) { return hinge(x, constant(t)); }, z);
  const auto composed = eval([&](const Tensor& x) { return hinge_composed(x, t); }, z);
  expect_close(fused, composed, 1e-14);
  // By hand: max(0, 1 − t·z) = 3, 1.4, 0.7, 0.1, 0, 4, 0, 1.1.
  EXPECT_NEAR(fused.value, (3 + 1.4 + 0.7 + 0.1 + 0 + 4 + 0 + 1.1) / 8, 1e-15);
  EXPECT_DOUBLE_EQ(fused.gradient[0], -1.0 / 8);  // active, t = +1
  EXPECT_DOUBLE_EQ(fused.gradient[4], 0.0);       // inactive (t·z = 1.5 > 1)
  EXPECT_DOUBLE_EQ(fused.gradient[5], 1.0 / 8);   // active, t = −1
}

TEST(HingeLoss, MatchesFiniteDifferences) {
  const Vector z = vec({-2.0, 0.3, 1.5, 0.2});
  const Vector t = vec({1.0, 1.0, 1.0, -1.0});
  const GradientReport r =
      check_gradient([&](const Tensor& x) { return hinge(x, constant(t)); }, z);
  EXPECT_TRUE(r.ok) << r.table();
}

TEST(HingeLoss, GradientWithRespectToTheTargetsAndSecondOrder) {
  // Both inputs variable: ∂/∂t = −z·[active]/N; the Hessian's only non-zero block is
  // ∂²/∂z∂t = −[active]/N.
  const Vector zt = vec({0.5, 2.0, 1.0, 1.0});  // z = (0.5, 2), t = (1, 1)
  const ScalarFunction f = [](const Tensor& x) {
    return hinge(slice_rows(x, 0, 2), slice_rows(x, 2, 4));
  };
  const ValueAndGradient g = value_and_grad(f, zt);
  EXPECT_DOUBLE_EQ(g.value, 0.25);  // (0.5 + 0)/2
  EXPECT_DOUBLE_EQ(g.gradient[0], -0.5);
  EXPECT_DOUBLE_EQ(g.gradient[1], 0.0);
  EXPECT_DOUBLE_EQ(g.gradient[2], -0.25);
  EXPECT_DOUBLE_EQ(g.gradient[3], 0.0);
  const Matrix H = hessian(f, zt);
  Matrix expected = Matrix::Zero(4, 4);
  expected(0, 2) = expected(2, 0) = -0.5;
  EXPECT_TRUE(H.isApprox(expected, 1e-14)) << H;
}

TEST(HingeLoss, TakesTheSubgradientZeroAtTheKink) {
  const Vector z = vec({1.0, -1.0});
  const Vector t = vec({1.0, -1.0});  // t·z = 1 exactly: on the kink
  const auto fused = eval([&](const Tensor& x) { return hinge(x, constant(t)); }, z);
  EXPECT_DOUBLE_EQ(fused.value, 0.0);
  EXPECT_DOUBLE_EQ(fused.gradient[0], 0.0);
  EXPECT_DOUBLE_EQ(fused.gradient[1], 0.0);
  const auto composed = eval([&](const Tensor& x) { return hinge_composed(x, t); }, z);
  expect_close(fused, composed, 0.0);  // relu takes the same subgradient at 0
}

TEST(HingeLoss, FiniteAtHugeScores) {
  const Vector z = vec({1e300, -1e300});
  const Vector t = vec({-1.0, 1.0});
  const auto fused = eval([&](const Tensor& x) { return hinge(x, constant(t)); }, z);
  EXPECT_TRUE(std::isfinite(fused.value));
  EXPECT_TRUE(fused.gradient.allFinite());
}

TEST(HingeLoss, RejectsBadTargetsAndShapes) {
  Tape tape;
  Tape::Scope scope(tape);
  const Tensor z = variable(vec({0.5, 1.0}));
  try {
    (void)hinge(z, constant(vec({1.0, 0.0})));
    FAIL() << "a 0 target was accepted";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("element 1"));
    EXPECT_THAT(e.what(), HasSubstr("2y - 1"));
  }
  EXPECT_THROW((void)hinge(z, constant(vec({1.0, 1.0, -1.0}))), ShapeError);
  EXPECT_EQ(to_plus_minus_one(vec({0.0, 1.0, 1.0})), vec({-1.0, 1.0, 1.0}));
}

TEST(LossNames, NameEveryLoss) {
  EXPECT_EQ(loss_name(LossKind::mse), "mse");
  EXPECT_EQ(loss_name(LossKind::bce_with_logits), "bce_with_logits");
  EXPECT_EQ(loss_name(LossKind::softmax_cross_entropy), "softmax_cross_entropy");
  EXPECT_EQ(loss_name(LossKind::hinge), "hinge");
  EXPECT_EQ(loss_description(LossKind::bce_with_logits), "mean binary cross-entropy");
}

}  // namespace
}  // namespace xi::models
