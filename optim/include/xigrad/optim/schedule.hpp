#pragma once
// Learning-rate schedules, kept apart from the update rules: a Schedule describes how the rate
// changes (a copyable value, e.g. in MinimizeOptions), a Scheduler runs one for a given base rate.
// The formulas are PyTorch's closed forms (StepLR, ExponentialLR, CosineAnnealingLR) and
// ReduceLROnPlateau's rules; a linear warm-up can wrap any of them.
//
//   xi::optim::Scheduler s(xi::optim::Schedule::cosine(100), opt.lr());
//   for (...) { opt.set_lr(s.lr()); opt.step(); s.step(loss); }

#include <cstddef>
#include <string>
#include <variant>

namespace xi::optim {

/// The rate stays at the base rate.
struct ConstantLR {};
/// lr = base·γ^⌊t / step_size⌋ (torch.optim.lr_scheduler.StepLR).
struct StepLR {
  std::size_t step_size = 1;
  double gamma = 0.1;
};
/// lr = base·γ^t (ExponentialLR).
struct ExponentialLR {
  double gamma = 0.9;
};
/// lr = η_min + (base − η_min)·(1 + cos(π·t / T_max)) / 2 (CosineAnnealingLR's closed form).
struct CosineAnnealingLR {
  std::size_t T_max = 100;  // NOLINT(readability-identifier-naming): PyTorch's name
  double eta_min = 0.0;
};
/// ReduceLROnPlateau (mode "min"): after more than `patience` steps without a loss better than
/// the best so far (relatively: loss < best·(1 − threshold); absolutely: loss < best −
/// threshold), lr ← max(lr·factor, min_lr) (unless that changes it by eps or less), then
/// `cooldown` steps in which bad steps are not counted.
struct ReduceLROnPlateau {
  double factor = 0.1;
  std::size_t patience = 10;
  double threshold = 1e-4;
  bool relative_threshold = true;  ///< threshold_mode "rel" (true) or "abs" (false)
  std::size_t cooldown = 0;
  double min_lr = 0.0;
  double eps = 1e-8;
};

/// A learning-rate schedule: one rule and an optional linear warm-up. Warm-up multiplies the
/// rule's rate by start_factor + (1 − start_factor)·min(t, warmup_steps) / warmup_steps (like
/// LinearLR chained with the rule).
class Schedule {
 public:
  using Rule =
      std::variant<ConstantLR, StepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau>;

  /// The constant schedule.
  Schedule() = default;
  /// A schedule with rule `rule` (throws xi::InputError for an invalid parameter, e.g. a zero
  /// step_size or T_max, a negative γ, a factor outside (0, 1)).
  Schedule(Rule rule);  // NOLINT: implicit on purpose

  static Schedule constant() { return Schedule(); }
  static Schedule step(std::size_t step_size, double gamma = 0.1) {
    return Schedule(StepLR{step_size, gamma});
  }
  static Schedule exponential(double gamma) { return Schedule(ExponentialLR{gamma}); }
  static Schedule cosine(std::size_t t_max, double eta_min = 0.0) {
    return Schedule(CosineAnnealingLR{t_max, eta_min});
  }
  static Schedule reduce_on_plateau(const ReduceLROnPlateau& options = {}) {
    return Schedule(options);
  }
  /// `after` with a linear warm-up over the first `steps` steps from start_factor·lr (PyTorch
  /// LinearLR's default start factor 1/3). Throws xi::InputError if start_factor is not in (0, 1].
  static Schedule warmup(std::size_t steps, Schedule after, double start_factor = 1.0 / 3.0);

  const Rule& rule() const noexcept { return rule_; }
  std::size_t warmup_steps() const noexcept { return warmup_steps_; }
  double warmup_start_factor() const noexcept { return warmup_start_; }
  /// A short description, e.g. "cosine(T_max=100, eta_min=0) after 10 warm-up steps".
  std::string describe() const;

 private:
  Rule rule_{};
  std::size_t warmup_steps_ = 0;
  double warmup_start_ = 1.0;
};

/// What a Scheduler carries between steps, for saving and resuming.
struct SchedulerState {
  std::size_t t = 0;                 ///< steps taken
  double plateau_lr = 0.0;           ///< ReduceLROnPlateau's current rate
  double best = 0.0;                 ///< best loss seen (plateau)
  std::size_t num_bad = 0;           ///< steps since the last improvement (plateau)
  std::size_t cooldown_counter = 0;  ///< cooldown steps left (plateau)
  bool operator==(const SchedulerState&) const = default;
};

/// A schedule running for one base rate.
class Scheduler {
 public:
  /// Throws xi::InputError if base_lr is negative or not finite.
  Scheduler(Schedule schedule, double base_lr);

  /// The rate for the current step t.
  double lr() const;
  /// Moves to step t + 1; `loss` is the loss of the step just taken (ReduceLROnPlateau reads
  /// it; the other rules ignore it).
  void step(double loss);
  /// Steps taken so far.
  std::size_t t() const noexcept { return state_.t; }
  double base_lr() const noexcept { return base_lr_; }
  const Schedule& schedule() const noexcept { return schedule_; }

  SchedulerState state() const { return state_; }
  void load_state(const SchedulerState& state) { state_ = state; }

 private:
  Schedule schedule_;
  double base_lr_;
  SchedulerState state_;
};

}  // namespace xi::optim
