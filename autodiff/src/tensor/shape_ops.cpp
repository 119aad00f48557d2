// Shape operations: reshape, row selection and slicing (mini-batches), concat. All are linear
// maps that move elements: forward and jvp copy (tangents move as blocks of K values per
// element), vjp and soa add the output's adjoints (or their tangents) back where they came from.
//
// "Rows" of a vector are its elements: a vector (n) has n rows of width 1, a matrix (r, c) has
// r rows of width c.

#include <algorithm>
#include <vector>

#include "record.hpp"

namespace xi {
namespace {

std::size_t row_width(const Shape& s) {
  return s.rank == 2 ? s.cols : 1;
}
Index row_count(const Shape& s) {
  return s.rank == 2 ? s.rows : s.cols;
}
const char* rows_word(const Shape& s) {
  return s.rank == 2 ? "rows" : "elements";
}

// dst[i] += src[i] for n values.
void add_n(const double* src, std::size_t n, double* dst) {
  for (std::size_t i = 0; i < n; ++i) dst[i] += src[i];
}

// ------------------------------------------------------------------ reshape

// y = a with a new shape (same row-major order): ā += Ḡ, ẏ = ȧ, ā̇ += Ḡ̇.
class ReshapeOp final : public TensorOp {
 public:
  std::string_view name() const override { return "reshape"; }
  std::string definition(const TensorNode& n, const std::array<std::string, 3>& in) const override {
    return fmt::format("reshape({}, {})", in[0], n.shape);
  }
  std::string partial(const TensorNode& n, int) const override {
    return fmt::format("reshape(Ḡ, {})", n.in[0].shape);
  }
  void forward(const TensorNode& n, double* y) const override {
    std::copy_n(n.in[0].data, n.shape.size(), y);
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    if (n.in[0].requires_grad()) add_n(g.ybar, n.shape.size(), g.in_bar(n, 0));
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const std::size_t m = n.shape.size() * g.k;
    if (n.in[0].requires_grad()) {
      std::copy_n(g.in_dot(n, 0), m, g.out_dot);
    } else {
      std::fill_n(g.out_dot, m, 0.0);
    }
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    if (n.in[0].requires_grad()) add_n(g.ybar_dot, n.shape.size() * g.k, g.in_bar_dot(n, 0));
  }
};
const ReshapeOp kReshape;

// ------------------------------------------------------------------ select_rows

// y[r] = a[idx[r]]: ā[idx[r]] += Ḡ[r] (repeated indices accumulate), ẏ[r] = ȧ[idx[r]],
// ā̇[idx[r]] += Ḡ̇[r].
class SelectRowsOp final : public TensorOp {
 public:
  std::string_view name() const override { return "select_rows"; }
  std::string definition(const TensorNode& n, const std::array<std::string, 3>& in) const override {
    constexpr Index kShown = 6;
    std::string list;
    for (Index r = 0; r < n.n_indices && r < kShown; ++r) {
      list += fmt::format("{}{}", r == 0 ? "" : ", ", n.indices[r]);
    }
    if (n.n_indices > kShown) list += fmt::format(", … ({} in all)", n.n_indices);
    return fmt::format("select_rows({}, [{}])", in[0], list);
  }
  std::string partial(const TensorNode&, int) const override {
    return "Ḡ row r added to row idx[r]";
  }
  void forward(const TensorNode& n, double* y) const override {
    const std::size_t w = row_width(n.in[0].shape);
    for (Index r = 0; r < n.n_indices; ++r) {
      std::copy_n(n.in[0].data + n.indices[r] * w, w, y + r * w);
    }
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    const std::size_t w = row_width(n.in[0].shape);
    double* abar = g.in_bar(n, 0);
    for (Index r = 0; r < n.n_indices; ++r) add_n(g.ybar + r * w, w, abar + n.indices[r] * w);
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const std::size_t wk = row_width(n.in[0].shape) * g.k;
    if (!n.in[0].requires_grad()) {
      std::fill_n(g.out_dot, n.n_indices * wk, 0.0);
      return;
    }
    const double* adot = g.in_dot(n, 0);
    for (Index r = 0; r < n.n_indices; ++r) {
      std::copy_n(adot + n.indices[r] * wk, wk, g.out_dot + r * wk);
    }
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    const std::size_t wk = row_width(n.in[0].shape) * g.k;
    double* abd = g.in_bar_dot(n, 0);
    for (Index r = 0; r < n.n_indices; ++r) {
      add_n(g.ybar_dot + r * wk, wk, abd + n.indices[r] * wk);
    }
  }
};
const SelectRowsOp kSelectRows;

// ------------------------------------------------------------------ slice_rows

// y = a[begin:end] (rows, kept in node.c): ā[begin:end] += Ḡ, ẏ = ȧ[begin:end],
// ā̇[begin:end] += Ḡ̇.
class SliceRowsOp final : public TensorOp {
 public:
  std::string_view name() const override { return "slice_rows"; }
  std::string definition(const TensorNode& n, const std::array<std::string, 3>& in) const override {
    return fmt::format("{}[{}:{}]", in[0], begin(n), begin(n) + row_count(n.shape));
  }
  std::string partial(const TensorNode& n, int) const override {
    return fmt::format("Ḡ into rows [{}, {}), 0 elsewhere", begin(n),
                       begin(n) + row_count(n.shape));
  }
  void forward(const TensorNode& n, double* y) const override {
    std::copy_n(n.in[0].data + offset(n), n.shape.size(), y);
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    if (n.in[0].requires_grad()) add_n(g.ybar, n.shape.size(), g.in_bar(n, 0) + offset(n));
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const std::size_t m = n.shape.size() * g.k;
    if (n.in[0].requires_grad()) {
      std::copy_n(g.in_dot(n, 0) + offset(n) * g.k, m, g.out_dot);
    } else {
      std::fill_n(g.out_dot, m, 0.0);
    }
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    if (!n.in[0].requires_grad()) return;
    add_n(g.ybar_dot, n.shape.size() * g.k, g.in_bar_dot(n, 0) + offset(n) * g.k);
  }

