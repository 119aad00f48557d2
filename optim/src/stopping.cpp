// Stopping rules: divergence, gradient tolerance, loss change, iteration budget, time limit.

#include <xigrad/optim/stopping.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include <xigrad/optim/optimizer.hpp>

namespace xi::optim {

StoppingCriteria::StoppingCriteria(const StoppingRules& rules)
    : rules_(rules), start_(std::chrono::steady_clock::now()) {
  detail::require(rules.tol >= 0.0, "stopping rules", "tol", rules.tol, "it must be >= 0");
  detail::require(rules.loss_change_tol >= 0.0, "stopping rules", "loss_change_tol",
                  rules.loss_change_tol, "it must be >= 0");
  detail::require(rules.time_limit >= 0.0, "stopping rules", "time_limit", rules.time_limit,
                  "it must be >= 0 seconds");
  detail::require(rules.divergence_factor > 1.0, "stopping rules", "divergence_factor",
                  rules.divergence_factor, "it must be > 1");
}

std::optional<StopVerdict> StoppingCriteria::check(std::size_t k, double loss, double grad_norm) {
  const auto diverged = [](std::string why) {
    return StopVerdict{"diverged: " + std::move(why), false, true};
  };
  if (!std::isfinite(loss)) {
    return diverged(fmt::format("loss is {} at iteration {}",
                                std::isnan(loss) ? "nan"
                                : loss > 0       ? "inf"
                                                 : "-inf",
                                k));
  }
  if (!std::isfinite(grad_norm)) {
    return diverged(
        fmt::format("gradient is {} at iteration {}", std::isnan(grad_norm) ? "nan" : "inf", k));
  }
  if (k == 0) {
    initial_loss_ = loss;
  } else {
    const double limit = rules_.divergence_factor * std::max(std::abs(initial_loss_), 1.0);
    if (loss > limit) {
      return diverged(fmt::format("loss {:g} exceeds {:g} × max(|initial loss|, 1) at iteration {}",
                                  loss, rules_.divergence_factor, k));
    }
  }
  if (rules_.tol > 0.0 && grad_norm <= rules_.tol) {
    return StopVerdict{"gradient_tolerance", true, false};
  }
  if (k > 0 && rules_.loss_change_tol > 0.0 &&
      std::abs(loss - previous_loss_) <=
          rules_.loss_change_tol * std::max(std::abs(loss), std::abs(previous_loss_))) {
    return StopVerdict{"loss_change", true, false};
  }
  previous_loss_ = loss;
  if (k >= rules_.max_iterations) return StopVerdict{"max_iterations", false, false};
  if (rules_.time_limit > 0.0) {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    if (elapsed.count() >= rules_.time_limit) return StopVerdict{"time_limit", false, false};
  }
  return std::nullopt;
}

}  // namespace xi::optim
