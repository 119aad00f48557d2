// seeds/000: "How can a local minimum occur if the gradient is zero only for a perfect fit?"
//
// The answer's counter-example: fit a line ŷ = β0 + β1·x to (0, 1), (1, 2), (3, 3) by squared
// loss. The minimum is at (β0, β1) = (8/7, 9/14), the Hessian there is [[6, 8], [8, 20]] with
// eigenvalues 13 ± √113 (both positive: a minimum), and yet the residuals are not zero: the
// gradient vanishes without a perfect fit. This program finds all of it with xigrad: the minimum
// by an optimizer, the exact Hessian from the tape, the residuals, and the normal equations as a
// cross-check. It exits with status 1 if any of it disagrees with the seed.

#include <cmath>
#include <cstdio>

#include <fmt/format.h>
#include <Eigen/Eigenvalues>

#include <xigrad/autodiff/autodiff.hpp>
#include <xigrad/models/model.hpp>
#include <xigrad/optim/minimize.hpp>

namespace {

constexpr double kX[3] = {0.0, 1.0, 3.0};
constexpr double kY[3] = {1.0, 2.0, 3.0};

/// L(β0, β1) = Σᵢ (yᵢ − (β0 + β1·xᵢ))², recorded with scalar operations.
xi::Var loss(const xi::Tensor& beta) {
  xi::Var L = 0.0;
  for (int i = 0; i < 3; ++i) L += xi::square(kY[i] - (beta[0] + beta[1] * kX[i]));
  return L;
}

bool check(bool ok, const char* what, int& failures) {
  if (!ok) {
    fmt::print("CHECK FAILED: {}\n", what);
    ++failures;
  }
  return ok;
}

}  // namespace

int main() {
  int failures = 0;
  fmt::print("seeds/000: a line through (0, 1), (1, 2), (3, 3) by least squares\n");
  fmt::print("L(b0, b1) = (1 - b0)^2 + (2 - b0 - b1)^2 + (3 - b0 - 3 b1)^2\n\n");

  // 1. Minimise from (0, 0) with Newton's method (exact Hessian): one step for a quadratic.
  xi::optim::OptimizerSpec newton;
  newton.name = "newton";
  xi::optim::MinimizeOptions options;
  options.stop.tol = 1e-12;
  options.stop.max_iterations = 20;
  options.names = {"b0", "b1"};
  const xi::optim::Result r = xi::optim::minimize(loss, xi::Vector::Zero(2), newton, options);
  fmt::print("Newton from (0, 0): {} after {} iteration(s)\n", r.stop_reason, r.iterations);
  fmt::print("  minimum at b0 = {:.15f} (8/7 = {:.15f})\n", r.x[0], 8.0 / 7.0);
  fmt::print("             b1 = {:.15f} (9/14 = {:.15f})\n", r.x[1], 9.0 / 14.0);
  check(std::abs(r.x[0] - 8.0 / 7.0) < 1e-12 && std::abs(r.x[1] - 9.0 / 14.0) < 1e-12,
        "the minimum is (8/7, 9/14)", failures);

  // 2. The gradient there is zero (to rounding) ...
  const xi::ValueAndGradient vg = xi::value_and_grad(loss, r.x);
  fmt::print("  gradient there: ({:.3g}, {:.3g})\n", vg.gradient[0], vg.gradient[1]);
  check(vg.gradient.norm() < 1e-12, "the gradient vanishes at the minimum", failures);

  // 3. ... and the Hessian is positive definite: a minimum.
  const xi::Matrix H = xi::hessian(loss, r.x);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(Eigen::MatrixXd(H),
                                                           Eigen::EigenvaluesOnly);
  const double root = std::sqrt(113.0);
  fmt::print("\nHessian (exact, from the tape):\n  [[{:g}, {:g}],\n   [{:g}, {:g}]]\n", H(0, 0),
             H(0, 1), H(1, 0), H(1, 1));
  fmt::print("eigenvalues: {:.12f} and {:.12f}\n", eig.eigenvalues()[0], eig.eigenvalues()[1]);
  fmt::print(
      "13 - sqrt(113) = {:.12f}, 13 + sqrt(113) = {:.12f}: both > 0, so (8/7, 9/14) is a "
      "minimum\n",
      13.0 - root, 13.0 + root);
  check(H(0, 0) == 6 && H(0, 1) == 8 && H(1, 0) == 8 && H(1, 1) == 20,
        "the Hessian is [[6, 8], [8, 20]]", failures);
  check(std::abs(eig.eigenvalues()[0] - (13.0 - root)) < 1e-12 &&
            std::abs(eig.eigenvalues()[1] - (13.0 + root)) < 1e-12,
        "the eigenvalues are 13 ± √113", failures);

  // 4. The residuals are not zero: the fit is not perfect.
  fmt::print("\nresiduals y - (b0 + b1 x) at the minimum:\n");
  double sum_sq = 0.0;
  for (int i = 0; i < 3; ++i) {
    const double e = kY[i] - (r.x[0] + r.x[1] * kX[i]);
    sum_sq += e * e;
    fmt::print("  x = {:g}: y = {:g}, fit = {:.6f}, residual = {:+.6f}\n", kX[i], kY[i],
               r.x[0] + r.x[1] * kX[i], e);
  }
  fmt::print("L at the minimum = {:.6f} = 1/14 (not 0)\n", sum_sq);
  check(std::abs(sum_sq - 1.0 / 14.0) < 1e-12, "the minimum loss is 1/14", failures);
  fmt::print(
      "\nnot a perfect fit, yet a minimum: the gradient vanishes where the residuals are "
      "orthogonal to the columns (1, x), not only where they are zero.\n");

  // 5. Cross-check: the normal equations (Eigen LDLT) give the same line.
  Eigen::MatrixXd X(3, 1);
  X << kX[0], kX[1], kX[2];
  const Eigen::Vector3d y(kY[0], kY[1], kY[2]);
  const xi::models::LinearCoefficients c = xi::models::least_squares(X, y);
  fmt::print("normal equations: b0 = {:.15f}, b1 = {:.15f}\n", c.bias, c.weights[0]);
  check(std::abs(c.bias - 8.0 / 7.0) < 1e-12 && std::abs(c.weights[0] - 9.0 / 14.0) < 1e-12,
        "the normal equations agree", failures);

  // 6. Gradient descent gets there too (slowly along the flat eigen-direction).
  xi::optim::OptimizerSpec gd;
  gd.name = "gd";
  gd.hyper.lr = 0.05;  // below 2 / (13 + √113) ≈ 0.083
  xi::optim::MinimizeOptions gd_options;
  gd_options.stop.tol = 1e-10;
  gd_options.stop.max_iterations = 5000;
  const xi::optim::Result g = xi::optim::minimize(loss, xi::Vector::Zero(2), gd, gd_options);
  fmt::print("gradient descent (lr 0.05) from (0, 0): ({:.10f}, {:.10f}) after {} iterations\n",
             g.x[0], g.x[1], g.iterations);
  check(std::abs(g.x[0] - 8.0 / 7.0) < 1e-9 && std::abs(g.x[1] - 9.0 / 14.0) < 1e-9,
        "gradient descent reaches the minimum", failures);

  fmt::print("\n{}\n", failures == 0 ? "all checks passed" : "SOME CHECKS FAILED");
  return failures == 0 ? 0 : 1;
}
