// Learning-rate schedules: PyTorch's closed forms and ReduceLROnPlateau's rules, with an optional
// linear warm-up.

#include <xigrad/optim/schedule.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include <xigrad/autodiff/error.hpp>
#include <xigrad/optim/optimizer.hpp>

namespace xi::optim {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

void validate(const Schedule::Rule& rule) {
  std::visit(Overloaded{
                 [](const ConstantLR&) {},
                 [](const StepLR& r) {
                   detail::require(r.step_size >= 1, "StepLR", "step_size",
                                   static_cast<double>(r.step_size), "it must be >= 1");
                   detail::require(std::isfinite(r.gamma) && r.gamma >= 0.0, "StepLR", "gamma",
                                   r.gamma, "it must be >= 0");
                 },
                 [](const ExponentialLR& r) {
                   detail::require(std::isfinite(r.gamma) && r.gamma >= 0.0, "ExponentialLR",
                                   "gamma", r.gamma, "it must be >= 0");
                 },
                 [](const CosineAnnealingLR& r) {
                   detail::require(r.T_max >= 1, "CosineAnnealingLR", "T_max",
                                   static_cast<double>(r.T_max), "it must be >= 1");
                   detail::require(std::isfinite(r.eta_min) && r.eta_min >= 0.0,
                                   "CosineAnnealingLR", "eta_min", r.eta_min, "it must be >= 0");
                 },
                 [](const ReduceLROnPlateau& r) {
                   detail::require(r.factor > 0.0 && r.factor < 1.0, "ReduceLROnPlateau", "factor",
                                   r.factor, "it must be in (0, 1)");
                   detail::require(std::isfinite(r.threshold) && r.threshold >= 0.0,
                                   "ReduceLROnPlateau", "threshold", r.threshold,
                                   "it must be >= 0");
                   detail::require(std::isfinite(r.min_lr) && r.min_lr >= 0.0, "ReduceLROnPlateau",
                                   "min_lr", r.min_lr, "it must be >= 0");
                   detail::require(std::isfinite(r.eps) && r.eps >= 0.0, "ReduceLROnPlateau", "eps",
                                   r.eps, "it must be >= 0");
                 },
             },
             rule);
}

}  // namespace

Schedule::Schedule(Rule rule) : rule_(rule) {
  validate(rule_);
}

Schedule Schedule::warmup(std::size_t steps, Schedule after, double start_factor) {
  detail::require(start_factor > 0.0 && start_factor <= 1.0, "warmup", "start_factor", start_factor,
                  "it must be in (0, 1]");
  after.warmup_steps_ = steps;
  after.warmup_start_ = start_factor;
  return after;
}

std::string Schedule::describe() const {
  std::string s = std::visit(
      Overloaded{
          [](const ConstantLR&) { return std::string("constant"); },
          [](const StepLR& r) {
            return fmt::format("step(step_size={}, gamma={})", r.step_size, r.gamma);
          },
          [](const ExponentialLR& r) { return fmt::format("exponential(gamma={})", r.gamma); },
          [](const CosineAnnealingLR& r) {
            return fmt::format("cosine(T_max={}, eta_min={})", r.T_max, r.eta_min);
          },
          [](const ReduceLROnPlateau& r) {
            return fmt::format(
                "reduce_on_plateau(factor={}, patience={}, threshold={}, threshold_mode={}, "
                "cooldown={}, min_lr={})",
                r.factor, r.patience, r.threshold, r.relative_threshold ? "rel" : "abs", r.cooldown,
                r.min_lr);
          },
      },
      rule_);
  if (warmup_steps_ > 0) {
    s += fmt::format(" after {} warm-up steps from {}·lr", warmup_steps_, warmup_start_);
  }
  return s;
}

Scheduler::Scheduler(Schedule schedule, double base_lr)
    : schedule_(std::move(schedule)), base_lr_(base_lr) {
  detail::require(std::isfinite(base_lr) && base_lr >= 0.0, "Scheduler", "base_lr", base_lr,
                  "it must be finite and >= 0");
  state_.plateau_lr = base_lr;
  state_.best = std::numeric_limits<double>::infinity();
}

double Scheduler::lr() const {
  const auto t = static_cast<double>(state_.t);
  double lr = std::visit(
      Overloaded{
          [&](const ConstantLR&) { return base_lr_; },
          [&](const StepLR& r) {
            return base_lr_ * std::pow(r.gamma, static_cast<double>(state_.t / r.step_size));
          },
          [&](const ExponentialLR& r) { return base_lr_ * std::pow(r.gamma, t); },
          [&](const CosineAnnealingLR& r) {
            return r.eta_min +
                   (base_lr_ - r.eta_min) *
                       (1 + std::cos(std::numbers::pi * t / static_cast<double>(r.T_max))) / 2;
          },
          [&](const ReduceLROnPlateau&) { return state_.plateau_lr; },
      },
      schedule_.rule());
  const std::size_t w = schedule_.warmup_steps();
  if (w > 0) {
    const double start = schedule_.warmup_start_factor();
    const double progress = static_cast<double>(std::min(state_.t, w)) / static_cast<double>(w);
    lr *= start + (1.0 - start) * progress;
  }
  return lr;
}

void Scheduler::step(double loss) {
  ++state_.t;
  const auto* plateau = std::get_if<ReduceLROnPlateau>(&schedule_.rule());
  if (plateau == nullptr) return;
  // ReduceLROnPlateau.step(metrics), mode "min"
  const ReduceLROnPlateau& r = *plateau;
  const bool better = r.relative_threshold ? loss < state_.best * (1.0 - r.threshold)
                                           : loss < state_.best - r.threshold;
  if (better) {
    state_.best = loss;
    state_.num_bad = 0;
  } else {
    ++state_.num_bad;
  }
  if (state_.cooldown_counter > 0) {  // in cooldown: ignore bad steps
    --state_.cooldown_counter;
    state_.num_bad = 0;
  }
  if (state_.num_bad > r.patience) {
    const double old_lr = state_.plateau_lr;
    const double new_lr = std::max(old_lr * r.factor, r.min_lr);
    if (old_lr - new_lr > r.eps) state_.plateau_lr = new_lr;
    state_.cooldown_counter = r.cooldown;
    state_.num_bad = 0;
  }
}

}  // namespace xi::optim
