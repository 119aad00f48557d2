// Softmax and log-softmax along an axis (default: the last, i.e. each row of a matrix). Both run
// through detail::SoftmaxWeights (reduce.cpp), which keeps the max shift m apart from
// Σ = Σ exp(a − m): softmax = exp(a − m)/Σ, log_softmax = (a − m) − log Σ.

#include <cmath>
#include <vector>

#include "record.hpp"

namespace xi {
namespace {

std::string with_axis(std::string_view name, const std::string& a, int axis) {
  if (axis == -1) return fmt::format("{}({})", name, a);
  return fmt::format("{}({}, axis={})", name, a, axis);
}

// y = softmax(a) per group: ā = y ⊙ (ȳ − ⟨ȳ, y⟩), ẏ = y ⊙ (ȧ − ⟨y, ȧ⟩),
// ā̇ = ẏ ⊙ (ȳ − ⟨ȳ, y⟩) + y ⊙ (ȳ̇ − ⟨ȳ̇, y⟩ − ⟨ȳ, ẏ⟩).
class SoftmaxOp final : public TensorOp {
 public:
  std::string_view name() const override { return "softmax"; }
  std::string definition(const TensorNode& n, const std::array<std::string, 3>& in) const override {
    return with_axis(name(), in[0], n.axis);
  }
  std::string partial(const TensorNode&, int) const override { return "y ⊙ (Ḡ − Σ Ḡ ⊙ y)"; }

  void forward(const TensorNode& n, double* y) const override {
    const auto gs = groups(n);
    const double* a = n.in[0].data;
    for (std::size_t g = 0; g < gs.count; ++g) {
      detail::softmax_group(a, gs, g, y);
    }
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    const auto gs = groups(n);
    const double* y = n.value;
    double* abar = g.in_bar(n, 0);
    for (std::size_t grp = 0; grp < gs.count; ++grp) {
      double c = 0.0;
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(grp, e);
        c += g.ybar[i] * y[i];
      }
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(grp, e);
        abar[i] += y[i] * (g.ybar[i] - c);
      }
    }
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const auto gs = groups(n);
    const std::size_t K = g.k;
    if (!n.in[0].requires_grad()) {
      std::fill_n(g.out_dot, n.shape.size() * K, 0.0);
      return;
    }
    const double* y = n.value;
    const double* adot = g.in_dot(n, 0);
    std::vector<double> s(K);
    for (std::size_t grp = 0; grp < gs.count; ++grp) {
      std::fill(s.begin(), s.end(), 0.0);
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(grp, e);
        for (std::size_t k = 0; k < K; ++k) s[k] += y[i] * adot[i * K + k];
      }
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(grp, e);
        for (std::size_t k = 0; k < K; ++k) g.out_dot[i * K + k] = y[i] * (adot[i * K + k] - s[k]);
      }
    }
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    const auto gs = groups(n);
    const std::size_t K = g.k;
    const double* y = n.value;
    const double* yb = g.ybar;
    const double* ybd = g.ybar_dot;
    const double* adot = g.in_dot(n, 0);
    double* abd = g.in_bar_dot(n, 0);
    // Per group and direction: s1 = ⟨y, ȧ⟩, s2 = ⟨ȳ ⊙ y, ȧ⟩, s3 = ⟨y, ȳ̇⟩; then
    // ⟨ȳ, ẏ⟩ = s2 − c·s1 with c = ⟨ȳ, y⟩.
    std::vector<double> s(3 * K);
    double* s1 = s.data();
    double* s2 = s1 + K;
    double* s3 = s2 + K;
    for (std::size_t grp = 0; grp < gs.count; ++grp) {
      std::fill(s.begin(), s.end(), 0.0);
      double c = 0.0;
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(grp, e);
        c += yb[i] * y[i];
        for (std::size_t k = 0; k < K; ++k) {
          s1[k] += y[i] * adot[i * K + k];
          s2[k] += yb[i] * y[i] * adot[i * K + k];
          s3[k] += y[i] * ybd[i * K + k];
        }
      }
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(grp, e);
        for (std::size_t k = 0; k < K; ++k) {
          const double ydot = y[i] * (adot[i * K + k] - s1[k]);
          const double cdot = s3[k] + s2[k] - c * s1[k];
          abd[i * K + k] += ydot * (yb[i] - c) + y[i] * (ybd[i * K + k] - cdot);
        }
      }
    }
  }

 private:
  detail::Groups groups(const TensorNode& n) const {
    return detail::groups_along(name(), n.in[0].shape, n.axis);
  }
};
const SoftmaxOp kSoftmax;

