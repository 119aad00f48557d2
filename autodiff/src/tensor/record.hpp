#pragma once
// Internal helpers shared by the tensor operations: recording a node, Eigen views, broadcasting.

#include <cmath>
#include <initializer_list>
#include <span>

#include <fmt/format.h>

#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/tensor.hpp>

namespace xi::detail {

/// Records `op` on the current tape with `inputs` and output `shape`, runs `setup(node)` (to set
/// constants, axis, indices and saved buffers) and then the op's forward. When no input needs a
/// gradient, or under NoGrad, nothing is recorded and the result is a constant.
template <class Setup>
Tensor record(const TensorOp& op, Shape shape, std::span<const Tensor* const> inputs,
              Setup&& setup) {
  Tape& tape = Tape::current();
  bool needs_grad = false;
  for (const Tensor* t : inputs) {
    t->check(tape);
    needs_grad = needs_grad || !t->is_constant();
  }
  const bool rec = needs_grad && tape.recording();
  auto* args = tape.arena().allocate<TensorArg>(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) args[i] = inputs[i]->arg(tape);
  TensorNode local;
  TensorNode* node = &local;
  if (rec) {
    node = &tape.push_tensor(op, shape);
  } else {
    local.op = &op;
    local.shape = shape;
    local.value = tape.arena().allocate<double>(shape.size());
  }
  node->in = args;
  node->n_in = static_cast<Index>(inputs.size());
  setup(*node);
  op.forward(*node, node->value);
  return Tensor::make(node->value, shape, rec ? node->slot : 0, tape.generation());
}

template <class Setup>
Tensor record(const TensorOp& op, Shape shape, std::initializer_list<const Tensor*> inputs,
              Setup&& setup) {
  return record(op, shape, std::span<const Tensor* const>(inputs.begin(), inputs.size()),
                std::forward<Setup>(setup));
}

inline Tensor record(const TensorOp& op, Shape shape, std::initializer_list<const Tensor*> inputs) {
  return record(op, shape, inputs, [](TensorNode&) {});
}

/// (rows × cols) row-major views of an input / the output.
inline ConstMatrixMap view(const TensorArg& a) {
  return ConstMatrixMap(a.data, a.shape.rows, a.shape.cols);
}

/// Index arithmetic for NumPy broadcasting of rank ≤ 2 shapes.
struct Broadcast {
  Index rs = 0, cs = 0;  // row and column strides into the input (0 along a broadcast axis)
  static Broadcast of(const Shape& in, const Shape& out) {
    return {in.rows == 1 && out.rows != 1 ? 0u : in.cols, in.cols == 1 && out.cols != 1 ? 0u : 1u};
  }
  std::size_t at(Index r, Index c) const { return std::size_t{r} * rs + std::size_t{c} * cs; }
};

/// The broadcast shape of two operands, or a ShapeError naming the op and both shapes.
Shape broadcast_shape(std::string_view op, const Shape& a, const Shape& b);

/// A group structure for reductions along an axis: `count` groups of `length` elements,
/// element e of group g at g·group_stride + e·elem_stride.
struct Groups {
  std::size_t count = 1, length = 1, group_stride = 0, elem_stride = 1;
  std::size_t at(std::size_t g, std::size_t e) const { return g * group_stride + e * elem_stride; }
};
/// Groups of `shape` for a reduction along `axis` (-1: all elements) and the reduced shape.
Groups groups_for(std::string_view op, const Shape& shape, int axis, Shape* reduced);
/// Groups along the last axis by default (softmax): axis -1 means "each row".
Groups groups_along(std::string_view op, const Shape& shape, int axis);

/// One group's log-sum-exp kept in two parts: the maximum m and Σ = Σ exp(a − m) ∈ [1, length].
/// The log-sum-exp is m + log Σ, the softmax weights exp(a − m)/Σ and their logs (a − m) − log Σ;
/// every formula that needs them uses these, never exp(a − lse) or a − lse, which would add m
/// back and subtract it again and so inherit the rounding of lse (|m|·ε: 0.47 instead of 0.5 at
/// m = 10¹⁵, 1 at 10¹⁶). When m is infinite the weights are limits: m = +∞ shares the weight
/// equally among the +∞ entries; m = −∞ (every entry −∞) gives every entry 1/length, the limit
/// along equal entries. A NaN entry makes everything NaN.
class SoftmaxWeights {
 public:
  SoftmaxWeights(const double* a, const Groups& gs, std::size_t g);
  /// log Σ exp of the group: +∞ with a +∞ entry, −∞ when every entry is −∞.
  double lse() const noexcept { return finite_ ? m_ + log_sum_ : m_; }
  /// The softmax weight of an entry of value a.
  double operator()(double a) const {
    if (finite_) return std::exp(a - m_) * inv_sum_;
    return limit(a);
  }
  /// Its log: log_softmax.
  double log(double a) const {
    if (finite_) return (a - m_) - log_sum_;
    return std::log(limit(a));
  }

 private:
  double limit(double a) const noexcept;
  double m_;
  double inv_sum_ = 0.0, log_sum_ = 0.0;
  double share_ = 0.0;  // weight of each tied entry when m is infinite
  bool finite_ = false;
};

/// Stable log Σ exp of group g (m + log Σ exp(a − m)); a +∞ entry gives +∞, all −∞ gives −∞.
double logsumexp_group(const double* a, const Groups& gs, std::size_t g);
/// Writes the softmax of group g at the group's positions in p; returns its log-sum-exp.
double softmax_group(const double* a, const Groups& gs, std::size_t g, double* p);

}  // namespace xi::detail
