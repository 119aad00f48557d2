// logsumexp, softmax, log_softmax and softmax_cross_entropy at extreme magnitudes (10¹⁵ … 10³⁰⁰,
// −10³⁰⁸): the max shift m is kept apart from Σ exp(a − m), so weights, log-weights, losses,
// gradients and Hessians are exact where lse = m + log Σ would lose log Σ to rounding (its
// ulp is 0.125 at 10¹⁵ and 2 at 10¹⁶).

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/tensor.hpp>

namespace {

using xi::Index;
using xi::Matrix;
using xi::Tape;
using xi::Tensor;
using xi::Var;
using xi::Vector;

const double kLog2 = std::log(2.0);
constexpr std::array<double, 6> kScales = {1e15, 1e16, 1e300, -1e15, -1e300, -1e308};

Vector pair(double c) {
  return Vector{{c, c}};
}

TEST(SoftmaxExtremes, LogSumExpOfEqualEntriesHasGradientOneHalfEach) {
  for (const double c : kScales) {
    SCOPED_TRACE(c);
    const auto vg = xi::value_and_grad([](const Tensor& x) { return xi::logsumexp(x); }, pair(c));
    EXPECT_EQ(vg.value, c + kLog2);  // the correctly rounded m + log 2
    EXPECT_EQ(vg.gradient[0], 0.5);
    EXPECT_EQ(vg.gradient[1], 0.5);
    const Matrix H = xi::hessian([](const Tensor& x) { return xi::logsumexp(x); }, pair(c));
    EXPECT_EQ(H(0, 0), 0.25);
    EXPECT_EQ(H(0, 1), -0.25);
    EXPECT_EQ(H(1, 0), -0.25);
    EXPECT_EQ(H(1, 1), 0.25);
    // One direction of the Hessian through the forward-tangent rule.
    const Vector hv =
        xi::hvp([](const Tensor& x) { return xi::logsumexp(x); }, pair(c), Vector{{1.0, 0.0}});
    EXPECT_EQ(hv[0], 0.25);
    EXPECT_EQ(hv[1], -0.25);
  }
}

TEST(SoftmaxExtremes, MixedMagnitudes) {
  // Two entries 2 apart at 10¹⁶ (the gap is exact there): σ(2) and σ(−2).
  const double c = 1e16;
  const auto vg =
      xi::value_and_grad([](const Tensor& x) { return xi::logsumexp(x); }, Vector{{c, c - 2}});
  const double s = 1.0 + std::exp(-2.0);
  EXPECT_DOUBLE_EQ(vg.gradient[0], 1.0 / s);
  EXPECT_DOUBLE_EQ(vg.gradient[1], std::exp(-2.0) / s);
  EXPECT_DOUBLE_EQ(vg.gradient[0] + vg.gradient[1], 1.0);
  // Entries of every size at once: the largest takes all the weight.
  const auto all = xi::value_and_grad([](const Tensor& x) { return xi::logsumexp(x); },
                                      Vector{{-1e308, 1e300, 0.0, 1e15, -1e300}});
  EXPECT_EQ(all.value, 1e300);
  const Vector expected{{0.0, 1.0, 0.0, 0.0, 0.0}};
  EXPECT_EQ(all.gradient, expected);
}

TEST(SoftmaxExtremes, LogSoftmaxIsMinusLog2AndItsGradientIsExact) {
  for (const double c : kScales) {
    SCOPED_TRACE(c);
    Tape tape;
    Tape::Scope scope(tape);
    const Tensor x = xi::variable(pair(c));
    const Tensor y = xi::log_softmax(x);
    EXPECT_EQ(y.values()(0, 0), -kLog2);
    EXPECT_EQ(y.values()(0, 1), -kLog2);
    const Tensor p = xi::softmax(x);
    EXPECT_EQ(p.values()(0, 0), 0.5);
    EXPECT_EQ(p.values()(0, 1), 0.5);
    // ∂ log_softmax(x)₀ / ∂x = e₀ − p = (0.5, −0.5).
    const Matrix g = xi::grad(y[0], x);
    EXPECT_DOUBLE_EQ(g(0, 0), 0.5);
    EXPECT_DOUBLE_EQ(g(0, 1), -0.5);
    // Its Hessian is −(diag p − p pᵀ).
    const Matrix H = xi::hessian([](const Tensor& v) { return xi::log_softmax(v)[0]; }, pair(c));
    EXPECT_DOUBLE_EQ(H(0, 0), -0.25);
    EXPECT_DOUBLE_EQ(H(0, 1), 0.25);
    EXPECT_DOUBLE_EQ(H(1, 1), -0.25);
  }
}

TEST(SoftmaxExtremes, SoftmaxCrossEntropyIsLog2) {
  for (const double c : kScales) {
    SCOPED_TRACE(c);
    const std::vector<Index> label{0};
    const auto f = [&](const Tensor& z) { return xi::softmax_cross_entropy(z, label); };
    const auto vg = xi::value_and_grad(f, pair(c));
    EXPECT_EQ(vg.value, kLog2);
    EXPECT_EQ(vg.gradient[0], -0.5);  // p − onehot
    EXPECT_EQ(vg.gradient[1], 0.5);
    const Matrix H = xi::hessian(f, pair(c));
    EXPECT_EQ(H(0, 0), 0.25);
    EXPECT_EQ(H(0, 1), -0.25);
    EXPECT_EQ(H(1, 1), 0.25);
  }
}

TEST(SoftmaxExtremes, RowsAndAxes) {
  // A 2×2 matrix whose rows are (c, c) and (c, c − 2) at c = 10¹⁶, and columns likewise.
  const double c = 1e16;
  Tape tape;
  Tape::Scope scope(tape);
  const Tensor x = xi::variable(Matrix{{c, c}, {c, c - 2}});
  const double s = 1.0 + std::exp(-2.0);
  for (const int axis : {-1, 1, 0}) {
    SCOPED_TRACE(axis);
    tape.clear();
    const Tensor v = xi::variable(Matrix{{c, c}, {c, c - 2}});
    // Each row (axis -1 or 1) or each column (axis 0): the first group is (c, c) either way.
    const Tensor ls = xi::log_softmax(v, axis);
    const Tensor lse = xi::logsumexp(v, axis == -1 ? 1 : axis);
    EXPECT_EQ(ls.values()(0, 0), -kLog2);
    EXPECT_EQ(lse.values()(0, 0), c + kLog2);
    // The second group is (c, c − 2): log-weights 0 − log s and −2 − log s.
    EXPECT_DOUBLE_EQ(ls.values()(1, 1), -2.0 - std::log(s));
    const Matrix g = xi::grad(xi::sum(lse), v);
    EXPECT_EQ(g(0, 0), 0.5);
    if (axis == 0) {
      EXPECT_EQ(g(1, 0), 0.5);
      EXPECT_DOUBLE_EQ(g(0, 1), 1.0 / s);
      EXPECT_DOUBLE_EQ(g(1, 1), std::exp(-2.0) / s);
    } else {
      EXPECT_EQ(g(0, 1), 0.5);
      EXPECT_DOUBLE_EQ(g(1, 0), 1.0 / s);
      EXPECT_DOUBLE_EQ(g(1, 1), std::exp(-2.0) / s);
    }
  }
  // softmax_cross_entropy over rows: (log 2 + log s) / 2.
  tape.clear();
  const Tensor z = xi::variable(Matrix{{c, c}, {c, c - 2}});
  const std::vector<Index> labels{1, 0};
  const Var loss = xi::softmax_cross_entropy(z, labels);
  EXPECT_DOUBLE_EQ(loss.value(), (kLog2 + std::log(s)) / 2);
  const Matrix g = xi::grad(loss, z);
  EXPECT_EQ(g(0, 0), 0.25);
  EXPECT_EQ(g(0, 1), -0.25);
  EXPECT_DOUBLE_EQ(g(1, 0), (1.0 / s - 1.0) / 2);
  EXPECT_DOUBLE_EQ(g(1, 1), std::exp(-2.0) / s / 2);
  (void)x;
}

}  // namespace
