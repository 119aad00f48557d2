// The minimize driver: the loop (evaluate, record, check the stopping rules, perturb/clip the
// gradient, step, advance the schedule) kept apart from the update rules, schedules and
// stopping rules it calls; random restarts around it.

#include <xigrad/optim/minimize.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include <xigrad/autodiff/tape.hpp>
#include <xigrad/autodiff/tensor.hpp>

namespace xi::optim {

namespace {

/// Records f at x's current value on the current tape and runs backward: x.grad() = ∇f(x).
double evaluate(const ScalarFunction& f, Parameter& x, Tape& tape) {
  tape.clear();
  x.zero_grad();
  const Var loss = f(x.var());
  if (!loss.is_constant()) backward(loss);
  return loss.value();
}

Vector as_vector(const Parameter& x) {
  return ConstVectorMap(x.data(), static_cast<Eigen::Index>(x.size()));
}

/// A standard normal draw from two uniform draws (Box–Muller), portable across platforms.
double standard_normal(std::mt19937_64& rng) {
  const double u1 = uniform01(rng()) + 0x1.0p-53;  // in (0, 1]
  const double u2 = uniform01(rng());
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

void validate(const Vector& x0, const MinimizeOptions& o) {
  if (x0.size() == 0) throw InputError("minimize: the starting point is empty");
  if (!o.names.empty() && o.names.size() != static_cast<std::size_t>(x0.size())) {
    throw InputError(fmt::format("minimize: {} parameter names given for {} parameters",
                                 o.names.size(), x0.size()));
  }
  if (o.restarts.count > 0 && !(std::isfinite(o.restarts.lo) && std::isfinite(o.restarts.hi) &&
                                o.restarts.lo < o.restarts.hi)) {
    throw InputError(fmt::format("minimize: the restart box [{}, {}] is empty or not finite",
                                 o.restarts.lo, o.restarts.hi));
  }
  detail::require(std::isfinite(o.noise.eta) && o.noise.eta >= 0.0, "minimize", "noise.eta",
                  o.noise.eta, "it must be >= 0");
  detail::require(std::isfinite(o.noise.gamma) && o.noise.gamma >= 0.0, "minimize", "noise.gamma",
                  o.noise.gamma, "it must be >= 0");
  detail::require(o.clip.max_norm >= 0.0, "minimize", "clip.max_norm", o.clip.max_norm,
                  "it must be >= 0 (0 disables)");
  detail::require(o.clip.max_value >= 0.0, "minimize", "clip.max_value", o.clip.max_value,
                  "it must be >= 0 (0 disables)");
}

/// One run from `start`.
Run run_once(const ScalarFunction& f, const Vector& start, const OptimizerSpec& spec,
             const MinimizeOptions& o, std::size_t run_index, std::string label,
             const std::vector<std::string>& names) {
  Tape tape;
  Tape::Scope scope(tape);
  Parameter x(start, "x");
  // L-BFGS inside minimize: one iteration per step and no tolerances of its own unless given, so
  // that the trace has a row per L-BFGS iteration and minimize's stopping rules decide.
  HyperParameters hyper = spec.hyper;
  if (spec.name == "lbfgs") {
    hyper.max_iter = hyper.max_iter.value_or(1);
    hyper.tolerance_grad = hyper.tolerance_grad.value_or(0.0);
    hyper.tolerance_change = hyper.tolerance_change.value_or(0.0);
  }
  const std::unique_ptr<Optimizer> opt = make_optimizer(spec.name, {x}, hyper, f);
  // Second-order methods re-evaluate the objective themselves: they take a closure.
  const bool use_closure =
      opt->needs_closure() || dynamic_cast<const Newton*>(opt.get()) != nullptr;
  if (use_closure && (o.noise.eta > 0.0 || o.clip.max_norm > 0.0 || o.clip.max_value > 0.0)) {
    throw InputError(fmt::format(
        "minimize: gradient noise and clipping apply to first-order optimizers, not '{}'",
        spec.name));
  }
  Scheduler scheduler(o.schedule, opt->lr());
  StoppingCriteria stop(o.stop);
  std::mt19937_64 noise_rng(o.noise.seed + run_index);
  const std::span<const Parameter> params(&x, 1);
  const bool trace_params = names.size() <= o.max_traced_params;

  Run run;
  run.start = start;
  run.trace.label = std::move(label);
  if (trace_params) run.trace.param_names = names;

  double loss = evaluate(f, x, tape);
  // The closure reuses the evaluation at the current point (L-BFGS and Newton evaluate it first).
  Matrix cached_value;
  Matrix cached_grad;
  double cached_loss = 0.0;
  const Closure closure = [&]() -> double {
    if (x.value() == cached_value) {
      x.grad() = cached_grad;
      return cached_loss;
    }
    return evaluate(f, x, tape);
  };

  for (std::size_t k = 0;; ++k) {
    const double gnorm = x.grad().norm();
    TraceRow row{k, loss, gnorm, scheduler.lr(), {}};
    if (trace_params) row.params.assign(x.data(), x.data() + x.size());
    append_row(run.trace, std::move(row), o.max_trace_rows);

    std::optional<StopVerdict> verdict = stop.check(k, loss, gnorm);
    if (!verdict && k < o.check_gradient_iterations) {
      const GradientReport report = check_gradient(f, as_vector(x), std::nullopt, o.check, names);
      if (!report.ok) {
        throw GradientCheckError(
            fmt::format("minimize: the gradient disagrees with finite differences at iteration {} "
                        "(x = [{}]):\n{}",
                        k, fmt::join(x.data(), x.data() + x.size(), ", "), report.table()));
      }
    }
    if (!verdict) {
      opt->set_lr(scheduler.lr());
      if (use_closure) {
        cached_value = x.value();
        cached_grad = x.grad();
        cached_loss = loss;
        opt->step(closure);
      } else {
        if (o.noise.eta > 0.0) {
          const double sigma =
              std::sqrt(o.noise.eta / std::pow(1.0 + static_cast<double>(k), o.noise.gamma));
          double* g = x.grad().data();
          for (std::size_t i = 0; i < x.size(); ++i) g[i] += sigma * standard_normal(noise_rng);
        }
        if (o.clip.max_norm > 0.0) clip_grad_norm(params, o.clip.max_norm);
        if (o.clip.max_value > 0.0) clip_grad_value(params, o.clip.max_value);
        opt->step();
      }
      if (!opt->failure().empty()) {
        // The optimizer stayed at x_k: restore its gradient and stop with its reason.
        if (use_closure) x.grad() = cached_grad;
        verdict = StopVerdict{std::string(opt->failure()), false, false};
      }
    }
    if (verdict) {
      run.x = as_vector(x);
      run.value = loss;
      run.gradient_norm = gnorm;
      run.iterations = k;
      run.converged = verdict->converged;
      run.diverged = verdict->diverged;
      run.stop_reason = std::move(verdict->reason);
      return run;
    }
    scheduler.step(loss);
    loss = evaluate(f, x, tape);
  }
}

}  // namespace

Result minimize(const ScalarFunction& f, const Vector& x0, const OptimizerSpec& spec,
                const MinimizeOptions& options) {
  if (!f) throw InputError("minimize: the function is empty");
  validate(x0, options);
  const auto n = static_cast<std::size_t>(x0.size());
  std::vector<std::string> names = options.names;
  if (names.empty()) {
    for (std::size_t i = 0; i < n; ++i) names.push_back(fmt::format("x[{}]", i));
  }

  // Starting points: x0, then `count` uniform draws from the box.
  std::vector<Vector> starts{x0};
  if (options.restarts.count > 0) {
    std::mt19937_64 rng(options.restarts.seed);
    const double lo = options.restarts.lo;
    const double hi = options.restarts.hi;
    for (std::size_t r = 0; r < options.restarts.count; ++r) {
      Vector s(x0.size());
      for (Eigen::Index i = 0; i < s.size(); ++i) s[i] = lo + (hi - lo) * uniform01(rng());
      starts.push_back(std::move(s));
    }
  }

  Result result;
  result.optimizer = spec.name;
  for (std::size_t r = 0; r < starts.size(); ++r) {
    std::string label =
        starts.size() == 1 ? spec.name : fmt::format("{} (run {})", spec.name, r + 1);
    result.runs.push_back(run_once(f, starts[r], spec, options, r, std::move(label), names));
  }

  // The best run: the lowest value among runs that did not diverge (any run if all did).
  std::size_t best = 0;
  bool have = false;
  for (std::size_t r = 0; r < result.runs.size(); ++r) {
    const Run& run = result.runs[r];
    if (run.diverged || !std::isfinite(run.value)) continue;
    if (!have || run.value < result.runs[best].value) {
      best = r;
      have = true;
    }
  }
  result.best = best;
  static_cast<Run&>(result) = result.runs[best];
  return result;
}

}  // namespace xi::optim
