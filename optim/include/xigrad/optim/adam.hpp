#pragma once
// Adam and AdamW: torch.optim.Adam's and torch.optim.AdamW's update rules, names and defaults.
// Adam adds the weight decay to the gradient (L2 regularisation); AdamW decays the parameters
// directly (decoupled weight decay).

#include <string_view>
#include <utility>
#include <vector>

#include <xigrad/autodiff/matrix.hpp>
#include <xigrad/optim/optimizer.hpp>

namespace xi::optim {

/// Hyper-parameters of Adam (torch.optim.Adam's names and defaults).
struct AdamOptions {
  double lr = 1e-3;                                ///< learning rate
  std::pair<double, double> betas = {0.9, 0.999};  ///< (β₁, β₂): moment averaging constants
  double eps = 1e-8;                               ///< added to the denominator
  double weight_decay = 0.0;                       ///< λ (coupled in Adam, decoupled in AdamW)
  bool amsgrad = false;                            ///< use the running maximum of the second moment
};

/// Hyper-parameters of AdamW: Adam's, with weight_decay defaulting to 0.01 (torch.optim.AdamW).
struct AdamWOptions {
  double lr = 1e-3;                                ///< learning rate
  std::pair<double, double> betas = {0.9, 0.999};  ///< (β₁, β₂): moment averaging constants
  double eps = 1e-8;                               ///< added to the denominator
  double weight_decay = 1e-2;                      ///< decoupled weight decay λ
  bool amsgrad = false;                            ///< use the running maximum of the second moment
};

namespace detail {
/// The shared implementation of Adam (decoupled = false) and AdamW (decoupled = true).
class AdamBase : public Optimizer {
 public:
  void step() override;
  using Optimizer::step;
  /// The hyper-parameters (AdamW's are stored in the same form).
  const AdamOptions& options() const noexcept { return options_; }

 protected:
  AdamBase(std::vector<Parameter> params, const AdamOptions& options, bool decoupled,
           const char* who);
  void save_buffers(OptimizerState& state) const override;
  void load_buffers(const OptimizerState& state) override;

 private:
  AdamOptions options_;
  bool decoupled_;
  Vector exp_avg_;
  Vector exp_avg_sq_;
  Vector max_exp_avg_sq_;  // amsgrad only
};
}  // namespace detail

/// Adam with L2 weight decay added to the gradient; see equations().
///
/// State: "exp_avg", "exp_avg_sq", "max_exp_avg_sq" (amsgrad).
class Adam final : public detail::AdamBase {
 public:
  /// Throws xi::InputError for an invalid hyper-parameter (β outside [0, 1), negative lr, eps or
  /// weight decay).
  Adam(std::vector<Parameter> params, const AdamOptions& options = {});
  std::string_view name() const noexcept override { return "adam"; }

  /// The update rule, as printed in docs/optimizers.md.
  static constexpr std::string_view equations() {
    return "t ← t + 1\n"
           "g ← ∇f(θ) + λ·θ                        (weight_decay λ)\n"
           "m ← m + (1 − β₁)·(g − m)               (m₀ = 0)\n"
           "v ← β₂·v + (1 − β₂)·g²                 (v₀ = 0)\n"
           "v̂ ← max(v̂, v) if amsgrad, else v̂ ← v   (v̂₀ = 0)\n"
           "θ ← θ − (lr / (1 − β₁ᵗ))·m / (√v̂ / √(1 − β₂ᵗ) + ε)\n";
  }
};

/// AdamW: Adam with decoupled weight decay; see equations().
///
/// State: "exp_avg", "exp_avg_sq", "max_exp_avg_sq" (amsgrad).
class AdamW final : public detail::AdamBase {
 public:
  /// Throws xi::InputError for an invalid hyper-parameter.
  AdamW(std::vector<Parameter> params, const AdamWOptions& options = {});
  std::string_view name() const noexcept override { return "adamw"; }

  /// The update rule, as printed in docs/optimizers.md.
  static constexpr std::string_view equations() {
    return "t ← t + 1\n"
           "g ← ∇f(θ)\n"
           "θ ← θ·(1 − lr·λ)                       (weight_decay λ, decoupled)\n"
           "m ← m + (1 − β₁)·(g − m)               (m₀ = 0)\n"
           "v ← β₂·v + (1 − β₂)·g²                 (v₀ = 0)\n"
           "v̂ ← max(v̂, v) if amsgrad, else v̂ ← v   (v̂₀ = 0)\n"
           "θ ← θ − (lr / (1 − β₁ᵗ))·m / (√v̂ / √(1 − β₂ᵗ) + ε)\n";
  }
};

}  // namespace xi::optim