 private:
  static Index begin(const TensorNode& n) { return static_cast<Index>(n.c[0]); }
  static std::size_t offset(const TensorNode& n) { return begin(n) * row_width(n.in[0].shape); }
};
const SliceRowsOp kSliceRows;

// ------------------------------------------------------------------ concat

// y = [a₁, a₂, …] along an axis: each input's adjoint is its block of Ḡ (ā_i += Ḡ[block i]),
// ẏ[block i] = ȧ_i, ā̇_i += Ḡ̇[block i]. node.axis is 0 for blocks that follow each other in
// memory (rows, or vectors end to end) and 1 for blocks side by side in every row.
class ConcatOp final : public TensorOp {
 public:
  std::string_view name() const override { return "concat"; }
  std::string definition(const TensorNode& n, const std::array<std::string, 3>& in) const override {
    std::string args;
    for (Index i = 0; i < n.n_in && i < 3; ++i)
      args += fmt::format("{}{}", i == 0 ? "" : ", ", in[i]);
    if (n.n_in > 3) args += fmt::format(", … ({} in all)", n.n_in);
    return fmt::format("concat({}, axis={})", args, n.axis);
  }
  std::string partial(const TensorNode& n, int i) const override {
    std::size_t first = 0;
    for (int j = 0; j < i; ++j) first += extent(n, j);
    const std::size_t last = first + extent(n, i);
    if (n.axis == 1) return fmt::format("Ḡ[:, {}:{}]", first, last);
    if (n.shape.rank == 2) return fmt::format("Ḡ[{}:{}, :]", first, last);
    return fmt::format("Ḡ[{}:{}]", first, last);
  }
  void forward(const TensorNode& n, double* y) const override {
    blocks(n, [&](Index i, std::size_t from, std::size_t to, std::size_t len) {
      std::copy_n(n.in[i].data + from, len, y + to);
    });
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    blocks(n, [&](Index i, std::size_t from, std::size_t to, std::size_t len) {
      if (n.in[i].requires_grad()) add_n(g.ybar + to, len, g.in_bar(n, i) + from);
    });
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const std::size_t K = g.k;
    blocks(n, [&](Index i, std::size_t from, std::size_t to, std::size_t len) {
      if (n.in[i].requires_grad()) {
        std::copy_n(g.in_dot(n, i) + from * K, len * K, g.out_dot + to * K);
      } else {
        std::fill_n(g.out_dot + to * K, len * K, 0.0);
      }
    });
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    const std::size_t K = g.k;
    blocks(n, [&](Index i, std::size_t from, std::size_t to, std::size_t len) {
      if (n.in[i].requires_grad()) {
        add_n(g.ybar_dot + to * K, len * K, g.in_bar_dot(n, i) + from * K);
      }
    });
  }

