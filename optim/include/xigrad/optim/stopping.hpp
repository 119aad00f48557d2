#pragma once
// Stopping rules for an optimization loop, kept apart from the loop and the update rule: an
// iteration budget, a gradient-norm tolerance, a relative loss-change tolerance, a time limit and
// divergence detection. Every run ends with a verdict: a reason string and whether it converged.
//
//   xi::optim::StoppingCriteria stop({.max_iterations = 100, .tol = 1e-8});
//   for (std::size_t k = 0;; ++k) {
//     ... evaluate loss and gradient at x_k ...
//     if (auto verdict = stop.check(k, loss, grad_norm)) break;
//     ... step ...
//   }

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace xi::optim {

/// The rules. A tolerance or limit of 0 disables that rule.
struct StoppingRules {
  std::size_t max_iterations = 1000;  ///< steps to take at most ("max_iterations")
  double tol = 1e-6;                  ///< stop when ‖∇f‖₂ ≤ tol ("gradient_tolerance")
  /// stop when |f_k − f_{k−1}| ≤ loss_change_tol·max(|f_k|, |f_{k−1}|) ("loss_change")
  double loss_change_tol = 0.0;
  double time_limit = 0.0;  ///< seconds of wall time ("time_limit")
  /// a loss above divergence_factor·max(|f₀|, 1) is divergence (as is a non-finite loss or
  /// gradient)
  double divergence_factor = 1e6;
};

/// How a run ended.
struct StopVerdict {
  /// "max_iterations", "gradient_tolerance", "loss_change", "time_limit",
  /// "diverged: loss is inf at iteration 12", "diverged: gradient is nan at iteration 3",
  /// "diverged: loss 2.1e+07 exceeds 1e+06 × max(|initial loss|, 1) at iteration 9",
  /// or a failure of the optimizer such as "line_search_failed".
  std::string reason;
  bool converged = false;  ///< true for gradient_tolerance and loss_change
  bool diverged = false;   ///< true when reason starts with "diverged:"
};

/// The state of the rules over one run (initial loss, previous loss, start time).
class StoppingCriteria {
 public:
  /// Throws xi::InputError for a negative tolerance, limit or a divergence factor ≤ 1.
  explicit StoppingCriteria(const StoppingRules& rules);

  /// Checks the point of iteration k (0 = the start) with its loss and gradient norm, in this
  /// order: divergence (non-finite loss or gradient, exploding loss), gradient tolerance, loss
  /// change, iteration budget (k = max_iterations), time limit. Returns a verdict to stop, or
  /// nothing to go on. Call it once per iteration, k = 0, 1, 2, ...
  std::optional<StopVerdict> check(std::size_t k, double loss, double grad_norm);

  const StoppingRules& rules() const noexcept { return rules_; }

 private:
  StoppingRules rules_;
  double initial_loss_ = 0.0;
  double previous_loss_ = 0.0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace xi::optim
