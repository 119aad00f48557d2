// Linear algebra: dot, matmul, transpose. Every rule runs on Eigen maps of the tape's buffers
// (GEMM / GEMV, no temporaries on the first-order path, no gradient for constant inputs).
//
// Tangent layout. A value of shape (r × c) has tangents (r × c × K), element-major. Viewed as an
// (r × c·K) row-major matrix, a product that contracts the first index (A·Ḃ, Aᵀ·Ḡ̇) is one GEMM.
// A product that contracts the middle index (Ȧ·B) swaps the first two indices of the
// (r × c × K) array first, multiplies, and swaps back; when either index has extent 1 the swap
// is the identity and no copy is made.

#include <algorithm>
#include <vector>

#include "record.hpp"

namespace xi {
namespace {

using ConstRowMap = Eigen::Map<const Eigen::RowVectorXd>;
using RowMap = Eigen::Map<Eigen::RowVectorXd>;

// dst[b][a][k] = src[a][b][k] for src of extents (d0, d1, K).
void swap01(const double* src, std::size_t d0, std::size_t d1, std::size_t K, double* dst) {
  for (std::size_t a = 0; a < d0; ++a) {
    for (std::size_t b = 0; b < d1; ++b)
      std::copy_n(src + (a * d1 + b) * K, K, dst + (b * d0 + a) * K);
  }
}

// dst[b][a][k] += src[a][b][k] for src of extents (d0, d1, K).
void add_swap01(const double* src, std::size_t d0, std::size_t d1, std::size_t K, double* dst) {
  for (std::size_t a = 0; a < d0; ++a) {
    for (std::size_t b = 0; b < d1; ++b) {
      const double* s = src + (a * d1 + b) * K;
      double* d = dst + (b * d0 + a) * K;
      for (std::size_t k = 0; k < K; ++k) d[k] += s[k];
    }
  }
}

// src (d0 × d1 × K) with its first two indices swapped, as a (d1 × d0·K) matrix.
ConstMatrixMap swapped(const double* src, std::size_t d0, std::size_t d1, std::size_t K,
                       Matrix& buffer) {
  const auto rows = static_cast<Eigen::Index>(d1), cols = static_cast<Eigen::Index>(d0 * K);
  if (d0 == 1 || d1 == 1) return ConstMatrixMap(src, rows, cols);
  buffer.resize(rows, cols);
  swap01(src, d0, d1, K, buffer.data());
  return ConstMatrixMap(buffer.data(), rows, cols);
}

// dst[b][a][k] += P[a][b·K + k] for the product P = lhs·rhs of shape (d0 × d1·K).
template <class L, class R>
void add_product_swapped(const L& lhs, const R& rhs, std::size_t d0, std::size_t d1, std::size_t K,
                         double* dst) {
  const auto rows = static_cast<Eigen::Index>(d0), cols = static_cast<Eigen::Index>(d1 * K);
  if (d0 == 1 || d1 == 1) {
    MatrixMap(dst, rows, cols).noalias() += lhs * rhs;
    return;
  }
  Matrix p(rows, cols);
  p.noalias() = lhs * rhs;
  add_swap01(p.data(), d0, d1, K, dst);
}

// C = A·Ḃ (A: m × p, Ḃ: p × w) when every column of Ḃ is zero or a single exact 1, as when the
// directions are unit vectors (the Hessian's seed V = I): a gather of A's columns instead of a
// GEMM. Returns false, writing nothing, for any other Ḃ; the scan stops at its first other value.
bool gather_columns(const double* A, const double* bdot, std::size_t m, std::size_t p,
                    std::size_t w, double* C) {
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::vector<std::size_t> src(w, kNone);
  for (std::size_t j = 0; j < p; ++j) {
    for (std::size_t c = 0; c < w; ++c) {
      const double v = bdot[j * w + c];
      if (v == 0.0) continue;
      if (v != 1.0 || src[c] != kNone) return false;
      src[c] = j;
    }
  }
  for (std::size_t i = 0; i < m; ++i) {
    const double* a = A + i * p;
    double* out = C + i * w;
    for (std::size_t c = 0; c < w; ++c) out[c] = src[c] == kNone ? 0.0 : a[src[c]];
  }
  return true;
}

// ------------------------------------------------------------------ dot

// y = Σᵢ aᵢbᵢ: ā += ȳ·b, b̄ += ȳ·a; ẏ = bᵀȧ + aᵀḃ; ā̇ += b·ȳ̇ + ȳ·ḃ, b̄̇ += a·ȳ̇ + ȳ·ȧ.
class DotOp final : public TensorOp {
 public:
  std::string_view name() const override { return "dot"; }
  std::string definition(const TensorNode&, const std::array<std::string, 3>& in) const override {
    return fmt::format("{}·{}", in[0], in[1]);
  }
  std::string partial(const TensorNode&, int i) const override { return i == 0 ? "Ḡ·b" : "Ḡ·a"; }

