#pragma once
// L-BFGS: torch.optim.LBFGS's algorithm, names and defaults, with PyTorch's strong-Wolfe line
// search (bracketing, then zoom with cubic interpolation) as the default line search.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <xigrad/autodiff/matrix.hpp>
#include <xigrad/optim/optimizer.hpp>

namespace xi::optim {

/// How L-BFGS chooses the step length.
enum class LineSearch {
  none,         ///< a fixed step lr (PyTorch's line_search_fn=None)
  strong_wolfe  ///< PyTorch's _strong_wolfe (line_search_fn="strong_wolfe")
};

/// Hyper-parameters of L-BFGS (torch.optim.LBFGS's names and defaults, except that the strong
/// Wolfe line search is on by default).
struct LBFGSOptions {
  double lr = 1.0;                 ///< learning rate: the initial step length
  int max_iter = 20;               ///< L-BFGS iterations per step()
  std::optional<int> max_eval{};   ///< function evaluations per step(); default max_iter·5/4
  double tolerance_grad = 1e-7;    ///< a step ends when max|g| ≤ tolerance_grad
  double tolerance_change = 1e-9;  ///< ... or when the loss or the parameters change less
  int history_size = 100;          ///< number of (s, y) pairs kept
  LineSearch line_search = LineSearch::strong_wolfe;  ///< step-length rule
};

/// L-BFGS. Each step(closure) runs up to max_iter L-BFGS iterations, calling the closure to
/// re-evaluate loss and gradient (step() without a closure throws). A line search that cannot
/// find an acceptable point leaves the parameters where they were and sets failure() to
/// "line_search_failed" (never an exception).
///
/// State: "d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss",
/// "n_iter", "func_evals" ("old_dirs"/"old_stps" are the stored pairs concatenated, oldest first).
class LBFGS final : public Optimizer {
 public:
  /// Throws xi::InputError for an invalid hyper-parameter.
  LBFGS(std::vector<Parameter> params, const LBFGSOptions& options = {});

  std::string_view name() const noexcept override { return "lbfgs"; }
  /// Throws xi::Error: L-BFGS needs a closure.
  void step() override;
  double step(const Closure& closure) override;
  bool needs_closure() const noexcept override { return true; }
  const LBFGSOptions& options() const noexcept { return options_; }

  /// Why the last step() ended its inner loop: "gradient_tolerance", "directional_derivative",
  /// "max_iter", "max_eval", "step_tolerance", "loss_change" or "line_search_failed".
  std::string_view last_stop() const noexcept { return last_stop_; }
  /// Total number of closure calls so far.
  long func_evals() const noexcept { return func_evals_; }

  /// The update rule, as printed in docs/optimizers.md.
  static constexpr std::string_view equations() {
    return "d ← −g                                 (first iteration)\n"
           "d ← −H·g                               (two-loop recursion over the last history_size\n"
           "                                        pairs s = t·d, y = Δg with y·s > 1e-10,\n"
           "                                        H₀ = (y·s / y·y)·I from the newest pair)\n"
           "t ← lr·min(1, 1/‖g‖₁) on the first iteration, else t ← lr\n"
           "t ← strong-Wolfe line search from t    (c₁ = 1e-4, c₂ = 0.9, ≤ 25 evaluations,\n"
           "                                        cubic interpolation)\n"
           "θ ← θ + t·d\n";
  }

 protected:
  void save_buffers(OptimizerState& state) const override;
  void load_buffers(const OptimizerState& state) override;

 private:
  Vector gather_flat_grad() const;
  void add_grad(double t, const Vector& d);
  Vector flat_params() const;
  void set_flat_params(const Vector& x);

  LBFGSOptions options_;
  int max_eval_;
  // state (PyTorch's names)
  long func_evals_ = 0;
  long n_iter_ = 0;
  Vector d_;
  double t_ = 0.0;
  std::vector<Vector> old_dirs_;
  std::vector<Vector> old_stps_;
  std::vector<double> ro_;
  double H_diag_ = 1.0;
  Vector prev_flat_grad_;
  double prev_loss_ = 0.0;
  std::string last_stop_;
};

namespace detail {

/// The minimiser of the cubic interpolating (x1, f1, g1) and (x2, f2, g2), clamped to
/// [xmin_bound, xmax_bound] (default: between x1 and x2); the midpoint of the bounds when the cubic
/// has no real minimiser (PyTorch's _cubic_interpolate).
double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         std::optional<std::pair<double, double>> bounds = std::nullopt);

/// Result of strong_wolfe().
struct WolfeResult {
  double f = 0.0;  ///< loss at the accepted step
  Vector g;        ///< gradient there
  double t = 0.0;  ///< accepted step length
  int evals = 0;   ///< objective evaluations used
  bool ok = true;  ///< false: no acceptable point (not finite, t = 0 or no sufficient decrease)
};

/// PyTorch's _strong_wolfe: a line search along `d` from the point with loss `f`, gradient `g`
/// and directional derivative `gtd` = g·d < 0, starting at step `t`. `obj(t)` returns the loss
/// and gradient at step t. Non-finite losses count as too large (PyTorch would follow them).
WolfeResult strong_wolfe(const std::function<std::pair<double, Vector>(double)>& obj, double t,
                         const Vector& d, double f, const Vector& g, double gtd, double c1 = 1e-4,
                         double c2 = 0.9, double tolerance_change = 1e-9, int max_ls = 25);

}  // namespace detail

}  // namespace xi::optim
