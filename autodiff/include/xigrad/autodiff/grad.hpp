#pragma once
// Differentiating a recorded computation.
//
//   backward(L)        adjoints ∂L/∂ξ for every node; parameters' grad() += ∂L/∂p
//   grad(L, x)         ∂L/∂x for chosen inputs (no change to parameters' gradients)
//   jacobian(f, x)     ∂f/∂x for f: Rⁿ → Rᵐ
//   hessian(f, x)      ∂²f/∂x² for f: Rⁿ → R, exact (second-order adjoints, no differencing)
//   hvp(f, x, v)       (∂²f/∂x²)·v without forming the Hessian

#include <functional>
#include <span>
#include <vector>

#include <xigrad/autodiff/tensor.hpp>
#include <xigrad/autodiff/var.hpp>

namespace xi {

/// Reverse sweep from L (∂L/∂L = 1). Afterwards Var::adjoint() / Tensor::adjoint() read ∂L/∂ξ,
/// and every parameter recorded on this tape has ∂L/∂p added to its grad().
/// With `check_finite`, the first node whose value or adjoint is not finite is reported as a
/// NonFiniteError naming it (id, definition, inputs).
void backward(const Var& L, bool check_finite = false);

/// ∂L/∂x. Runs a reverse sweep without touching parameters' gradients.
double grad(const Var& L, const Var& x);
std::vector<double> grad(const Var& L, std::span<const Var> xs);
Matrix grad(const Var& L, const Tensor& x);

/// A function of a parameter vector written with the engine.
using ScalarFunction = std::function<Var(const Tensor& x)>;
using VectorFunction = std::function<Tensor(const Tensor& x)>;

/// Value and gradient of f at x, recorded on a private tape.
struct ValueAndGradient {
  double value = 0;
  Vector gradient;
};
ValueAndGradient value_and_grad(const ScalarFunction& f, const Vector& x);

/// ∂f/∂x (m × n) of f: Rⁿ → Rᵐ at x.
Matrix jacobian(const VectorFunction& f, const Vector& x);
/// The Hessian ∂²f/∂x² (n × n) of f: Rⁿ → R at x, exact.
Matrix hessian(const ScalarFunction& f, const Vector& x);
/// Hessian-vector product (∂²f/∂x²)·v, exact, without forming the Hessian.
Vector hvp(const ScalarFunction& f, const Vector& x, const Vector& v);

/// Internal: the first-order reverse sweep over a recorded tape, adjoints already seeded.
void reverse_sweep(const Tape& tape, double* adj, Index from_slot);

}  // namespace xi
