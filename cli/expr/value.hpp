#pragma once
// A value of the expression language: a scalar (xi::Var, one cheap scalar node per operation, as
// in the lecture's ξ chain) or a vector or matrix (xi::Tensor, one tensor node per operation).
// Both record on the one tape. A tensor of shape () is kept as its scalar.

#include <optional>

#include <xigrad/autodiff/tensor.hpp>
#include <xigrad/autodiff/var.hpp>

namespace xi::cli {

class Value {
 public:
  Value() = default;
  Value(Var v) : scalar_(v) {}  // NOLINT: implicit on purpose
  Value(const Tensor& t);       // NOLINT: implicit on purpose

  bool is_scalar() const noexcept { return !tensor_; }
  Shape shape() const noexcept { return tensor_ ? tensor_->shape() : Shape::scalar(); }
  std::size_t size() const noexcept { return shape().size(); }
  /// The scalar (precondition: is_scalar()).
  const Var& scalar() const noexcept { return scalar_; }
  /// The tensor; a scalar becomes a tensor of shape () that shares its slot (no node).
  Tensor tensor() const { return tensor_ ? *tensor_ : Tensor(scalar_); }
  bool is_constant() const noexcept {
    return tensor_ ? tensor_->is_constant() : scalar_.is_constant();
  }
  /// Element i (row-major) of the value.
  double element(std::size_t i) const { return tensor_ ? tensor_->data()[i] : scalar_.value(); }
  bool all_finite() const;

 private:
  Var scalar_;
  std::optional<Tensor> tensor_;
};

}  // namespace xi::cli
