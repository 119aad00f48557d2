// Reductions: sum and mean (of all elements or along an axis) and log-sum-exp. A reduction over
// all elements is a node of shape () whose single element is returned as a Var.
//
// Groups (record.hpp) describe what is reduced: `count` groups of `length` elements; output
// element g is the reduction of group g. Tangents carry K directions per element, element-major.

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "record.hpp"

namespace xi {
namespace detail {

// An empty group has m = −∞ and so gives −∞.
SoftmaxWeights::SoftmaxWeights(const double* a, const Groups& gs, std::size_t g)
    : m_(-std::numeric_limits<double>::infinity()) {
  for (std::size_t e = 0; e < gs.length; ++e) {
    const double x = a[gs.at(g, e)];
    if (std::isnan(x)) {
      m_ = x;
      return;
    }
    m_ = std::max(m_, x);
  }
  if (std::isfinite(m_)) {
    double s = 0.0;
    for (std::size_t e = 0; e < gs.length; ++e) s += std::exp(a[gs.at(g, e)] - m_);
    finite_ = true;
    inv_sum_ = 1.0 / s;
    log_sum_ = std::log(s);
    return;
  }
  std::size_t tied = gs.length;
  if (m_ > 0) {
    tied = 0;
    for (std::size_t e = 0; e < gs.length; ++e) tied += a[gs.at(g, e)] == m_ ? 1 : 0;
  }
  share_ = 1.0 / static_cast<double>(tied);
}

double SoftmaxWeights::limit(double a) const noexcept {
  if (std::isnan(m_)) return m_;
  if (m_ > 0) return a == m_ ? share_ : 0.0;
  return share_;
}

double logsumexp_group(const double* a, const Groups& gs, std::size_t g) {
  return SoftmaxWeights(a, gs, g).lse();
}

double softmax_group(const double* a, const Groups& gs, std::size_t g, double* p) {
  const SoftmaxWeights w(a, gs, g);
  for (std::size_t e = 0; e < gs.length; ++e) p[gs.at(g, e)] = w(a[gs.at(g, e)]);
  return w.lse();
}

}  // namespace detail

namespace {

// Calls f(g, i) for element i of group g, for every element, in memory order.
template <class F>
void for_each_element(const detail::Groups& gs, F&& f) {
  if (gs.elem_stride == 1) {
    for (std::size_t g = 0; g < gs.count; ++g) {
      for (std::size_t e = 0; e < gs.length; ++e) f(g, gs.at(g, e));
    }
  } else {
    for (std::size_t e = 0; e < gs.length; ++e) {
      for (std::size_t g = 0; g < gs.count; ++g) f(g, gs.at(g, e));
    }
  }
}

std::string axis_suffix(int axis) {
  return axis == -1 ? "" : fmt::format(", axis={}", axis);
}

// sum: y_g = Σₑ a_ge, ā_ge += ȳ_g.  mean: y_g = Σₑ a_ge / n, ā_ge += ȳ_g / n (n = group length).
// Linear, so the tangent rules apply the same maps to ȧ (jvp) and ȳ̇ (soa).
class SumOp final : public TensorOp {
 public:
  explicit SumOp(bool mean) : mean_(mean) {}
  std::string_view name() const override { return mean_ ? "mean" : "sum"; }
  std::string definition(const TensorNode& n, const std::array<std::string, 3>& in) const override {
    return fmt::format("{}({}{})", name(), in[0], axis_suffix(n.axis));
  }
  std::string partial(const TensorNode& n, int) const override {
    const char* where = n.axis == -1 ? "every element" : n.axis == 0 ? "every row" : "every column";
    if (n.in[0].shape.rank < 2) where = "every element";
    if (!mean_) return fmt::format("Ḡ (copied to {})", where);
    return fmt::format("Ḡ/{} (copied to {})", groups(n).length, where);
  }

  void forward(const TensorNode& n, double* y) const override {
    const auto gs = groups(n);
    const double s = scale(gs);
    const TensorArg& a = n.in[0];
    if (gs.count == 1) {
      y[0] = ConstVectorMap(a.data, static_cast<Eigen::Index>(a.shape.size())).sum() * s;
    } else if (gs.elem_stride == 1) {  // each row
      VectorMap(y, a.shape.rows).noalias() = detail::view(a).rowwise().sum() * s;
    } else {  // each column
      Eigen::Map<Eigen::RowVectorXd>(y, a.shape.cols).noalias() =
          detail::view(a).colwise().sum() * s;
    }
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    const auto gs = groups(n);
    const double s = scale(gs);
    const Shape& sh = n.in[0].shape;
    double* abar = g.in_bar(n, 0);
    if (gs.count == 1) {
      VectorMap(abar, static_cast<Eigen::Index>(sh.size())).array() += g.ybar[0] * s;
    } else if (gs.elem_stride == 1) {
      MatrixMap(abar, sh.rows, sh.cols).colwise() += ConstVectorMap(g.ybar, sh.rows) * s;
    } else {
      MatrixMap(abar, sh.rows, sh.cols).rowwise() +=
          Eigen::Map<const Eigen::RowVectorXd>(g.ybar, sh.cols) * s;
    }
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const auto gs = groups(n);
    const std::size_t K = g.k;
    std::fill_n(g.out_dot, gs.count * K, 0.0);
    if (!n.in[0].requires_grad()) return;
    const double* adot = g.in_dot(n, 0);
    for_each_element(gs, [&](std::size_t grp, std::size_t i) {
      for (std::size_t k = 0; k < K; ++k) g.out_dot[grp * K + k] += adot[i * K + k];
    });
    const double s = scale(gs);
    if (s != 1.0) {
      for (std::size_t j = 0; j < gs.count * K; ++j) g.out_dot[j] *= s;
    }
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    const auto gs = groups(n);
    const double s = scale(gs);
    const std::size_t K = g.k;
    double* abd = g.in_bar_dot(n, 0);
    for_each_element(gs, [&](std::size_t grp, std::size_t i) {
      for (std::size_t k = 0; k < K; ++k) abd[i * K + k] += s * g.ybar_dot[grp * K + k];
    });
  }

