#pragma once
// Adagrad: torch.optim.Adagrad's update rule, names and defaults.

#include <string_view>
#include <vector>

#include <xigrad/autodiff/matrix.hpp>
#include <xigrad/optim/optimizer.hpp>

namespace xi::optim {

/// Hyper-parameters of Adagrad (torch.optim.Adagrad's names and defaults).
struct AdagradOptions {
  double lr = 1e-2;                        ///< learning rate
  double lr_decay = 0.0;                   ///< learning-rate decay per step
  double weight_decay = 0.0;               ///< L2 penalty λ added to the gradient
  double initial_accumulator_value = 0.0;  ///< starting value of the sum of squares
  double eps = 1e-10;                      ///< added to the denominator
};

/// Adagrad: each component's step is scaled by the root of its accumulated squared gradients.
///
/// State: "sum" (the accumulated squared gradients).
class Adagrad final : public Optimizer {
 public:
  /// Throws xi::InputError for an invalid hyper-parameter.
  Adagrad(std::vector<Parameter> params, const AdagradOptions& options = {});

  std::string_view name() const noexcept override { return "adagrad"; }
  void step() override;
  using Optimizer::step;
  const AdagradOptions& options() const noexcept { return options_; }

  /// The update rule, as printed in docs/optimizers.md.
  static constexpr std::string_view equations() {
    return "t ← t + 1\n"
           "g ← ∇f(θ) + λ·θ                        (weight_decay λ)\n"
           "η ← lr / (1 + (t − 1)·lr_decay)\n"
           "s ← s + g²                             (s₀ = initial_accumulator_value)\n"
           "θ ← θ − η·g / (√s + ε)\n";
  }

 protected:
  void save_buffers(OptimizerState& state) const override;
  void load_buffers(const OptimizerState& state) override;

 private:
  AdagradOptions options_;
  Vector sum_;
};

}  // namespace xi::optim
