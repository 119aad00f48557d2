// seeds/001: "Local vs global minima". With a good learning rate gradient descent converges to a
// stationary point, but only a convex function (Hessian positive semi-definite everywhere)
// guarantees that it is the global minimum. The loss f(w) = w⁴ − 3w² + w is not convex: it has a
// global minimum near w = −1.30, a local one near w = 1.13 and a maximum between them. Gradient
// descent from w = 2 stops in the local minimum; random restarts (and annealed gradient noise)
// find the global one. Neural networks are not convex either: swapping two hidden units gives
// different weights for the same function, so minima come in symmetric copies.
//
// Exits with status 1 if a check fails.

#include <cmath>
#include <string>

#include <fmt/format.h>

#include <xigrad/autodiff/autodiff.hpp>
#include <xigrad/models/model.hpp>
#include <xigrad/optim/minimize.hpp>

namespace {

xi::Var f(const xi::Tensor& x) {
  const xi::Var w = x[0];
  return xi::pow(w, 4.0) - 3.0 * xi::square(w) + w;
}

double f_value(double w) {
  return w * w * w * w - 3 * w * w + w;
}
double f_second(double w) {
  return xi::hessian(f, xi::Vector::Constant(1, w))(0, 0);
}

}  // namespace

int main() {
  int failures = 0;
  const auto check = [&](bool ok, const char* what) {
    if (!ok) {
      fmt::print("CHECK FAILED: {}\n", what);
      ++failures;
    }
  };
  fmt::print("seeds/001: local vs global minima of f(w) = w^4 - 3 w^2 + w\n\n");

  xi::optim::OptimizerSpec gd;
  gd.name = "gd";
  gd.hyper.lr = 0.02;
  xi::optim::MinimizeOptions options;
  options.stop.tol = 1e-10;
  options.stop.max_iterations = 5000;
  options.names = {"w"};

  // 1. Gradient descent from w = 2 converges ... to the local minimum.
  const xi::optim::Result one = xi::optim::minimize(f, xi::Vector::Constant(1, 2.0), gd, options);
  const double w_local = one.x[0];
  fmt::print("gradient descent (eta 0.02) from w = 2: {} after {} steps\n", one.stop_reason,
             one.iterations);
  fmt::print("  w = {:.6f}, f(w) = {:.6f}, f'(w) = {:.1e}, f''(w) = {:.4f} > 0: a minimum\n",
             w_local, one.value, one.gradient_norm, f_second(w_local));
  check(one.converged && std::abs(w_local - 1.1309) < 1e-3, "gd from 2 stops near w = 1.1309");

  // 2. The function is not convex: f'' < 0 between the minima, so a stationary point need not be
  //    the global minimum.
  fmt::print(
      "  but f''(0) = {:.1f} < 0: f is not convex, so nothing says this minimum is the "
      "lowest\n\n",
      f_second(0.0));
  check(f_second(0.0) < 0, "f is not convex");

  // 3. Random restarts: ten more runs from points drawn uniformly in [-2, 2] (seeded).
  xi::optim::MinimizeOptions restarts = options;
  restarts.restarts.count = 10;
  restarts.restarts.seed = 7;
  restarts.restarts.lo = -2.0;
  restarts.restarts.hi = 2.0;
  const xi::optim::Result many = xi::optim::minimize(f, xi::Vector::Constant(1, 2.0), gd, restarts);
  fmt::print("random restarts (10 more starts uniform in [-2, 2], seed 7):\n");
  int global_hits = 0;
  for (std::size_t i = 0; i < many.runs.size(); ++i) {
    const xi::optim::Run& r = many.runs[i];
    const bool global = r.x[0] < 0;
    global_hits += global;
    fmt::print("  run {:>2}: start {:+.4f} -> w = {:+.6f}, f = {:+.6f}  {}{}\n", i, r.start[0],
               r.x[0], r.value, global ? "global" : "local", i == many.best ? "   <- best" : "");
  }
  fmt::print(
      "best: w = {:.6f}, f(w) = {:.6f}, the global minimum (the local one has f = {:.6f})\n\n",
      many.x[0], many.value, f_value(w_local));
  check(std::abs(many.x[0] + 1.3008) < 1e-3 && many.value < f_value(w_local),
        "restarts find the global minimum near w = -1.3008");
  check(global_hits > 0 && global_hits < static_cast<int>(many.runs.size()),
        "some runs end in each minimum");

  // 4. Adding noise to the gradient (annealed, Neelakantan et al. 2015) can also carry a run out
  //    of the local minimum's basin; plain descent from where the noisy run ends then settles.
  xi::optim::MinimizeOptions noisy = options;
  noisy.noise.eta = 1000.0;
  noisy.noise.gamma = 0.55;
  noisy.noise.seed = 3;
  noisy.stop.tol = 0.0;
  noisy.stop.max_iterations = 3000;
  const xi::optim::Result shaken = xi::optim::minimize(f, xi::Vector::Constant(1, 2.0), gd, noisy);
  const xi::optim::Result settled = xi::optim::minimize(f, shaken.x, gd, options);
  fmt::print(
      "gradient noise (variance 1000 / (1 + t)^0.55, seed 3, 3000 steps) from w = 2, then "
      "plain descent:\n  w = {:.6f}, f = {:.6f} ({})\n\n",
      settled.x[0], settled.value,
      settled.x[0] < 0 ? "escaped to the global minimum" : "still in the local minimum");
  check(settled.x[0] < 0, "the noisy run escapes the local minimum");

  // 5. Neural networks: different weights, same function. Swapping the two hidden units of a
  //    2-2-1 MLP (columns of W1, entries of b1, rows of W2) leaves its output unchanged.
  xi::models::ModelSpec spec;
  spec.kind = "mlp";
  spec.inputs = 2;
  spec.hidden = {2};
  spec.activation = xi::models::Activation::tanh;
  spec.seed = 5;
  xi::models::Mlp net(spec), swapped(spec);
  std::vector<xi::Matrix> p = net.parameter_values();
  p[0].col(0).swap(p[0].col(1));              // W1 (2 × 2)
  p[1].col(0).swap(p[1].col(1));              // b1 (1 × 2)
  std::swap(p[2].data()[0], p[2].data()[1]);  // W2 (2 × 1)
  p[1](0, 0) = 0.3;  // give the biases distinct values so the swap is visible
  p[1](0, 1) = -0.2;
  swapped.set_parameter_values(p);
  std::vector<xi::Matrix> q = p;
  q[0].col(0).swap(q[0].col(1));
  q[1].col(0).swap(q[1].col(1));
  std::swap(q[2].data()[0], q[2].data()[1]);
  net.set_parameter_values(q);
  xi::Matrix X(3, 2);
  X << 0.5, -1.0, 2.0, 0.3, -0.7, -0.7;
  const Eigen::VectorXd a = net.predict(X), b = swapped.predict(X);
  fmt::print("an MLP 2-2-1 and the same MLP with its hidden units swapped:\n");
  fmt::print("  W1 = [{:.3f}]  vs  [{:.3f}]\n", fmt::join(q[0].reshaped<Eigen::RowMajor>(), ", "),
             fmt::join(p[0].reshaped<Eigen::RowMajor>(), ", "));
  fmt::print("  outputs [{:.6f}]  vs  [{:.6f}]: different weights, the same function\n",
             fmt::join(a, ", "), fmt::join(b, ", "));
  check((a - b).cwiseAbs().maxCoeff() < 1e-15 && q[0] != p[0],
        "swapping hidden units keeps the function");
  fmt::print(
      "so every minimum of a network's loss has copies, and most stationary points are not "
      "global minima: random restarts and noise are the lecture's remedies.\n");

  fmt::print("\n{}\n", failures == 0 ? "all checks passed" : "SOME CHECKS FAILED");
  return failures == 0 ? 0 : 1;
}
