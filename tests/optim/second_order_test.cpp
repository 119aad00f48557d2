// L-BFGS (cubic interpolation, strong-Wolfe line search, iterates against the algorithm coded by
// hand, line-search failure) and Newton's method (exact step on a quadratic, damping when the
// Hessian is indefinite).

#include <xigrad/optim/optimizers.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <utility>

#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/tensor.hpp>

namespace {

using xi::Parameter;
using xi::Tape;
using xi::Var;
using xi::Vector;
namespace optim = xi::optim;

double compute_grad(const xi::ScalarFunction& f, Parameter& p) {
  Tape& tape = Tape::current();
  tape.clear();
  p.zero_grad();
  const Var loss = f(p.var());
  xi::backward(loss);
  return loss.value();
}

Var bowl(const xi::Tensor& v) {
  return xi::square(v[0]) + 3 * xi::square(v[1]);
}

Var rosenbrock(const xi::Tensor& v) {
  return xi::square(1 - v[0]) + 100 * xi::square(v[1] - xi::square(v[0]));
}

TEST(CubicInterpolate, ExactOnACubic) {
  // φ(t) = t³ − 3t on [0, 2]: φ(0) = 0, φ'(0) = −3, φ(2) = 2, φ'(2) = 9; minimiser t = 1.
  EXPECT_DOUBLE_EQ(optim::detail::cubic_interpolate(0, 0, -3, 2, 2, 9), 1.0);
  EXPECT_DOUBLE_EQ(optim::detail::cubic_interpolate(2, 2, 9, 0, 0, -3), 1.0);
  // clamped to the bounds
  EXPECT_DOUBLE_EQ(optim::detail::cubic_interpolate(0, 0, -3, 2, 2, 9, std::pair{1.5, 3.0}), 1.5);
}

TEST(CubicInterpolate, MidpointWithoutRealMinimiser) {
  // d1 = 3 + 3 − 3·(0 − 2)/(0 − 1) = 0, d1² − g1·g2 = −9 < 0
  EXPECT_DOUBLE_EQ(optim::detail::cubic_interpolate(0, 0, 3, 1, 2, 3), 0.5);
  EXPECT_DOUBLE_EQ(optim::detail::cubic_interpolate(0, 0, 3, 1, 2, 3, std::pair{0.2, 0.3}), 0.25);
}

TEST(StrongWolfe, AcceptedStepSatisfiesTheConditions) {
  // Along d = −∇f of the Rosenbrock function at (−1.2, 1), from a step far too long.
  const Vector x{{-1.2, 1.0}};
  const auto vg = [](const Vector& p) { return xi::value_and_grad(rosenbrock, p); };
  const auto at0 = vg(x);
  const Vector d = -at0.gradient;
  const double gtd = at0.gradient.dot(d);
  int calls = 0;
  const auto obj = [&](double t) {
    ++calls;
    const auto r = vg(x + t * d);
    return std::pair<double, Vector>(r.value, r.gradient);
  };
  const auto r = optim::detail::strong_wolfe(obj, 1.0, d, at0.value, at0.gradient, gtd);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.evals, calls);
  EXPECT_GT(r.t, 0.0);
  EXPECT_LE(r.f, at0.value + 1e-4 * r.t * gtd);          // sufficient decrease
  EXPECT_LE(std::abs(r.g.dot(d)), 0.9 * std::abs(gtd));  // curvature (strong)
  EXPECT_DOUBLE_EQ(r.f, vg(x + r.t * d).value);
}

TEST(LBFGS, IteratesWithoutLineSearchMatchTheAlgorithmByHand) {
  Parameter p(Vector{{1.0, 1.0}}, "x");
  optim::LBFGS opt({p}, {.lr = 0.5,
                         .max_iter = 4,
                         .tolerance_grad = 0,
                         .tolerance_change = 0,
                         .line_search = optim::LineSearch::none});
  opt.step([&] { return compute_grad(bowl, p); });
  EXPECT_EQ(opt.last_stop(), "max_iter");
  EXPECT_EQ(opt.func_evals(), 4);  // the last iteration does not re-evaluate

  // By hand: torch.optim.LBFGS with line_search_fn=None on f = x² + 3y².
  using V = std::array<double, 2>;
  const auto grad = [](V x) { return V{2 * x[0], 6 * x[1]}; };
  const auto dot = [](V a, V b) { return a[0] * b[0] + a[1] * b[1]; };
  V x{1, 1}, g = grad(x), d{}, prev_g{};
  std::vector<V> ss, ys;
  std::vector<double> ros;
  double t = 0, h = 1;
  for (int k = 1; k <= 4; ++k) {
    if (k == 1) {
      d = {-g[0], -g[1]};
    } else {
      const V y{g[0] - prev_g[0], g[1] - prev_g[1]};
      const V s{d[0] * t, d[1] * t};
      const double sy = dot(y, s);
      if (sy > 1e-10) {
        ys.push_back(y);
        ss.push_back(s);
        ros.push_back(1.0 / sy);
        h = sy / dot(y, y);
      }
      V q{-g[0], -g[1]};
      std::vector<double> al(ss.size());
      for (std::size_t i = ss.size(); i-- > 0;) {
        al[i] = dot(ss[i], q) * ros[i];
        q = {q[0] - al[i] * ys[i][0], q[1] - al[i] * ys[i][1]};
      }
      V r{q[0] * h, q[1] * h};
      for (std::size_t i = 0; i < ss.size(); ++i) {
        const double be = dot(ys[i], r) * ros[i];
        r = {r[0] + (al[i] - be) * ss[i][0], r[1] + (al[i] - be) * ss[i][1]};
      }
      d = r;
    }
    prev_g = g;
    t = k == 1 ? std::min(1.0, 1.0 / (std::abs(g[0]) + std::abs(g[1]))) * 0.5 : 0.5;
    x = {x[0] + t * d[0], x[1] + t * d[1]};
    g = grad(x);
  }
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(p.data()[i], x[i], 1e-15 * std::max(std::abs(x[i]), 1e-300)) << i;
  }
}

