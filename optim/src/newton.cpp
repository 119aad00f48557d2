// Newton's method: exact Hessian, Levenberg-style shift when it is not positive definite,
// backtracking (Armijo) line search.

#include <xigrad/optim/newton.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>

#include <cmath>
#include <limits>

#include <xigrad/autodiff/error.hpp>

namespace xi::optim {

namespace {

Vector flatten_values(const std::vector<Parameter>& params, std::size_t numel) {
  Vector x(static_cast<Eigen::Index>(numel));
  Eigen::Index offset = 0;
  for (const Parameter& p : params) {
    const auto n = static_cast<Eigen::Index>(p.size());
    x.segment(offset, n) = ConstVectorMap(p.data(), n);
    offset += n;
  }
  return x;
}

Vector flatten_grads(const std::vector<Parameter>& params, std::size_t numel) {
  Vector g(static_cast<Eigen::Index>(numel));
  Eigen::Index offset = 0;
  for (const Parameter& p : params) {
    const auto n = static_cast<Eigen::Index>(p.size());
    g.segment(offset, n) = ConstVectorMap(p.grad().data(), n);
    offset += n;
  }
  return g;
}

void set_values(const std::vector<Parameter>& params, const Vector& x) {
  Eigen::Index offset = 0;
  for (Parameter p : params) {
    const auto n = static_cast<Eigen::Index>(p.size());
    VectorMap(p.data(), n) = x.segment(offset, n);
    offset += n;
  }
}

}  // namespace

Newton::Newton(std::vector<Parameter> params, ScalarFunction objective,
               const NewtonOptions& options)
    : Optimizer(std::move(params), options.lr),
      objective_(std::move(objective)),
      options_(options) {
  if (!objective_) {
    throw InputError("newton: needs the objective as a function of the parameter vector");
  }
  detail::require(std::isfinite(options.damping) && options.damping > 0.0, "newton", "damping",
                  options.damping, "it must be > 0");
  detail::require(options.c1 > 0.0 && options.c1 < 1.0, "newton", "c1", options.c1,
                  "it must be in (0, 1)");
  detail::require(options.backtrack > 0.0 && options.backtrack < 1.0, "newton", "backtrack",
                  options.backtrack, "it must be in (0, 1)");
  detail::require(options.max_backtracks >= 0, "newton", "max_backtracks", options.max_backtracks,
                  "it must be >= 0");
}

void Newton::step() {
  const Vector x = flatten_values(parameters(), numel());
  step_from(value_and_grad(objective_, x).value);
}

double Newton::step(const Closure& closure) {
  const double loss = closure();
  step_from(loss);
  return loss;
}

void Newton::step_from(double f0) {
  clear_failure();
  count_step();
  last_shift_ = 0.0;
  last_t_ = 0.0;
  const Vector x = flatten_values(parameters(), numel());
  const Vector g = flatten_grads(parameters(), numel());
  Matrix h = hessian(objective_, x);
  if (!h.allFinite() || !g.allFinite()) {
    set_failure("hessian_not_finite");
    return;
  }
  const Eigen::MatrixXd H = 0.5 * (h + h.transpose());  // symmetrise (column-major for Eigen)
  const auto n = H.rows();

  // Newton direction; shift the spectrum when the Cholesky factorisation fails.
  Eigen::LLT<Eigen::MatrixXd> llt(H);
  if (llt.info() != Eigen::Success) {
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(H, Eigen::EigenvaluesOnly);
    const double lambda_min = eig.eigenvalues().minCoeff();
    double mu = std::abs(lambda_min) + options_.damping;
    // Rounding can leave H + μI numerically indefinite; grow μ until Cholesky succeeds.
    for (int attempt = 0; attempt < 60; ++attempt) {
      llt.compute(H + mu * Eigen::MatrixXd::Identity(n, n));
      if (llt.info() == Eigen::Success) break;
      mu = 2.0 * mu + options_.damping;
    }
    last_shift_ = mu;
  }
  Vector d = -llt.solve(g);
  double gtd = g.dot(d);
  if (!d.allFinite() || !(gtd <= 0.0)) {
    d = -g;  // numerically useless direction: fall back to steepest descent
    gtd = g.dot(d);
  }
  if (gtd == 0.0) {  // g = 0: a stationary point, nothing to do
    return;
  }

  // Backtracking line search (Armijo, allowing for rounding in f near a minimum).
  const double allowance = 4.0 * std::numeric_limits<double>::epsilon() * std::abs(f0);
  double t = lr();
  for (int k = 0; k <= options_.max_backtracks; ++k, t *= options_.backtrack) {
    const Vector trial = x + t * d;
    const double f = value_and_grad(objective_, trial).value;
    if (std::isfinite(f) && f <= f0 + options_.c1 * t * gtd + allowance) {
      set_values(parameters(), trial);
      last_t_ = t;
      return;
    }
  }
  set_failure("line_search_failed");
}

}  // namespace xi::optim
