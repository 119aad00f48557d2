#pragma once
// Tensor: a dense row-major value (scalar, vector or matrix) on the tape, and the tensor
// operations. Tensor ops run on Eigen kernels and record one node with a vector–Jacobian rule.
// Element-wise ops broadcast like NumPy: a scalar against anything, a vector (n) against the
// rows of an (m, n) matrix, a column (m, 1) against its columns.
//
//   xi::Parameter w(xi::Vector::Zero(d), "w");
//   xi::Tensor z = xi::matmul(xi::borrow(X), w.var());          // X w
//   xi::Var loss = xi::mean(xi::softplus(-xi::borrow(s) * z));  // logistic loss
//   xi::backward(loss);                                         // w.grad() = ∂loss/∂w

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <xigrad/autodiff/matrix.hpp>
#include <xigrad/autodiff/parameter.hpp>
#include <xigrad/autodiff/tape.hpp>
#include <xigrad/autodiff/var.hpp>

namespace xi {

class Tensor {
 public:
  /// An empty constant of shape ().
  Tensor() = default;
  /// A scalar Var as a tensor of shape () (no node is recorded).
  Tensor(const Var& v);  // NOLINT: implicit on purpose

  const Shape& shape() const noexcept { return shape_; }
  Index rows() const noexcept { return shape_.rows; }
  Index cols() const noexcept { return shape_.cols; }
  std::size_t size() const noexcept { return shape_.size(); }
  bool is_constant() const noexcept { return slot_ == 0; }
  Index slot() const noexcept { return slot_; }
  std::uint32_t generation() const noexcept { return gen_; }
  /// The values, row-major. Like every accessor that reads them (matrix, values, operator[],
  /// item, adjoint), a TapeError once the recording they live in is gone: after clear(), after
  /// the tape is destroyed, or from another thread's tape. Borrowed data is always readable.
  const double* data() const {
    if (gen_ != 0) check_current();
    return data_;
  }

  /// Values as an Eigen (rows × cols) row-major map (a vector is one row).
  ConstMatrixMap matrix() const { return ConstMatrixMap(data(), shape_.rows, shape_.cols); }
  /// A copy of the values.
  Matrix values() const { return matrix(); }
  /// Element i (row-major) as a scalar Var: no node is recorded, its gradient flows here.
  Var operator[](std::size_t i) const;
  Var operator()(Index row, Index col) const { return (*this)[std::size_t{row} * cols() + col]; }
  /// The single element of a tensor of size 1.
  Var item() const;
  /// ∂L/∂this from the last backward pass (same shape).
  Matrix adjoint() const;

  /// Internal: a tensor value at `data` with the given slot and generation.
  static Tensor make(const double* data, Shape shape, Index slot, std::uint32_t gen) noexcept {
    Tensor t;
    t.data_ = data;
    t.shape_ = shape;
    t.slot_ = slot;
    t.gen_ = gen;
    return t;
  }
  /// Internal: this value as an input of a tensor node on `tape` (checks it belongs there).
  TensorArg arg(const Tape& tape) const;
  /// Internal: throws TapeError unless this value may be read on `tape`'s current recording.
  void check(const Tape& tape) const {
    if (gen_ != 0 && gen_ != tape.generation()) tape.check(slot_ == 0 ? 1 : slot_, gen_);
  }

 private:
  // Compares generations only (never reads through data_, which may be freed).
  void check_current() const;