TEST(LBFGS, RosenbrockWithPyTorchDefaults) {
  Parameter p(Vector{{-1.2, 1.0}}, "x");
  optim::LBFGS opt({p}, {.tolerance_grad = 1e-12, .tolerance_change = 1e-20});
  for (int k = 0; k < 10 && opt.last_stop() != "gradient_tolerance"; ++k) {
    opt.step([&] { return compute_grad(rosenbrock, p); });
    ASSERT_TRUE(opt.failure().empty()) << opt.failure();
  }
  EXPECT_NEAR(p.data()[0], 1.0, 1e-8);
  EXPECT_NEAR(p.data()[1], 1.0, 1e-8);
}

TEST(LBFGS, NeedsAClosure) {
  Parameter p(Vector{{1.0, 1.0}}, "x");
  optim::LBFGS opt({p});
  EXPECT_THROW(opt.step(), xi::Error);
}

TEST(LBFGS, LineSearchFailureLeavesTheParametersAndReports) {
  // A closure whose gradient has the wrong sign: every step along −g goes uphill.
  Parameter p(Vector{{1.0}}, "x");
  optim::LBFGS opt({p}, {.tolerance_change = 0});
  const auto closure = [&] {
    const double x = p.data()[0];
    p.grad().setConstant(-2 * x);
    return x * x;
  };
  EXPECT_EQ(opt.step(closure), 1.0);
  EXPECT_EQ(opt.failure(), "line_search_failed");
  EXPECT_EQ(opt.last_stop(), "line_search_failed");
  EXPECT_EQ(p.data()[0], 1.0);
  EXPECT_EQ(p.grad()(0, 0), -2.0);
}

TEST(Newton, OneStepSolvesAQuadratic) {
  const xi::ScalarFunction f = [](const xi::Tensor& v) {
    return xi::square(v[0] - 1) + 3 * xi::square(v[1] + 2) + v[0] * v[1];
  };
  Parameter p(Vector{{5.0, 5.0}}, "x");
  optim::Newton opt({p}, f);
  compute_grad(f, p);
  opt.step();
  EXPECT_EQ(opt.last_shift(), 0.0);
  EXPECT_EQ(opt.last_step_length(), 1.0);
  // ∇f = (2(x−1) + y, 6(y+2) + x) = 0  ⇒  2x + y = 2, x + 6y = −12  ⇒  x = 24/11, y = −26/11
  EXPECT_NEAR(p.data()[0], 24.0 / 11.0, 1e-14);
  EXPECT_NEAR(p.data()[1], -26.0 / 11.0, 1e-14);
}

TEST(Newton, DampsAnIndefiniteHessian) {
  // x⁴ − 3x² + x at x = 0.1: f'' = 12x² − 6 = −5.88 < 0, so the step uses H + (5.88 + δ)·I = δ.
  const xi::ScalarFunction f = [](const xi::Tensor& v) {
    return xi::square(xi::square(v[0])) - 3 * xi::square(v[0]) + v[0];
  };
  Parameter p(Vector{{0.1}}, "x");
  optim::Newton opt({p}, f, {.damping = 1e-3});
  const double f0 = compute_grad(f, p);
  opt.step();
  EXPECT_TRUE(opt.failure().empty());
  EXPECT_NEAR(opt.last_shift(), 5.88 + 1e-3, 1e-12);
  EXPECT_LT(xi::value_and_grad(f, Vector{{p.data()[0]}}).value, f0);
  EXPECT_LT(opt.last_step_length(), 1.0);  // the raw step −g/δ is far too long: it backtracked
}

TEST(Newton, Validation) {
  Parameter p(Vector{{0.1}}, "x");
  EXPECT_THROW(optim::Newton({p}, xi::ScalarFunction{}), xi::InputError);
  EXPECT_THROW(optim::Newton({p}, bowl, {.damping = 0}), xi::InputError);
}

}  // namespace
