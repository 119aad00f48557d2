#pragma once
// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and (coupled)
// weight decay: torch.optim.SGD's update rule, names and defaults. Plain (full-batch) gradient
// descent is SGD without momentum.

#include <string_view>
#include <vector>

#include <xigrad/autodiff/matrix.hpp>
#include <xigrad/optim/optimizer.hpp>

namespace xi::optim {

/// Hyper-parameters of SGD (torch.optim.SGD's names and defaults).
struct SGDOptions {
  double lr = 1e-3;           ///< learning rate
  double momentum = 0.0;      ///< momentum factor μ
  double dampening = 0.0;     ///< dampening τ for momentum
  double weight_decay = 0.0;  ///< L2 penalty λ added to the gradient
  bool nesterov = false;      ///< Nesterov momentum (needs momentum > 0 and dampening = 0)
};

/// SGD: θ ← θ − lr·g with g the (weight-decayed, momentum-averaged) gradient; see equations().
///
/// State: "momentum_buffer" (once the first step with momentum has run).
class SGD final : public Optimizer {
 public:
  /// Throws xi::InputError for an invalid hyper-parameter (negative lr, momentum or weight
  /// decay; Nesterov without momentum or with dampening).
  SGD(std::vector<Parameter> params, const SGDOptions& options = {});

  std::string_view name() const noexcept override { return "sgd"; }
  void step() override;
  using Optimizer::step;
  const SGDOptions& options() const noexcept { return options_; }

  /// The update rule, as printed in docs/optimizers.md.
  static constexpr std::string_view equations() {
    return "g ← ∇f(θ) + λ·θ                       (weight_decay λ)\n"
           "b ← g                                 (first step, when momentum μ ≠ 0)\n"
           "b ← μ·b + (1 − τ)·g                   (later steps; dampening τ)\n"
           "g ← g + μ·b if nesterov, else g ← b   (when μ ≠ 0)\n"
           "θ ← θ − lr·g\n";
  }

 protected:
  void save_buffers(OptimizerState& state) const override;
  void load_buffers(const OptimizerState& state) override;

 private:
  SGDOptions options_;
  Vector momentum_buffer_;  // empty until the first step with momentum
};

}  // namespace xi::optim
