// Fused, numerically stable losses. Each is one node of shape () (returned as a Var) whose rules
// are written out in full, so a loss costs one pass forward and one pass back.
//
// mse and bce_with_logits take a prediction and a target of the same shape (no broadcasting: a
// (n, 1) prediction against an (n) target is a ShapeError rather than a silent (n, n) mean).
// Both arguments may require gradients.

#include <algorithm>
#include <cmath>
#include <vector>

#include "record.hpp"

namespace xi {
namespace {

void require_same_shape(std::string_view op, const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) {
    throw ShapeError(fmt::format(
        "{}: shapes {} and {} differ (the prediction and the target must have the same shape)", op,
        a.shape(), b.shape()));
  }
}

// ------------------------------------------------------------------ mse

// y = Σᵢ dᵢ²/N with d = a − b: ā += 2ȳ·d/N, b̄ −= 2ȳ·d/N; ẏ = 2⟨d, ȧ − ḃ⟩/N;
// ā̇ += 2(ȳ̇·d + ȳ·(ȧ − ḃ))/N, b̄̇ −= the same.
class MseOp final : public TensorOp {
 public:
  std::string_view name() const override { return "mse"; }
  std::string partial(const TensorNode& n, int i) const override {
    return fmt::format("{}2·Ḡ·(a − b)/{}", i == 0 ? "" : "−", n.in[0].shape.size());
  }
  void forward(const TensorNode& n, double* y) const override {
    const std::size_t m = n.in[0].shape.size();
    const double* a = n.in[0].data;
    const double* b = n.in[1].data;
    double s = 0.0;
    for (std::size_t i = 0; i < m; ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
    y[0] = s / static_cast<double>(m);
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    const std::size_t m = n.in[0].shape.size();
    const double* a = n.in[0].data;
    const double* b = n.in[1].data;
    const double w = 2.0 * g.ybar[0] / static_cast<double>(m);
    if (n.in[0].requires_grad()) {
      double* abar = g.in_bar(n, 0);
      for (std::size_t i = 0; i < m; ++i) abar[i] += w * (a[i] - b[i]);
    }
    if (n.in[1].requires_grad()) {
      double* bbar = g.in_bar(n, 1);
      for (std::size_t i = 0; i < m; ++i) bbar[i] -= w * (a[i] - b[i]);
    }
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const std::size_t m = n.in[0].shape.size(), K = g.k;
    const double* a = n.in[0].data;
    const double* b = n.in[1].data;
    const bool ga = n.in[0].requires_grad(), gb = n.in[1].requires_grad();
    const double* adot = g.in_dot(n, 0);
    const double* bdot = g.in_dot(n, 1);
    const double w = 2.0 / static_cast<double>(m);
    std::fill_n(g.out_dot, K, 0.0);
    for (std::size_t i = 0; i < m; ++i) {
      const double d = w * (a[i] - b[i]);
      for (std::size_t k = 0; k < K; ++k) {
        g.out_dot[k] += d * ((ga ? adot[i * K + k] : 0.0) - (gb ? bdot[i * K + k] : 0.0));
      }
    }
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    const std::size_t m = n.in[0].shape.size(), K = g.k;
    const double* a = n.in[0].data;
    const double* b = n.in[1].data;
    const bool ga = n.in[0].requires_grad(), gb = n.in[1].requires_grad();
    const double* adot = g.in_dot(n, 0);
    const double* bdot = g.in_dot(n, 1);
    double* abd = g.in_bar_dot(n, 0);
    double* bbd = g.in_bar_dot(n, 1);
    const double w = 2.0 / static_cast<double>(m), yb = g.ybar[0];
    for (std::size_t i = 0; i < m; ++i) {
      const double d = a[i] - b[i];
      for (std::size_t k = 0; k < K; ++k) {
        const double diff_dot = (ga ? adot[i * K + k] : 0.0) - (gb ? bdot[i * K + k] : 0.0);
        const double v = w * (g.ybar_dot[k] * d + yb * diff_dot);
        if (ga) abd[i * K + k] += v;
        if (gb) bbd[i * K + k] -= v;
      }
    }
  }
};
const MseOp kMse;

// ------------------------------------------------------------------ bce_with_logits

// y = Σᵢ (softplus(zᵢ) − tᵢzᵢ)/N: z̄ += ȳ·(σ(z) − t)/N, t̄ −= ȳ·z/N;
// ẏ = Σᵢ ((σ(zᵢ) − tᵢ)·żᵢ − zᵢ·ṫᵢ)/N; z̄̇ += (ȳ̇·(σ(z) − t) + ȳ·(σ'(z)·ż − ṫ))/N,
// t̄̇ −= (ȳ̇·z + ȳ·ż)/N.
class BceWithLogitsOp final : public TensorOp {
 public:
  std::string_view name() const override { return "bce_with_logits"; }
  std::string partial(const TensorNode& n, int i) const override {
    const std::size_t m = n.in[0].shape.size();
    return i == 0 ? fmt::format("Ḡ·(sigmoid(z) − t)/{}", m) : fmt::format("−Ḡ·z/{}", m);
  }
  void forward(const TensorNode& n, double* y) const override {
    const std::size_t m = n.in[0].shape.size();
    const double* z = n.in[0].data;
    const double* t = n.in[1].data;
    double s = 0.0;
    for (std::size_t i = 0; i < m; ++i) s += ops::Softplus::value(z[i]) - t[i] * z[i];
    y[0] = s / static_cast<double>(m);
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    const std::size_t m = n.in[0].shape.size();
    const double* z = n.in[0].data;
    const double* t = n.in[1].data;
    const double w = g.ybar[0] / static_cast<double>(m);
    if (n.in[0].requires_grad()) {
      double* zbar = g.in_bar(n, 0);
      for (std::size_t i = 0; i < m; ++i) zbar[i] += w * (ops::stable_sigmoid(z[i]) - t[i]);
    }
    if (n.in[1].requires_grad()) {
      double* tbar = g.in_bar(n, 1);
      for (std::size_t i = 0; i < m; ++i) tbar[i] -= w * z[i];
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
      const double dz = w * (ops::stable_sigmoid(z[i]) - t[i]), dt = -w * z[i];
      for (std::size_t k = 0; k < K; ++k) {
        g.out_dot[k] += (gz ? dz * zdot[i * K + k] : 0.0) + (gt ? dt * tdot[i * K + k] : 0.0);
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
      const double r = ops::stable_sigmoid(z[i]) - t[i], h = ops::sigmoid_slope(z[i]);
      for (std::size_t k = 0; k < K; ++k) {
        const double zd = gz ? zdot[i * K + k] : 0.0, td = gt ? tdot[i * K + k] : 0.0;
        const double ybd = g.ybar_dot[k];
        if (gz) zbd[i * K + k] += w * (ybd * r + yb * (h * zd - td));
        if (gt) tbd[i * K + k] -= w * (ybd * z[i] + yb * zd);
      }
    }
  }
};
const BceWithLogitsOp kBceWithLogits;

// ------------------------------------------------------------------ softmax_cross_entropy

// y = Σᵢ (logsumexp(zᵢ) − zᵢ[ℓᵢ])/N over the N rows, with P = softmax(Z) (saved at record
// time) and E the one-hot labels: Z̄ += ȳ·(P − E)/N; ẏ = Σᵢ (⟨pᵢ, żᵢ⟩ − żᵢ[ℓᵢ])/N;
// Z̄̇ += (ȳ̇·(P − E) + ȳ·Ṗ)/N with ṗᵢ = pᵢ ⊙ (żᵢ − ⟨pᵢ, żᵢ⟩).
class SoftmaxCrossEntropyOp final : public TensorOp {
 public:
  std::string_view name() const override { return "softmax_cross_entropy"; }
  std::string definition(const TensorNode&, const std::array<std::string, 3>& in) const override {
    return fmt::format("softmax_cross_entropy({}, labels)", in[0]);
  }
  std::string partial(const TensorNode& n, int) const override {
    return fmt::format("Ḡ·(softmax(z) − onehot(labels))/{}", n.n_indices);
  }
  void forward(const TensorNode& n, double* y) const override {
    const auto gs = rows(n);
    const double* z = n.in[0].data;
    double s = 0.0;
    for (std::size_t r = 0; r < gs.count; ++r) {
      // −log softmax(z)[ℓ], with the max shift kept apart from the sum (see SoftmaxWeights).
      s -= detail::SoftmaxWeights(z, gs, r).log(z[gs.at(r, n.indices[r])]);
    }
    y[0] = s / static_cast<double>(gs.count);
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    const auto gs = rows(n);
    const double w = g.ybar[0] / static_cast<double>(gs.count);
    double* zbar = g.in_bar(n, 0);
    const std::size_t size = n.in[0].shape.size();
    for (std::size_t i = 0; i < size; ++i) zbar[i] += w * n.saved[i];
    for (std::size_t r = 0; r < gs.count; ++r) zbar[gs.at(r, n.indices[r])] -= w;
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const std::size_t K = g.k;
    std::fill_n(g.out_dot, K, 0.0);
    if (!n.in[0].requires_grad()) return;
    const auto gs = rows(n);
    const double w = 1.0 / static_cast<double>(gs.count);
    const double* p = n.saved;
    const double* zdot = g.in_dot(n, 0);
    for (std::size_t r = 0; r < gs.count; ++r) {
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(r, e);
        const double c = w * (p[i] - (e == n.indices[r] ? 1.0 : 0.0));
        for (std::size_t k = 0; k < K; ++k) g.out_dot[k] += c * zdot[i * K + k];
      }
    }
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    const auto gs = rows(n);
    const std::size_t K = g.k;
    const double w = 1.0 / static_cast<double>(gs.count), yb = g.ybar[0];
    const double* p = n.saved;
    const double* zdot = g.in_dot(n, 0);
    const double* ybd = g.ybar_dot;
    double* zbd = g.in_bar_dot(n, 0);
    std::vector<double> s(K);  // ⟨pᵢ, żᵢ⟩ per direction
    for (std::size_t r = 0; r < gs.count; ++r) {
      std::fill(s.begin(), s.end(), 0.0);
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(r, e);
        for (std::size_t k = 0; k < K; ++k) s[k] += p[i] * zdot[i * K + k];
      }
      for (std::size_t e = 0; e < gs.length; ++e) {
        const std::size_t i = gs.at(r, e);
        const double pe = p[i] - (e == n.indices[r] ? 1.0 : 0.0);
        for (std::size_t k = 0; k < K; ++k) {
          zbd[i * K + k] += w * (ybd[k] * pe + yb * p[i] * (zdot[i * K + k] - s[k]));
        }
      }
    }
  }

