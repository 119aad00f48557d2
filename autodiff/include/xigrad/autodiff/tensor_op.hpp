#pragma once
// The interface every tensor operation implements, built-in or user-defined. One class per
// operation holds all of it: forward value, vector–Jacobian rule, printable name and partial
// formula, and (optionally) the forward-tangent and second-order rules used by hessian / hvp /
// jacobian. A TensorNode is one recorded application of such an op.
//
// What a node may capture: pointers into the tape's arena (its value, saved intermediates, index
// lists), the input values' pointers (tape values, parameters, or borrowed constants which must
// outlive the backward pass), and a few numbers. Nothing in a node owns memory.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include <xigrad/autodiff/shape.hpp>

namespace xi {

class TensorOp;

/// An input of a tensor node: its values, its shape and its first adjoint slot (0: a constant,
/// which receives no gradient).
struct TensorArg {
  const double* data = nullptr;
  Shape shape;
  Index slot = 0;
  bool requires_grad() const noexcept { return slot != 0; }
};

/// One recorded tensor operation.
struct TensorNode {
  const TensorOp* op = nullptr;
  Index slot = 0;  // first of shape.size() consecutive adjoint slots
  Shape shape;
  double* value = nullptr;
  const TensorArg* in = nullptr;  // the inputs (in the arena)
  Index n_in = 0;
  double* saved = nullptr;         // op-specific intermediates kept for the backward pass
  const Index* indices = nullptr;  // row indices (row selection), or class labels
  Index n_indices = 0;
  std::array<double, 2> c{};  // small constants (slope, bounds, scale, ...)
  int axis = -1;              // reduction axis; -1 means over all elements
};

/// First-order rule arguments: the output adjoint ȳ and the tape's adjoint array; input i's
/// adjoint starts at adj + in[i].slot (only for inputs that require_grad()).
struct VjpArgs {
  const double* ybar = nullptr;
  double* adj = nullptr;
  double* in_bar(const TensorNode& n, Index i) const { return adj + n.in[i].slot; }
};

/// Forward-tangent arguments for K directions at once. Every slot s has K tangent values at
/// tangents + s·K (zero for constants: slot 0 is all zeros); the op fills out_dot, its own
/// (size × K) block.
struct JvpArgs {
  std::size_t k = 0;
  const double* tangents = nullptr;
  double* out_dot = nullptr;
  const double* in_dot(const TensorNode& n, Index i) const { return tangents + n.in[i].slot * k; }
};

/// Second-order adjoint arguments (the tangent of the vector–Jacobian rule): given ȳ, its
/// tangent ȳ̇ (size × K) and the inputs' tangents ẋ, the op adds to each input's ẋ̄ (at
/// bar_dot + slot·K).
struct SoaArgs {
  std::size_t k = 0;
  const double* ybar = nullptr;
  const double* ybar_dot = nullptr;
  const double* tangents = nullptr;
  double* bar_dot = nullptr;
  const double* in_dot(const TensorNode& n, Index i) const { return tangents + n.in[i].slot * k; }
  double* in_bar_dot(const TensorNode& n, Index i) const { return bar_dot + n.in[i].slot * k; }
};

/// A tensor operation. Built-in ops are stateless singletons; a user-defined op derives from
/// this class, implements at least name/forward/vjp, and is used through xi::apply.
class TensorOp {
 public:
  virtual ~TensorOp() = default;

  /// Printable name, e.g. "matmul".
  virtual std::string_view name() const = 0;
  /// Definition with the inputs' printed names substituted, e.g. "matmul(ξ1, X)".
  virtual std::string definition(const TensorNode& node,
                                 const std::array<std::string, 3>& inputs) const;
  /// The local partial (as a vector–Jacobian rule) with respect to input `i`, e.g. "Ḡ·Bᵀ".
  virtual std::string partial(const TensorNode& node, int i) const;

  /// Computes the node's value from its inputs (also used to re-evaluate a node when checking).
  virtual void forward(const TensorNode& node, double* out) const = 0;
  /// Adds ȳ·∂y/∂xᵢ to each input's adjoint.
  virtual void vjp(const TensorNode& node, const VjpArgs& args) const = 0;

  /// True when jvp and soa are implemented (needed by hessian, hvp and jacobian).
  virtual bool has_second_order() const { return false; }
  virtual void jvp(const TensorNode& node, const JvpArgs& args) const;
  virtual void soa(const TensorNode& node, const SoaArgs& args) const;
};

}  // namespace xi