 private:
  // Extent of input i along the joined axis (rows, columns or elements).
  static std::size_t extent(const TensorNode& n, int i) {
    const Shape& s = n.in[i].shape;
    if (n.axis == 1) return s.cols;
    return n.shape.rank == 2 ? s.rows : s.size();
  }
  // Calls f(input, offset in the input, offset in the output, length) for every block.
  template <class F>
  static void blocks(const TensorNode& n, F&& f) {
    if (n.axis == 0) {
      std::size_t to = 0;
      for (Index i = 0; i < n.n_in; ++i) {
        f(i, 0, to, n.in[i].shape.size());
        to += n.in[i].shape.size();
      }
      return;
    }
    std::size_t to = 0;
    for (Index r = 0; r < n.shape.rows; ++r) {
      for (Index i = 0; i < n.n_in; ++i) {
        const std::size_t w = n.in[i].shape.cols;
        f(i, r * w, to, w);
        to += w;
      }
    }
  }
};
const ConcatOp kConcat;

}  // namespace

Tensor reshape(const Tensor& a, Shape shape) {
  if (shape.size() != a.size()) {
    throw ShapeError(fmt::format("reshape: cannot reshape {} into {} ({} and {} elements)",
                                 a.shape(), shape, a.size(), shape.size()));
  }
  if (shape.rank == 0 && shape.size() != 1) {
    throw ShapeError(fmt::format("reshape: {} is not a valid shape", shape));
  }
  return detail::record(kReshape, shape, {&a});
}

Tensor select_rows(const Tensor& a, std::span<const Index> rows) {
  const Shape& s = a.shape();
  if (s.rank == 0) {
    throw ShapeError(
        fmt::format("select_rows: shape {} has no rows (a vector or a matrix is needed)", s));
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r] >= row_count(s)) {
      throw ShapeError(
          fmt::format("select_rows: index {} (at position {}) is out of range for {} {} (shape {})",
                      rows[r], r, row_count(s), rows_word(s), s));
    }
  }
  const auto k = static_cast<Index>(rows.size());
  const Shape out = s.rank == 2 ? Shape::matrix(k, s.cols) : Shape::vector(k);
  return detail::record(kSelectRows, out, {&a}, [&](TensorNode& n) {
    Index* idx = Tape::current().arena().allocate<Index>(rows.size());
    std::copy(rows.begin(), rows.end(), idx);
    n.indices = idx;
    n.n_indices = k;
  });
}

Tensor slice_rows(const Tensor& a, Index begin, Index end) {
  const Shape& s = a.shape();
  if (s.rank == 0) {
    throw ShapeError(
        fmt::format("slice_rows: shape {} has no rows (a vector or a matrix is needed)", s));
  }
  if (begin > end || end > row_count(s)) {
    throw ShapeError(fmt::format("slice_rows: {} [{}, {}) are out of range for shape {} ({} {})",
                                 rows_word(s), begin, end, s, row_count(s), rows_word(s)));
  }
  const Index k = end - begin;
  const Shape out = s.rank == 2 ? Shape::matrix(k, s.cols) : Shape::vector(k);
  return detail::record(kSliceRows, out, {&a}, [&](TensorNode& n) {
    n.c = {static_cast<double>(begin), 0.0};
  });
}

// Vectors (and scalars) join end to end into a vector when every part is one; among matrices a
// vector (n) counts as one row (1, n), as in broadcasting.
Tensor concat(std::span<const Tensor> parts, int axis) {
  if (parts.empty()) throw ShapeError("concat: needs at least one tensor");
  if (axis != 0 && axis != 1) {
    throw ShapeError(fmt::format("concat: axis {} is out of range (0 or 1)", axis));
  }
  const bool all_vectors =
      std::all_of(parts.begin(), parts.end(), [](const Tensor& t) { return t.shape().rank < 2; });
  Shape out;
  int joined = 0;  // 0: blocks follow each other in memory; 1: side by side in every row
  if (all_vectors) {
    std::size_t total = 0;
    for (const Tensor& t : parts) total += t.size();
    out = Shape::vector(static_cast<Index>(total));
  } else {
    const Shape& first = parts[0].shape();
    std::size_t total = 0;
    for (const Tensor& t : parts) {
      const Shape& s = t.shape();
      if (axis == 0 && s.cols != first.cols) {
        throw ShapeError(
            fmt::format("concat: shapes {} and {} do not fit along axis 0 ({} and {} columns)",
                        first, s, first.cols, s.cols));
      }
      if (axis == 1 && s.rows != first.rows) {
        throw ShapeError(
            fmt::format("concat: shapes {} and {} do not fit along axis 1 ({} and {} rows)", first,
                        s, first.rows, s.rows));
      }
      total += axis == 0 ? s.rows : s.cols;
    }
    const auto t = static_cast<Index>(total);
    out = axis == 0 ? Shape::matrix(t, first.cols) : Shape::matrix(first.rows, t);
    joined = axis;
  }
  std::vector<const Tensor*> ptrs;
  ptrs.reserve(parts.size());
  for (const Tensor& t : parts) ptrs.push_back(&t);
  return detail::record(kConcat, out, std::span<const Tensor* const>(ptrs),
                        [&](TensorNode& n) { n.axis = joined; });
}

}  // namespace xi