// y = a − logsumexp(a) per group, p = exp(y): ā = ȳ − p·Σȳ, ẏ = ȧ − ⟨p, ȧ⟩,
// ā̇ = ȳ̇ − p·Σȳ̇ − p ⊙ (ȧ − ⟨p, ȧ⟩)·Σȳ.
class LogSoftmaxOp final : public TensorOp {
 public:
  std::string_view name() const override { return "log_softmax"; }
  std::string definition(const TensorNode& n, const std::array<std::string, 3>& in) const override {
    return with_axis(name(), in[0], n.axis);
  }
  std::string partial(const TensorNode&, int) const override { return "Ḡ − softmax(a)·Σ Ḡ"; }

  void forward(const TensorNode& n, double* y) const override {
    const auto gs = groups(n);
    const double* a = n.in[0].data;
    for (std::size_t g = 0; g < gs.count; ++g) {
      const detail::SoftmaxWeights w(a, gs, g);
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(g, e);
        y[i] = w.log(a[i]);
      }
    }
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    const auto gs = groups(n);
    const double* y = n.value;
    double* abar = g.in_bar(n, 0);
    for (std::size_t grp = 0; grp < gs.count; ++grp) {
      double total = 0.0;
      for (std::size_t e = 0; e < gs.length; ++e) total += g.ybar[gs.at(grp, e)];
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(grp, e);
        abar[i] += g.ybar[i] - std::exp(y[i]) * total;
      }
    }
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const auto gs = groups(n);
    const std::size_t K = g.k;
    if (!n.in[0].requires_grad()) {
      std::fill_n(g.out_dot, n.shape.size() * K, 0.0);
      return;
    }
    const double* y = n.value;
    const double* adot = g.in_dot(n, 0);
    std::vector<double> s(K);
    for (std::size_t grp = 0; grp < gs.count; ++grp) {
      std::fill(s.begin(), s.end(), 0.0);
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(grp, e);
        const double p = std::exp(y[i]);
        for (std::size_t k = 0; k < K; ++k) s[k] += p * adot[i * K + k];
      }
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(grp, e);
        for (std::size_t k = 0; k < K; ++k) g.out_dot[i * K + k] = adot[i * K + k] - s[k];
      }
    }
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    const auto gs = groups(n);
    const std::size_t K = g.k;
    const double* y = n.value;
    const double* ybd = g.ybar_dot;
    const double* adot = g.in_dot(n, 0);
    double* abd = g.in_bar_dot(n, 0);
    // Per group and direction: s1 = ⟨p, ȧ⟩, t = Σ ȳ̇; total = Σ ȳ.
    std::vector<double> s(2 * K);
    double* s1 = s.data();
    double* t = s1 + K;
    for (std::size_t grp = 0; grp < gs.count; ++grp) {
      std::fill(s.begin(), s.end(), 0.0);
      double total = 0.0;
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(grp, e);
        const double p = std::exp(y[i]);
        total += g.ybar[i];
        for (std::size_t k = 0; k < K; ++k) {
          s1[k] += p * adot[i * K + k];
          t[k] += ybd[i * K + k];
        }
      }
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(grp, e);
        const double p = std::exp(y[i]);
        for (std::size_t k = 0; k < K; ++k) {
          abd[i * K + k] += ybd[i * K + k] - p * t[k] - p * (adot[i * K + k] - s1[k]) * total;
        }
      }
    }
  }

 private:
  detail::Groups groups(const TensorNode& n) const {
    return detail::groups_along(name(), n.in[0].shape, n.axis);
  }
};
const LogSoftmaxOp kLogSoftmax;

Tensor along(const TensorOp& op, const Tensor& a, int axis) {
  detail::groups_along(op.name(), a.shape(), axis);  // validates the axis
  return detail::record(op, a.shape(), {&a}, [&](TensorNode& n) { n.axis = axis; });
}

}  // namespace

Tensor softmax(const Tensor& a, int axis) {
  return along(kSoftmax, a, axis);
}
Tensor log_softmax(const Tensor& a, int axis) {
  return along(kLogSoftmax, a, axis);
}

}  // namespace xi