 private:
  static detail::Groups rows(const TensorNode& n) {
    return detail::groups_along("softmax_cross_entropy", n.in[0].shape, -1);
  }
};
const SoftmaxCrossEntropyOp kSoftmaxCrossEntropy;

}  // namespace

Var mse(const Tensor& pred, const Tensor& target) {
  require_same_shape("mse", pred, target);
  return detail::record(kMse, Shape::scalar(), {&pred, &target}).item();
}

Var bce_with_logits(const Tensor& logits, const Tensor& targets) {
  require_same_shape("bce_with_logits", logits, targets);
  return detail::record(kBceWithLogits, Shape::scalar(), {&logits, &targets}).item();
}

Var softmax_cross_entropy(const Tensor& logits, std::span<const Index> labels) {
  const Shape& s = logits.shape();
  if (s.rank == 0) {
    throw ShapeError(fmt::format(
        "softmax_cross_entropy: logits of shape {} have no classes (a vector (C) or a matrix "
        "(N, C) is needed)",
        s));
  }
  const Index n_rows = s.rank == 2 ? s.rows : 1;
  if (labels.size() != n_rows) {
    throw ShapeError(fmt::format(
        "softmax_cross_entropy: {} labels for logits of shape {} (one label per row: {})",
        labels.size(), s, n_rows));
  }
  for (std::size_t r = 0; r < labels.size(); ++r) {
    if (labels[r] >= s.cols) {
      throw Error(
          fmt::format("softmax_cross_entropy: label {} in row {} is out of range for {} classes",
                      labels[r], r, s.cols));
    }
  }
  return detail::record(kSoftmaxCrossEntropy, Shape::scalar(), {&logits},
                        [&](TensorNode& n) {
                          detail::Arena& arena = Tape::current().arena();
                          Index* idx = arena.allocate<Index>(labels.size());
                          std::copy(labels.begin(), labels.end(), idx);
                          n.indices = idx;
                          n.n_indices = n_rows;
                          if (n.slot == 0) return;  // not recorded: no backward pass will need P
                          const auto gs = detail::groups_along("softmax_cross_entropy", s, -1);
                          double* p = arena.allocate<double>(s.size());
                          for (std::size_t r = 0; r < gs.count; ++r) {
                            detail::softmax_group(logits.data(), gs, r, p);
                          }
                          n.saved = p;
                        })
      .item();
}

}  // namespace xi