  void forward(const TensorNode& n, double* y) const override { y[0] = vec(n, 0).dot(vec(n, 1)); }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    const auto m = len(n);
    if (n.in[0].requires_grad()) VectorMap(g.in_bar(n, 0), m) += g.ybar[0] * vec(n, 1);
    if (n.in[1].requires_grad()) VectorMap(g.in_bar(n, 1), m) += g.ybar[0] * vec(n, 0);
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const auto m = len(n), K = static_cast<Eigen::Index>(g.k);
    RowMap out(g.out_dot, K);
    out.setZero();
    if (n.in[0].requires_grad()) {
      out.noalias() += vec(n, 1).transpose() * ConstMatrixMap(g.in_dot(n, 0), m, K);
    }
    if (n.in[1].requires_grad()) {
      out.noalias() += vec(n, 0).transpose() * ConstMatrixMap(g.in_dot(n, 1), m, K);
    }
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    const auto m = len(n), K = static_cast<Eigen::Index>(g.k);
    const ConstRowMap ybd(g.ybar_dot, K);
    const double yb = g.ybar[0];
    for (Index i = 0; i < 2; ++i) {
      if (!n.in[i].requires_grad()) continue;
      const Index j = 1 - i;  // the other operand
      MatrixMap d(g.in_bar_dot(n, i), m, K);
      d.noalias() += vec(n, j) * ybd;
      if (n.in[j].requires_grad()) d += yb * ConstMatrixMap(g.in_dot(n, j), m, K);
    }
  }

 private:
  static Eigen::Index len(const TensorNode& n) {
    return static_cast<Eigen::Index>(n.in[0].shape.size());
  }
  static ConstVectorMap vec(const TensorNode& n, Index i) {
    return ConstVectorMap(n.in[i].data, len(n));
  }
};
const DotOp kDot;

// ------------------------------------------------------------------ matmul

// C = A·B viewed as (m × p)·(p × n): a vector on the left is a row (1 × p), on the right a
// column (p × 1).
struct Dims {
  Eigen::Index m = 0, p = 0, n = 0;
};

Dims matmul_dims(const Shape& a, const Shape& b) {
  if (a.rank == 0 || b.rank == 0) {
    throw ShapeError(fmt::format(
        "matmul: shapes {} and {} do not fit (the operands must be vectors or matrices)", a, b));
  }
  const Index pa = a.cols, pb = b.rank == 2 ? b.rows : b.cols;
  if (pa != pb) {
    throw ShapeError(fmt::format("matmul: shapes {} and {} do not fit (inner dimensions {} and {})",
                                 a, b, pa, pb));
  }
  return {a.rank == 2 ? a.rows : 1, pa, b.rank == 2 ? b.cols : 1};
}

Shape matmul_shape(const Shape& a, const Shape& b) {
  const Dims d = matmul_dims(a, b);
  const auto m = static_cast<Index>(d.m), n = static_cast<Index>(d.n);
  if (a.rank == 2 && b.rank == 2) return Shape::matrix(m, n);
  if (a.rank == 2) return Shape::vector(m);
  if (b.rank == 2) return Shape::vector(n);
  return Shape::scalar();
}

// C = A·B: Ā += Ḡ·Bᵀ, B̄ += Aᵀ·Ḡ; Ċ = Ȧ·B + A·Ḃ; Ā̇ += Ḡ̇·Bᵀ + Ḡ·Ḃᵀ, B̄̇ += Aᵀ·Ḡ̇ + Ȧᵀ·Ḡ.
class MatmulOp final : public TensorOp {
 public:
  std::string_view name() const override { return "matmul"; }
  std::string definition(const TensorNode&, const std::array<std::string, 3>& in) const override {
    return fmt::format("{}·{}", in[0], in[1]);
  }
  std::string partial(const TensorNode&, int i) const override { return i == 0 ? "Ḡ·Bᵀ" : "Aᵀ·Ḡ"; }