 private:
  detail::Groups groups(const TensorNode& n) const {
    Shape reduced;
    return detail::groups_for(name(), n.in[0].shape, n.axis, &reduced);
  }
  double scale(const detail::Groups& gs) const {
    return mean_ ? 1.0 / static_cast<double>(gs.length) : 1.0;
  }
  bool mean_;
};
const SumOp kSum(false);
const SumOp kMean(true);

// y_g = log Σₑ exp(a_ge); with p = softmax(a_g): ā_ge += ȳ_g·p_e, ẏ_g = Σₑ p_e·ȧ_e,
// ā̇_e += p_e·ȳ̇_g + ȳ_g·p_e·(ȧ_e − ẏ_g).
class LogSumExpOp final : public TensorOp {
 public:
  std::string_view name() const override { return "logsumexp"; }
  std::string definition(const TensorNode& n, const std::array<std::string, 3>& in) const override {
    return fmt::format("logsumexp({}{})", in[0], axis_suffix(n.axis));
  }
  std::string partial(const TensorNode&, int) const override {
    return "Ḡ·softmax(a) (over each reduced group)";
  }

  void forward(const TensorNode& n, double* y) const override {
    const auto gs = groups(n);
    for (std::size_t grp = 0; grp < gs.count; ++grp) {
      y[grp] = detail::logsumexp_group(n.in[0].data, gs, grp);
    }
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    const auto gs = groups(n);
    const double* a = n.in[0].data;
    double* abar = g.in_bar(n, 0);
    for (std::size_t grp = 0; grp < gs.count; ++grp) {
      const detail::SoftmaxWeights p(a, gs, grp);
      const double yb = g.ybar[grp];
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(grp, e);
        abar[i] += yb * p(a[i]);
      }
    }
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const auto gs = groups(n);
    const std::size_t K = g.k;
    std::fill_n(g.out_dot, gs.count * K, 0.0);
    if (!n.in[0].requires_grad()) return;
    const double* a = n.in[0].data;
    const double* adot = g.in_dot(n, 0);
    for (std::size_t grp = 0; grp < gs.count; ++grp) {
      const detail::SoftmaxWeights p(a, gs, grp);
      double* out = g.out_dot + grp * K;
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(grp, e);
        const double pe = p(a[i]);
        for (std::size_t k = 0; k < K; ++k) out[k] += pe * adot[i * K + k];
      }
    }
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    const auto gs = groups(n);
    const std::size_t K = g.k;
    const double* a = n.in[0].data;
    const double* adot = g.in_dot(n, 0);
    double* abd = g.in_bar_dot(n, 0);
    std::vector<double> ydot(K);
    for (std::size_t grp = 0; grp < gs.count; ++grp) {
      const detail::SoftmaxWeights p(a, gs, grp);
      std::fill(ydot.begin(), ydot.end(), 0.0);
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(grp, e);
        const double pe = p(a[i]);
        for (std::size_t k = 0; k < K; ++k) ydot[k] += pe * adot[i * K + k];
      }
      const double yb = g.ybar[grp];
      const double* ybd = g.ybar_dot + grp * K;
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(grp, e);
        const double pe = p(a[i]);
        for (std::size_t k = 0; k < K; ++k) {
          abd[i * K + k] += pe * (ybd[k] + yb * (adot[i * K + k] - ydot[k]));
        }
      }
    }
  }

 private:
  detail::Groups groups(const TensorNode& n) const {
    Shape reduced;
    return detail::groups_for(name(), n.in[0].shape, n.axis, &reduced);
  }
};
const LogSumExpOp kLogSumExp;

Tensor reduce(const TensorOp& op, const Tensor& a, int axis) {
  Shape reduced;
  detail::groups_for(op.name(), a.shape(), axis, &reduced);  // validates the axis
  return detail::record(op, reduced, {&a}, [&](TensorNode& n) { n.axis = axis; });
}

}  // namespace

Var sum(const Tensor& a) {
  return reduce(kSum, a, -1).item();
}
Var mean(const Tensor& a) {
  return reduce(kMean, a, -1).item();
}
Tensor sum(const Tensor& a, int axis) {
  return reduce(kSum, a, axis);
}
Tensor mean(const Tensor& a, int axis) {
  return reduce(kMean, a, axis);
}
Var logsumexp(const Tensor& a) {
  return reduce(kLogSumExp, a, -1).item();
}
Tensor logsumexp(const Tensor& a, int axis) {
  return reduce(kLogSumExp, a, axis);
}

}  // namespace xi
