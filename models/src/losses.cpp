// The hinge loss as one fused node, and the loss names.

#include <xigrad/models/losses.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>

#include <fmt/format.h>

#include <xigrad/autodiff/error.hpp>

namespace xi::models {
namespace {

// y = Σᵢ aᵢ·(1 − tᵢzᵢ)/N with aᵢ = [1 − tᵢzᵢ > 0] (the subgradient 0 at the kink):
//   z̄ᵢ += −ȳ·aᵢ·tᵢ/N,  t̄ᵢ += −ȳ·aᵢ·zᵢ/N
//   ẏ = −Σᵢ aᵢ·(tᵢżᵢ + zᵢṫᵢ)/N
//   z̄̇ᵢ += −aᵢ·(ȳ̇·tᵢ + ȳ·ṫᵢ)/N,  t̄̇ᵢ += −aᵢ·(ȳ̇·zᵢ + ȳ·żᵢ)/N  (∂²y/∂z∂t = −a/N; the rest is 0)
class HingeOp final : public TensorOp {
 public:
  std::string_view name() const override { return "hinge"; }
  std::string partial(const TensorNode& n, int i) const override {
    const std::size_t m = n.in[0].shape.size();
    return i == 0 ? fmt::format("−Ḡ·t·[1 − t·z > 0]/{}", m)
                  : fmt::format("−Ḡ·z·[1 − t·z > 0]/{}", m);
  }
  void forward(const TensorNode& n, double* y) const override {
    const std::size_t m = n.in[0].shape.size();
    const double* z = n.in[0].data;
    const double* t = n.in[1].data;
    double s = 0.0;
    for (std::size_t i = 0; i < m; ++i) s += std::max(0.0, 1.0 - t[i] * z[i]);
    y[0] = s / static_cast<double>(m);
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    const std::size_t m = n.in[0].shape.size();
    const double* z = n.in[0].data;
    const double* t = n.in[1].data;
    const double w = g.ybar[0] / static_cast<double>(m);
    if (n.in[0].requires_grad()) {
      double* zbar = g.in_bar(n, 0);
      for (std::size_t i = 0; i < m; ++i) {
        if (1.0 - t[i] * z[i] > 0) zbar[i] -= w * t[i];
      }
    }
    if (n.in[1].requires_grad()) {
      double* tbar = g.in_bar(n, 1);
      for (std::size_t i = 0; i < m; ++i) {
        if (1.0 - t[i] * z[i] > 0) tbar[i] -= w * z[i];
      }
    }
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const std::size_t m = n.in[0].shape.size(), K = g.k;
    const double* z = n.in[0].data;
    const double* t = n.in[1].data;
    const bool gz = n.in[0].requires_grad(), gt = n.in[1].requires_grad();
    const double* zdot = g.in_dot(n, 0);
    const double* tdot = g.in_dot(n, 1);
    const double w = 1.0 / static_cast<double>(m);
    std::fill_n(g.out_dot, K, 0.0);
    for (std::size_t i = 0; i < m; ++i) {
      if (!(1.0 - t[i] * z[i] > 0)) continue;
      for (std::size_t k = 0; k < K; ++k) {
        g.out_dot[k] -=
            w * ((gz ? t[i] * zdot[i * K + k] : 0.0) + (gt ? z[i] * tdot[i * K + k] : 0.0));
      }
    }
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    const std::size_t m = n.in[0].shape.size(), K = g.k;
    const double* z = n.in[0].data;
    const double* t = n.in[1].data;
    const bool gz = n.in[0].requires_grad(), gt = n.in[1].requires_grad();
    const double* zdot = g.in_dot(n, 0);
    const double* tdot = g.in_dot(n, 1);
    double* zbd = g.in_bar_dot(n, 0);
    double* tbd = g.in_bar_dot(n, 1);
    const double w = 1.0 / static_cast<double>(m), yb = g.ybar[0];
    for (std::size_t i = 0; i < m; ++i) {
      if (!(1.0 - t[i] * z[i] > 0)) continue;
      for (std::size_t k = 0; k < K; ++k) {
        const double zd = gz ? zdot[i * K + k] : 0.0;
        const double td = gt ? tdot[i * K + k] : 0.0;
        if (gz) zbd[i * K + k] -= w * (g.ybar_dot[k] * t[i] + yb * td);
        if (gt) tbd[i * K + k] -= w * (g.ybar_dot[k] * z[i] + yb * zd);
      }
    }
  }
};
const HingeOp kHinge;

}  // namespace

Var hinge(const Tensor& scores, const Tensor& targets) {
  if (scores.shape() != targets.shape()) {
    throw ShapeError(fmt::format(
        "hinge: shapes {} and {} differ (the scores and the targets must have the same shape)",
        scores.shape(), targets.shape()));
  }
  if (scores.size() == 0)
    throw ShapeError("hinge: no scores (shape " + to_string(scores.shape()) + ")");
  const double* t = targets.data();
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (t[i] != 1.0 && t[i] != -1.0) {
      throw InputError(fmt::format(
          "hinge: target {} at element {} is not -1 or +1 (map 0/1 labels with 2y - 1)", t[i], i));
    }
  }
  const std::array<Tensor, 2> in{scores, targets};
  return apply(kHinge, in, Shape::scalar()).item();
}

Vector to_plus_minus_one(const Vector& labels01) {
  return (2.0 * labels01.array() - 1.0).matrix();
}

std::string_view loss_name(LossKind kind) noexcept {
  switch (kind) {
    case LossKind::mse:
      return "mse";
    case LossKind::bce_with_logits:
      return "bce_with_logits";
    case LossKind::softmax_cross_entropy:
      return "softmax_cross_entropy";
    case LossKind::hinge:
      return "hinge";
  }
  return "?";
}

std::string_view loss_description(LossKind kind) noexcept {
  switch (kind) {
    case LossKind::mse:
      return "mean squared error";
    case LossKind::bce_with_logits:
      return "mean binary cross-entropy";
    case LossKind::softmax_cross_entropy:
      return "mean cross-entropy";
    case LossKind::hinge:
      return "mean hinge loss";
  }
  return "?";
}

}  // namespace xi::models