  void forward(const TensorNode& nd, double* c) const override {
    const Dims d = dims(nd);
    MatrixMap(c, d.m, d.n).noalias() = a(nd, d) * b(nd, d);
  }
  void vjp(const TensorNode& nd, const VjpArgs& g) const override {
    const Dims d = dims(nd);
    const ConstMatrixMap G(g.ybar, d.m, d.n);
    if (nd.in[0].requires_grad()) {
      MatrixMap(g.in_bar(nd, 0), d.m, d.p).noalias() += G * b(nd, d).transpose();
    }
    if (nd.in[1].requires_grad()) {
      MatrixMap(g.in_bar(nd, 1), d.p, d.n).noalias() += a(nd, d).transpose() * G;
    }
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& nd, const JvpArgs& g) const override {
    const Dims d = dims(nd);
    const auto K = static_cast<Eigen::Index>(g.k);
    const std::size_t m = d.m, p = d.p, n = d.n;
    MatrixMap C(g.out_dot, d.m, d.n * K);
    // A·Ḃ: Ḃ as (p × n·K).
    if (nd.in[1].requires_grad()) {
      if (!gather_columns(nd.in[0].data, g.in_dot(nd, 1), m, p, n * g.k, g.out_dot)) {
        C.noalias() = a(nd, d) * ConstMatrixMap(g.in_dot(nd, 1), d.p, d.n * K);
      }
    } else {
      C.setZero();
    }
    // Ȧ·B: Ċ[i][l][k] += Σⱼ Ȧ[i][j][k]·B[j][l], i.e. (Bᵀ · Ȧ swapped to [j][i][k]) swapped back.
    if (nd.in[0].requires_grad()) {
      Matrix buffer;
      const ConstMatrixMap adot = swapped(g.in_dot(nd, 0), m, p, g.k, buffer);
      add_product_swapped(b(nd, d).transpose(), adot, n, m, g.k, g.out_dot);
    }
  }
  void soa(const TensorNode& nd, const SoaArgs& g) const override {
    const Dims d = dims(nd);
    const auto K = static_cast<Eigen::Index>(g.k);
    const std::size_t m = d.m, p = d.p, n = d.n;
    const bool ga = nd.in[0].requires_grad(), gb = nd.in[1].requires_grad();
    const ConstMatrixMap G(g.ybar, d.m, d.n);
    Matrix buffer;
    if (ga) {
      double* abd = g.in_bar_dot(nd, 0);  // (m × p × K)
      // Ḡ̇·Bᵀ: Ā̇[i][j][k] += Σₗ B[j][l]·Ḡ̇[i][l][k].
      const ConstMatrixMap gdot = swapped(g.ybar_dot, m, n, g.k, buffer);
      add_product_swapped(b(nd, d), gdot, p, m, g.k, abd);
      // Ḡ·Ḃᵀ: Ā̇[i][j][k] += Σₗ Ḡ[i][l]·Ḃ[j][l][k].
      if (gb) {
        const ConstMatrixMap bdot = swapped(g.in_dot(nd, 1), p, n, g.k, buffer);
        MatrixMap(abd, d.m, d.p * K).noalias() += G * bdot;
      }
    }
    if (gb) {
      double* bbd = g.in_bar_dot(nd, 1);  // (p × n × K)
      // Aᵀ·Ḡ̇: Ḡ̇ as (m × n·K).
      MatrixMap(bbd, d.p, d.n * K).noalias() +=
          a(nd, d).transpose() * ConstMatrixMap(g.ybar_dot, d.m, d.n * K);
      // Ȧᵀ·Ḡ: B̄̇[j][l][k] += Σᵢ Ḡ[i][l]·Ȧ[i][j][k].
      if (ga) {
        add_product_swapped(G.transpose(), ConstMatrixMap(g.in_dot(nd, 0), d.m, d.p * K), n, p, g.k,
                            bbd);
      }
    }
  }

