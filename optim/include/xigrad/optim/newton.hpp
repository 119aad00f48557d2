#pragma once
// Newton's method with the exact Hessian (xi::hessian), damped when the Hessian is not positive
// definite, and a backtracking (Armijo) line search.

#include <string_view>
#include <vector>

#include <xigrad/autodiff/grad.hpp>
#include <xigrad/optim/optimizer.hpp>

namespace xi::optim {

/// Hyper-parameters of Newton's method.
struct NewtonOptions {
  double lr = 1.0;          ///< first step length tried (1 is the full Newton step)
  double damping = 1e-3;    ///< δ: an indefinite Hessian H becomes H + (|λmin| + δ)·I
  double c1 = 1e-4;         ///< Armijo sufficient-decrease constant
  double backtrack = 0.5;   ///< step-length factor after a rejected step, in (0, 1)
  int max_backtracks = 60;  ///< rejected steps before the line search gives up
};

/// Newton's method. Needs the objective as a function of the flattened parameter vector (the
/// concatenation of the parameters' values, each row-major); step() reads the gradient from the
/// parameters' grad(), computes the exact Hessian there with xi::hessian and the losses of the
/// line search with the objective.
///
/// If the Cholesky factorisation of the (symmetrised) Hessian H fails, the step uses
/// H + μ·I with μ = |λmin(H)| + δ (λmin from Eigen's symmetric eigensolver), whose smallest
/// eigenvalue is δ > 0 (Levenberg-style damping); last_shift() reports μ. If no step length
/// passes the Armijo test, the parameters stay where they were and failure() is
/// "line_search_failed"; a Hessian that is not finite gives "hessian_not_finite".
///
/// State: none beyond the step count and lr.
class Newton final : public Optimizer {
 public:
  /// Throws xi::InputError for an invalid hyper-parameter or an empty objective.
  Newton(std::vector<Parameter> params, ScalarFunction objective,
         const NewtonOptions& options = {});

  std::string_view name() const noexcept override { return "newton"; }
  void step() override;
  /// Calls the closure (refreshing the gradient), then steps, reusing its loss.
  double step(const Closure& closure) override;
  const NewtonOptions& options() const noexcept { return options_; }

  /// The shift μ added to the Hessian's diagonal in the last step (0 when it was positive
  /// definite).
  double last_shift() const noexcept { return last_shift_; }
  /// The step length accepted in the last step.
  double last_step_length() const noexcept { return last_t_; }

  /// The update rule, as printed in docs/optimizers.md.
  static constexpr std::string_view equations() {
    return "H ← ∇²f(θ)                             (exact, symmetrised)\n"
           "μ ← 0 if Cholesky of H succeeds, else μ ← |λmin(H)| + δ   (damping δ)\n"
           "d ← −(H + μ·I)⁻¹·g\n"
           "t ← lr, then t ← backtrack·t until f(θ + t·d) ≤ f(θ) + c₁·t·g·d\n"
           "θ ← θ + t·d\n";
  }

 private:
  void step_from(double f0);

  ScalarFunction objective_;
  NewtonOptions options_;
  double last_shift_ = 0.0;
  double last_t_ = 0.0;
};

}  // namespace xi::optim
