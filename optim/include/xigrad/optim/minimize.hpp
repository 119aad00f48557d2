#pragma once
// minimize: runs an optimizer on a function of a parameter vector and returns the result with a
// trace, optionally from several random starting points and with annealed gradient noise.
//
//   xi::ScalarFunction rosenbrock = [](const xi::Tensor& x) {
//     return xi::square(1 - x[0]) + 100 * xi::square(x[1] - xi::square(x[0]));
//   };
//   auto r = xi::optim::minimize(rosenbrock, xi::Vector{{-1.2, 1.0}}, {"lbfgs"},
//                                {.stop = {.tol = 1e-10}});
//   // r.x ≈ (1, 1), r.converged, r.stop_reason == "gradient_tolerance", r.trace

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <xigrad/autodiff/check.hpp>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/grad.hpp>
#include <xigrad/optim/optimizers.hpp>
#include <xigrad/optim/schedule.hpp>
#include <xigrad/optim/stopping.hpp>
#include <xigrad/optim/trace.hpp>

namespace xi::optim {

/// An optimizer by name (see make_optimizer) with its hyper-parameters.
struct OptimizerSpec {
  std::string name = "gd";
  HyperParameters hyper{};
};

/// Random restarts: `count` further runs from points drawn uniformly from the box [lo, hi]ⁿ.
/// The draws come from std::mt19937_64 seeded with `seed`, mapped to [0, 1) as
/// (draw >> 11)·2⁻⁵³, so the start points are the same on every platform.
struct Restarts {
  std::size_t count = 0;
  std::uint64_t seed = 0;
  double lo = -1.0;
  double hi = 1.0;
};

/// Annealed gradient noise (Neelakantan et al. 2015): before each step, add to every gradient
/// component a draw from N(0, σₜ²) with σₜ² = eta / (1 + t)^gamma, t the iteration. Draws come
/// from std::mt19937_64 seeded with seed + run index through a Box–Muller transform (portable).
/// eta = 0 disables it. First-order optimizers only.
struct GradientNoise {
  double eta = 0.0;
  double gamma = 0.55;
  std::uint64_t seed = 0;
};

/// Gradient clipping before each step (0 disables); first-order optimizers only.
struct Clipping {
  double max_norm = 0.0;   ///< clip_grad_norm to this global norm
  double max_value = 0.0;  ///< clip_grad_value to [−max_value, max_value]
};

/// Options of minimize().
struct MinimizeOptions {
  StoppingRules stop{};   ///< iteration budget, tolerances, time limit, divergence
  Schedule schedule{};    ///< learning-rate schedule (base rate: the optimizer's lr)
  Clipping clip{};        ///< gradient clipping
  Restarts restarts{};    ///< random restarts
  GradientNoise noise{};  ///< annealed gradient noise
  /// Check the gradient with xi::check_gradient at the first this-many iterates; a disagreement
  /// throws GradientCheckError.
  std::size_t check_gradient_iterations = 0;
  CheckOptions check{};  ///< tolerances of the gradient check
  /// Names of the parameters in the trace (default "x[0]", "x[1]", ...).
  std::vector<std::string> names{};
  /// Parameters are recorded in the trace when there are at most this many.
  std::size_t max_traced_params = 50;
  /// Rows of a run's trace: beyond this, the trace keeps every 2nd, 4th, ... iterate (and always
  /// the first and the last), so its size stays bounded (see append_row). 0 keeps every row.
  std::size_t max_trace_rows = 100'000;
};

/// One run of the optimizer from one starting point.
struct Run {
  Vector start;                ///< starting point
  Vector x;                    ///< final point
  double value = 0.0;          ///< f(x)
  double gradient_norm = 0.0;  ///< ‖∇f(x)‖₂
  std::size_t iterations = 0;  ///< steps taken
  bool converged = false;      ///< stopped by a tolerance
  bool diverged = false;       ///< stopped because the loss or gradient blew up
  std::string stop_reason;     ///< see StopVerdict::reason
  Trace trace;                 ///< one row per iterate, thinned beyond max_trace_rows
};

/// The result of minimize(): the best run's fields, every run, and which one is best.
struct Result : Run {
  std::string optimizer;  ///< the optimizer's name as given
  std::vector<Run> runs;  ///< every run (one without restarts), the first from x0
  std::size_t best = 0;   ///< index in runs of the run with the lowest value (diverged runs
                          ///< only if every run diverged)
};

/// The gradient check of minimize() failed; the message holds the iteration and the report table.
class GradientCheckError : public Error {
 public:
  using Error::Error;
};

/// Minimises f from x0 with the optimizer `spec`. For "lbfgs", one iteration is one L-BFGS
/// iteration: max_iter defaults to 1 and tolerance_grad / tolerance_change to 0 (the stopping
/// rules below decide when to stop) unless `spec.hyper` sets them. Each iteration evaluates f and
/// its gradient at the current point, records a trace row, applies the stopping rules, then (noise,
/// clipping, schedule) steps. With `stop.tol = 0` and no other rule firing it runs exactly
/// `stop.max_iterations` steps. A diverging run ends with a "diverged: ..." reason, never an
/// exception. Throws xi::InputError for an invalid option or optimizer, GradientCheckError when
/// the requested gradient check disagrees, and whatever f throws.
Result minimize(const ScalarFunction& f, const Vector& x0, const OptimizerSpec& spec,
                const MinimizeOptions& options = {});

/// The portable uniform mapping used for restarts: (draw >> 11)·2⁻⁵³ ∈ [0, 1).
inline double uniform01(std::uint64_t draw) noexcept {
  return static_cast<double>(draw >> 11) * 0x1.0p-53;
}

}  // namespace xi::optim