 private:
  static Dims dims(const TensorNode& nd) { return matmul_dims(nd.in[0].shape, nd.in[1].shape); }
  static ConstMatrixMap a(const TensorNode& nd, const Dims& d) {
    return ConstMatrixMap(nd.in[0].data, d.m, d.p);
  }
  static ConstMatrixMap b(const TensorNode& nd, const Dims& d) {
    return ConstMatrixMap(nd.in[1].data, d.p, d.n);
  }
};
const MatmulOp kMatmul;

// ------------------------------------------------------------------ transpose

// Y = Aᵀ: Ā += Ḡᵀ; Ẏ[j][i] = Ȧ[i][j]; Ā̇[i][j] += Ḡ̇[j][i] (K directions ride along).
class TransposeOp final : public TensorOp {
 public:
  std::string_view name() const override { return "transpose"; }
  std::string definition(const TensorNode&, const std::array<std::string, 3>& in) const override {
    return in[0] + "ᵀ";
  }
  std::string partial(const TensorNode&, int) const override { return "Ḡᵀ"; }

  void forward(const TensorNode& n, double* y) const override {
    const Shape& s = n.in[0].shape;
    MatrixMap(y, s.cols, s.rows).noalias() = detail::view(n.in[0]).transpose();
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    const Shape& s = n.in[0].shape;
    MatrixMap(g.in_bar(n, 0), s.rows, s.cols) += ConstMatrixMap(g.ybar, s.cols, s.rows).transpose();
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const Shape& s = n.in[0].shape;
    if (!n.in[0].requires_grad()) {
      std::fill_n(g.out_dot, s.size() * g.k, 0.0);
      return;
    }
    swap01(g.in_dot(n, 0), s.rows, s.cols, g.k, g.out_dot);
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    const Shape& s = n.in[0].shape;
    add_swap01(g.ybar_dot, s.cols, s.rows, g.k, g.in_bar_dot(n, 0));
  }
};
const TransposeOp kTranspose;

}  // namespace

Var dot(const Tensor& a, const Tensor& b) {
  if (a.size() != b.size()) {
    throw ShapeError(fmt::format("dot: shapes {} and {} do not fit ({} and {} elements)", a.shape(),
                                 b.shape(), a.size(), b.size()));
  }
  return detail::record(kDot, Shape::scalar(), {&a, &b}).item();
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  return detail::record(kMatmul, matmul_shape(a.shape(), b.shape()), {&a, &b});
}

// A vector or a scalar is its own transpose (as in NumPy): no node is recorded.
Tensor transpose(const Tensor& a) {
  if (a.shape().rank < 2) return a;
  return detail::record(kTranspose, Shape::matrix(a.cols(), a.rows()), {&a});
}

}  // namespace xi
