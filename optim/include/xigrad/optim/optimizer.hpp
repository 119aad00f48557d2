#pragma once
// The optimizer interface: one base class for every update rule (SGD, Adagrad, RMSprop, Adam,
// AdamW, L-BFGS, Newton). An optimizer holds a list of xi::Parameter handles (they share their
// values and gradients with the caller's copies), reads each parameter's grad() in step() and
// updates its value(). The loop that computes gradients, the learning-rate schedule
// (schedule.hpp) and the stopping rules (stopping.hpp) live outside the update rule.
//
//   xi::Parameter w(xi::Vector::Zero(3), "w");
//   xi::optim::Adam opt({w}, {.lr = 0.01});
//   for (int i = 0; i < 100; ++i) {
//     tape.clear();
//     opt.zero_grad();
//     xi::backward(loss(w.var()));
//     opt.step();
//   }

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <xigrad/autodiff/parameter.hpp>

namespace xi::optim {

/// Everything an optimizer carries from one step to the next, as plain data that another module
/// can serialise (e.g. to JSON) and hand back to load_state().
///
/// `buffers` holds named vectors of doubles. Per-parameter buffers (e.g. Adam's "exp_avg") are the
/// concatenation over the optimizer's parameters, each in row-major order; scalars (e.g. "lr",
/// L-BFGS's "t") are vectors of one element. Restoring a state and continuing gives bit-identical
/// iterates to an uninterrupted run.
struct OptimizerState {
  std::string name;                                      ///< the optimizer's name(), e.g. "adam"
  std::uint64_t step = 0;                                ///< number of step() calls so far
  std::map<std::string, std::vector<double>> buffers{};  ///< named state vectors

  bool operator==(const OptimizerState&) const = default;
};

/// Re-evaluates the objective at the parameters' current values: it must zero the parameters'
/// gradients, record the loss, run xi::backward on it and return the loss value. L-BFGS calls it
/// several times per step (PyTorch's closure convention).
using Closure = std::function<double()>;

/// Base class of every optimizer.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// The optimizer's name as make_optimizer() knows it: "sgd", "adagrad", "rmsprop", "adam",
  /// "adamw", "lbfgs" or "newton".
  virtual std::string_view name() const noexcept = 0;

  /// One update from the gradients currently in the parameters' grad(). Optimizers that need to
  /// re-evaluate the objective (needs_closure()) throw xi::Error here; call step(closure).
  virtual void step() = 0;

  /// Calls `closure` (which refreshes the gradients) and takes one step; returns the loss the
  /// closure returned first, i.e. the loss before the step (as PyTorch does).
  virtual double step(const Closure& closure);

  /// Whether step() needs a closure (L-BFGS).
  virtual bool needs_closure() const noexcept { return false; }

  /// Sets every parameter's gradient to zero.
  void zero_grad() noexcept;

  /// The learning rate of the next step.
  double lr() const noexcept { return lr_; }
  /// Changes the learning rate (schedules call this between steps). Throws xi::InputError if
  /// `lr` is negative or not finite.
  void set_lr(double lr);

  /// Number of step() calls so far.
  std::uint64_t steps() const noexcept { return step_; }

  /// The parameters this optimizer updates (handles sharing state with the caller's copies).
  const std::vector<Parameter>& parameters() const noexcept { return params_; }
  /// Total number of scalar parameters.
  std::size_t numel() const noexcept { return numel_; }

  /// A copy of the optimizer's state: name, step count, "lr" and its buffers.
  OptimizerState state() const;
  /// Restores a state produced by state() of an optimizer of the same kind over parameters of the
  /// same sizes. Throws xi::InputError (naming the field) if the name or a buffer size does not
  /// match, a buffer holds a non-finite value or a counter is not a whole number in range; the
  /// optimizer is unchanged then.
  void load_state(const OptimizerState& state);

  /// Why the last step could not make progress, or "" if it did. L-BFGS reports
  /// "line_search_failed" (the parameters are left where they were); Newton reports
  /// "line_search_failed" or "hessian_not_finite". The minimize driver turns it into a stop
  /// reason.
  std::string_view failure() const noexcept { return failure_; }

 protected:
  /// `lr` must be finite and non-negative; every parameter must be distinct.
  Optimizer(std::vector<Parameter> params, double lr);

  /// Adds the optimizer-specific buffers to `state` (the base adds name, step and "lr").
  virtual void save_buffers(OptimizerState& state) const { (void)state; }
  /// Restores the optimizer-specific buffers (the base has checked the name).
  virtual void load_buffers(const OptimizerState& state) { (void)state; }

  /// The buffer `key` of `state`, checked to hold `size` values. Throws xi::InputError if it is
  /// missing or has another size.
  static const std::vector<double>& buffer(const OptimizerState& state, const std::string& key,
                                           std::size_t size);
  /// The one-value buffer `key` of `state` read as a count: a whole number from 0 to 2^53 (the
  /// range in which a double holds every integer). Throws xi::InputError naming the buffer and
  /// its value otherwise, so that no out-of-range double is ever converted to an integer.
  static std::uint64_t count_buffer(const OptimizerState& state, const std::string& key);
  /// Whether `state` has a buffer `key`.
  static bool has_buffer(const OptimizerState& state, const std::string& key) {
    return state.buffers.find(key) != state.buffers.end();
  }

  void set_failure(std::string_view why) { failure_ = why; }
  void clear_failure() noexcept { failure_.clear(); }
  void count_step() noexcept { ++step_; }

 private:
  std::vector<Parameter> params_;
  std::size_t numel_ = 0;
  double lr_ = 0.0;
  std::uint64_t step_ = 0;
  std::string failure_;
};

namespace detail {
/// Throws xi::InputError "<who>: <name> = <value> is invalid (<requirement>)" unless `ok`.
void require(bool ok, std::string_view who, std::string_view name, double value,
             std::string_view requirement);
}  // namespace detail

/// Euclidean norm of the gradients of all `params` taken together.
double grad_norm(std::span<const Parameter> params);

/// Scales the gradients of `params` so that their global Euclidean norm is at most `max_norm`,
/// like torch.nn.utils.clip_grad_norm_: with total norm N, every gradient is multiplied by
/// min(1, max_norm / (N + 1e-6)). Returns N (before clipping). `params` are handles: their
/// gradients are modified in place. Throws xi::InputError if `max_norm` is not positive.
double clip_grad_norm(std::span<const Parameter> params, double max_norm);

/// Clamps every gradient component of `params` to [−clip_value, clip_value], like
/// torch.nn.utils.clip_grad_value_. Throws xi::InputError if `clip_value` is not positive.
void clip_grad_value(std::span<const Parameter> params, double clip_value);

}  // namespace xi::optim
