#pragma once
// The losses the models train with, by name. Each is one fused, numerically stable node on the
// tape (a mean over the examples); each is tested against the composition it replaces:
//
//   loss                    fused node                      composed twin
//   mse                     xi::mse                         mean(square(pred − y))
//   bce_with_logits         xi::bce_with_logits             −mean(t·log σ(z) + (1 − t)·log(1 −
//   σ(z))) softmax_cross_entropy   xi::softmax_cross_entropy       −mean(log_softmax(z)[label])
//   hinge                   xi::models::hinge (here)        mean(relu(1 − t·z))
//
// The composed forms overflow or lose precision where the fused ones do not: at z = 700,
// log(1 − σ(z)) is log(0) = −inf, while bce_with_logits computes softplus(z) − t·z = 700.
//
//   xi::Var L = xi::models::hinge(scores, targets);   // targets in {−1, +1}

#include <span>
#include <string_view>

#include <xigrad/autodiff/tensor.hpp>

namespace xi::models {

/// mean((pred − target)²) (xi::mse): the loss of linear regression.
inline Var mse_loss(const Tensor& pred, const Tensor& target) {
  return xi::mse(pred, target);
}

/// mean of softplus(z) − t·z = −[t log σ(z) + (1 − t) log(1 − σ(z))] for logits z and targets t in
/// [0, 1] (xi::bce_with_logits): the loss of logistic regression, the neuron and binary MLPs.
inline Var bce_loss(const Tensor& logits, const Tensor& targets) {
  return xi::bce_with_logits(logits, targets);
}

/// mean over rows of −log softmax(z)[label] (xi::softmax_cross_entropy): multi-class MLPs.
inline Var cross_entropy_loss(const Tensor& logits, std::span<const Index> labels) {
  return xi::softmax_cross_entropy(logits, labels);
}

/// Hinge loss mean(max(0, 1 − tᵢ·zᵢ)) of scores z against targets t ∈ {−1, +1} (the linear
/// SVM's loss), one fused node named "hinge".
///
/// Gradient: ∂/∂zᵢ = −tᵢ/N where 1 − tᵢzᵢ > 0, else 0; ∂/∂tᵢ = −zᵢ/N likewise. At the kink
/// (tᵢzᵢ = 1 exactly) the subgradient 0 is taken, as relu does at 0. The second derivative is 0
/// almost everywhere, so hessian / hvp work through it.
///
/// Throws xi::ShapeError if the shapes differ and xi::InputError if a target is not −1 or +1
/// (naming the first offending element).
Var hinge(const Tensor& scores, const Tensor& targets);

/// Maps 0/1 labels to the hinge loss's −1/+1 targets (2y − 1) for a tensor constant.
Vector to_plus_minus_one(const Vector& labels01);

/// The losses by name, as docs/models.md lists them.
enum class LossKind { mse, bce_with_logits, softmax_cross_entropy, hinge };

/// "mse", "bce_with_logits", "softmax_cross_entropy" or "hinge".
std::string_view loss_name(LossKind kind) noexcept;

/// A human description, e.g. "mean binary cross-entropy".
std::string_view loss_description(LossKind kind) noexcept;

}  // namespace xi::models
