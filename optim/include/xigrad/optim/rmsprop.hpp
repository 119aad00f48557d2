#pragma once
// RMSprop: torch.optim.RMSprop's update rule, names and defaults (including the centered variant
// and momentum).

#include <string_view>
#include <vector>

#include <xigrad/autodiff/matrix.hpp>
#include <xigrad/optim/optimizer.hpp>

namespace xi::optim {

/// Hyper-parameters of RMSprop (torch.optim.RMSprop's names and defaults).
struct RMSpropOptions {
  double lr = 1e-2;           ///< learning rate
  double alpha = 0.99;        ///< smoothing constant α of the squared-gradient average
  double eps = 1e-8;          ///< added to the denominator
  double weight_decay = 0.0;  ///< L2 penalty λ added to the gradient
  double momentum = 0.0;      ///< momentum factor μ
  bool centered = false;      ///< divide by the estimated variance instead of the raw moment
};

/// RMSprop: each component's step is scaled by the root of a running average of its squared
/// gradients.
///
/// State: "square_avg", "grad_avg" (centered), "momentum_buffer" (momentum > 0).
class RMSprop final : public Optimizer {
 public:
  /// Throws xi::InputError for an invalid hyper-parameter.
  RMSprop(std::vector<Parameter> params, const RMSpropOptions& options = {});

  std::string_view name() const noexcept override { return "rmsprop"; }
  void step() override;
  using Optimizer::step;
  const RMSpropOptions& options() const noexcept { return options_; }

  /// The update rule, as printed in docs/optimizers.md.
  static constexpr std::string_view equations() {
    return "g ← ∇f(θ) + λ·θ                        (weight_decay λ)\n"
           "v ← α·v + (1 − α)·g²                   (v₀ = 0)\n"
           "ḡ ← ḡ + (1 − α)·(g − ḡ)                (centered only; ḡ₀ = 0)\n"
           "d ← √(v − ḡ²) + ε if centered, else d ← √v + ε\n"
           "b ← μ·b + g/d, θ ← θ − lr·b            (momentum μ > 0; b₀ = 0)\n"
           "θ ← θ − lr·g/d                         (momentum μ = 0)\n";
  }

 protected:
  void save_buffers(OptimizerState& state) const override;
  void load_buffers(const OptimizerState& state) override;

 private:
  RMSpropOptions options_;
  Vector square_avg_;
  Vector grad_avg_;         // centered only
  Vector momentum_buffer_;  // momentum > 0 only
};

}  // namespace xi::optim