  static constexpr double kZero = 0.0;
  const double* data_ = &kZero;
  Shape shape_;
  Index slot_ = 0;
  std::uint32_t gen_ = 0;  // 0: borrowed data owned by the caller
};

// ------------------------------------------------------------------ making tensors
/// A constant copied into the current tape's arena (valid until the tape is cleared). Takes any
/// Eigen expression: a column vector becomes a vector (n), anything else a matrix.
Tensor constant(const double* data, Shape shape);
template <class Derived>
Tensor constant(const Eigen::MatrixBase<Derived>& values);
/// A constant that refers to the caller's data without copying: it must stay alive and
/// unchanged until backward has run. Use it for data sets.
Tensor borrow(const Matrix& values);
Tensor borrow(const Vector& values);
Tensor borrow(const double* data, Shape shape);
Tensor borrow(Matrix&&) = delete;  // a temporary would be gone before backward
Tensor borrow(Vector&&) = delete;
/// A new independent tensor variable (a leaf), values copied into the tape; takes any Eigen
/// expression like constant().
Tensor variable(const double* data, Shape shape, std::string name = {});
template <class Derived>
Tensor variable(const Eigen::MatrixBase<Derived>& values, std::string name = {});
/// A vector (n) made of scalar Vars; its gradient flows back to each of them.
Tensor stack(std::span<const Var> elements);
/// The same values, cut from the graph.
Tensor detach(const Tensor& t);

// ------------------------------------------------------------------ element-wise (broadcasting)
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double c);
Tensor operator+(double c, const Tensor& a);
Tensor operator-(const Tensor& a, double c);
Tensor operator-(double c, const Tensor& a);
Tensor operator*(const Tensor& a, double c);
Tensor operator*(double c, const Tensor& a);
Tensor operator/(const Tensor& a, double c);
Tensor operator/(double c, const Tensor& a);
Tensor operator-(const Tensor& a);
// Mixed Var/Tensor arithmetic resolves to the Tensor overloads (Var converts implicitly).
inline Tensor operator+(const Var& a, const Tensor& b) {
  return Tensor(a) + b;
}
inline Tensor operator+(const Tensor& a, const Var& b) {
  return a + Tensor(b);
}
inline Tensor operator-(const Var& a, const Tensor& b) {
  return Tensor(a) - b;
}
inline Tensor operator-(const Tensor& a, const Var& b) {
  return a - Tensor(b);
}
inline Tensor operator*(const Var& a, const Tensor& b) {
  return Tensor(a) * b;
}
inline Tensor operator*(const Tensor& a, const Var& b) {
  return a * Tensor(b);
}
inline Tensor operator/(const Var& a, const Tensor& b) {
  return Tensor(a) / b;
}
inline Tensor operator/(const Tensor& a, const Var& b) {
  return a / Tensor(b);
}

Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor log1p(const Tensor& a);
Tensor expm1(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor square(const Tensor& a);
Tensor reciprocal(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor sin(const Tensor& a);
Tensor cos(const Tensor& a);
Tensor tan(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor sigmoid(const Tensor& a);
Tensor softplus(const Tensor& a);
Tensor relu(const Tensor& a);
Tensor leaky_relu(const Tensor& a, double slope = 0.01);
Tensor clamp(const Tensor& a, double lo, double hi);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, double c);
Tensor pow(double c, const Tensor& a);
Tensor min(const Tensor& a, const Tensor& b);
Tensor max(const Tensor& a, const Tensor& b);
/// Element-wise `cond ? a : b` with a constant mask (non-zero = true), broadcasting.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// ------------------------------------------------------------------ reductions
/// Sum / mean of all elements.
Var sum(const Tensor& a);
Var mean(const Tensor& a);
/// Sum / mean along an axis of a matrix: axis 0 gives a vector (cols), axis 1 a vector (rows).
Tensor sum(const Tensor& a, int axis);
Tensor mean(const Tensor& a, int axis);
/// log Σ exp, computed as m + log Σ exp(a − m) with m the maximum (never overflows).
Var logsumexp(const Tensor& a);
Tensor logsumexp(const Tensor& a, int axis);
/// Softmax and its log along an axis (default: the last, i.e. each row of a matrix).
Tensor softmax(const Tensor& a, int axis = -1);
Tensor log_softmax(const Tensor& a, int axis = -1);

// ------------------------------------------------------------------ linear algebra and shape
/// Σ aᵢ bᵢ for two tensors of the same size.
Var dot(const Tensor& a, const Tensor& b);
/// Matrix product; a vector operand acts as a column on the right, a row on the left.
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor transpose(const Tensor& a);
/// Same values, new shape (same number of elements).
Tensor reshape(const Tensor& a, Shape shape);
/// Rows `rows` of a matrix (or elements of a vector), in that order (mini-batches).
Tensor select_rows(const Tensor& a, std::span<const Index> rows);
/// Rows [begin, end) of a matrix (or elements of a vector).
Tensor slice_rows(const Tensor& a, Index begin, Index end);
/// Joins along an axis (0: stack rows, 1: side by side; vectors join end to end).
Tensor concat(std::span<const Tensor> parts, int axis = 0);

// ------------------------------------------------------------------ fused, stable losses
/// mean((pred − target)²); both of the same shape (no broadcasting).
Var mse(const Tensor& pred, const Tensor& target);
/// mean of −[t log σ(z) + (1 − t) log(1 − σ(z))], computed as softplus(z) − t·z; logits and
/// targets of the same shape (no broadcasting).
Var bce_with_logits(const Tensor& logits, const Tensor& targets);
/// mean over rows of −log softmax(z)[label]; labels are class indices, one per row.
Var softmax_cross_entropy(const Tensor& logits, std::span<const Index> labels);

// ------------------------------------------------------------------ user-defined operations
/// Records a user-defined operation (a class derived from TensorOp) applied to `inputs`, with
/// output shape `shape` and up to two constants (node.c) its rules may read. The op object must
/// outlive every recording that uses it. See docs/custom-ops.md.
Tensor apply(const TensorOp& op, std::span<const Tensor> inputs, Shape shape,
             std::array<double, 2> constants = {});

namespace detail {
template <class Derived>
std::pair<Matrix, Shape> values_and_shape(const Eigen::MatrixBase<Derived>& v) {
  if constexpr (Derived::ColsAtCompileTime == 1) {
    return {Matrix(v.transpose()), Shape::vector(static_cast<Index>(v.size()))};
  } else {
    return {Matrix(v), Shape::matrix(static_cast<Index>(v.rows()), static_cast<Index>(v.cols()))};
  }
}
}  // namespace detail

template <class Derived>
Tensor constant(const Eigen::MatrixBase<Derived>& values) {
  const auto [m, shape] = detail::values_and_shape(values);
  return constant(m.data(), shape);
}

template <class Derived>
Tensor variable(const Eigen::MatrixBase<Derived>& values, std::string name) {
  const auto [m, shape] = detail::values_and_shape(values);
  return variable(m.data(), shape, std::move(name));
}

}  // namespace xi
