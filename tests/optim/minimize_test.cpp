// The minimize driver: exact iteration counts, traces, schedules, clipping, divergence verdicts,
// random restarts, gradient noise, the gradient check and optimizer failures as stop reasons.

#include <xigrad/optim/minimize.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>
#include <thread>

#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/tensor.hpp>

namespace {

using xi::Tensor;
using xi::Var;
using xi::Vector;
namespace optim = xi::optim;

Var bowl(const Tensor& v) {
  return xi::square(v[0]) + 3 * xi::square(v[1]);
}
Var parabola(const Tensor& v) {
  return xi::square(v[0]);
}
Var double_well(const Tensor& v) {
  const Var x = v[0];
  return xi::square(xi::square(x)) - 3 * xi::square(x) + x;
}
/// Value x², gradient −2x: a "hand-written gradient" with a sign error.
Var wrong_gradient(const Tensor& v) {
  const Var x = v[0];
  const Var c = xi::detach(x);
  return c * c + (-2 * c) * (x - c);
}

constexpr double kGlobal = -1.3008395659415772;  // global minimiser of the double well
constexpr double kLocal = 1.1309011226299859;    // its local minimiser

TEST(Minimize, TolZeroRunsExactlyNIterations) {
  const auto r = optim::minimize(bowl, Vector{{1.0, 1.0}}, {"gd", {.lr = 0.1}},
                                 {.stop = {.max_iterations = 25, .tol = 0}});
  EXPECT_EQ(r.iterations, 25u);
  EXPECT_EQ(r.stop_reason, "max_iterations");
  EXPECT_FALSE(r.converged);
  ASSERT_EQ(r.trace.rows.size(), 26u);
  EXPECT_EQ(r.trace.param_names, (std::vector<std::string>{"x[0]", "x[1]"}));
  // row k is iterate k: x_k = 0.8^k, y_k = 0.4^k
  for (std::size_t k = 0; k <= 25; ++k) {
    const auto& row = r.trace.rows[k];
    EXPECT_EQ(row.iteration, k);
    EXPECT_NEAR(row.params[0], std::pow(0.8, k), 1e-15);
    EXPECT_NEAR(row.params[1], std::pow(0.4, k), 1e-15);
    EXPECT_DOUBLE_EQ(row.loss, row.params[0] * row.params[0] + 3 * row.params[1] * row.params[1]);
    EXPECT_DOUBLE_EQ(row.grad_norm, std::hypot(2 * row.params[0], 6 * row.params[1]));
    EXPECT_EQ(row.learning_rate, 0.1);
  }
  EXPECT_EQ(r.x[0], r.trace.rows.back().params[0]);
  EXPECT_EQ(r.value, r.trace.rows.back().loss);
  EXPECT_EQ(r.runs.size(), 1u);
  EXPECT_EQ(r.best, 0u);
  EXPECT_EQ(r.optimizer, "gd");
}

TEST(Minimize, ALongRunKeepsABoundedTraceEndingAtTheLastIterate) {
  const auto r =
      optim::minimize(bowl, Vector{{1.0, 1.0}}, {"gd", {.lr = 1e-6}},
                      {.stop = {.max_iterations = 5000, .tol = 0}, .max_trace_rows = 100});
  EXPECT_EQ(r.iterations, 5000u);
  ASSERT_LE(r.trace.rows.size(), 101u);
  EXPECT_EQ(r.trace.stride, 64u);
  EXPECT_EQ(r.trace.rows.front().iteration, 0u);
  EXPECT_EQ(r.trace.rows.back().iteration, 5000u);
  EXPECT_EQ(r.trace.rows.back().params[0], r.x[0]);  // the last row is the final point
  EXPECT_EQ(r.trace.rows[1].iteration, 64u);
}

TEST(Minimize, GradientToleranceConverges) {
  const auto r =
      optim::minimize(bowl, Vector{{1.0, 1.0}}, {"gd", {.lr = 0.1}}, {.stop = {.tol = 1e-8}});
  EXPECT_TRUE(r.converged);
  EXPECT_EQ(r.stop_reason, "gradient_tolerance");
  EXPECT_LE(r.gradient_norm, 1e-8);
  EXPECT_GT(r.trace.rows[r.iterations - 1].grad_norm, 1e-8);
}

TEST(Minimize, ParametersAreNotTracedForLargeProblems) {
  const xi::ScalarFunction f = [](const Tensor& v) { return xi::sum(xi::square(v)); };
  const auto r = optim::minimize(f, Vector::Ones(60), {"gd", {.lr = 0.1}},
                                 {.stop = {.max_iterations = 3, .tol = 0}});
  EXPECT_TRUE(r.trace.param_names.empty());
  EXPECT_TRUE(r.trace.rows[0].params.empty());
  EXPECT_EQ(r.trace.rows.size(), 4u);
}

TEST(Minimize, DivergenceWithTooLargeLearningRate) {
  // GD on x² with lr = 1.5: x ← x − 3x = −2x, so |x| doubles and the loss grows 4× a step.
  const auto r = optim::minimize(parabola, Vector{{1.0}}, {"gd", {.lr = 1.5}},
                                 {.stop = {.max_iterations = 100}});
  EXPECT_TRUE(r.diverged);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.iterations, 10u);  // 4¹⁰ > 1e6
  EXPECT_EQ(r.stop_reason,
            "diverged: loss 1.04858e+06 exceeds 1e+06 × max(|initial loss|, 1) at iteration 10");
  for (std::size_t k = 1; k < r.trace.rows.size(); ++k) {
    EXPECT_EQ(std::abs(r.trace.rows[k].params[0]), 2 * std::abs(r.trace.rows[k - 1].params[0]));
  }
}

TEST(Minimize, DivergenceToInfinityNamesTheIteration) {
  const xi::ScalarFunction quartic = [](const Tensor& v) { return xi::square(xi::square(v[0])); };
  const auto r = optim::minimize(quartic, Vector{{10.0}}, {"gd", {.lr = 1.0}},
                                 {.stop = {.divergence_factor = 1e300}});
  EXPECT_TRUE(r.diverged);
  EXPECT_EQ(r.stop_reason.rfind("diverged: loss is inf at iteration ", 0), 0u) << r.stop_reason;
  EXPECT_EQ(r.stop_reason, "diverged: loss is inf at iteration " + std::to_string(r.iterations));
}

TEST(Minimize, ScheduleSetsTheLearningRate) {
  const auto r = optim::minimize(
      bowl, Vector{{1.0, 1.0}}, {"gd", {.lr = 0.1}},
      {.stop = {.max_iterations = 5, .tol = 0}, .schedule = optim::Schedule::step(2, 0.5)});
  std::vector<double> lr;
  for (const auto& row : r.trace.rows) lr.push_back(row.learning_rate);
  EXPECT_EQ(lr, (std::vector{0.1, 0.1, 0.05, 0.05, 0.025, 0.025}));
  // x₁ = (1 − 2·0.1)·1, x₂ = 0.8·0.8, x₃ = 0.64·(1 − 2·0.05)
  EXPECT_NEAR(r.trace.rows[3].params[0], 0.8 * 0.8 * 0.9, 1e-15);
}

TEST(Minimize, ClippingByNormAndValue) {
  const xi::ScalarFunction f = [](const Tensor& v) { return 100 * xi::square(v[0]); };
  const auto by_norm =
      optim::minimize(f, Vector{{1.0}}, {"gd", {.lr = 0.5}},
                      {.stop = {.max_iterations = 1, .tol = 0}, .clip = {.max_norm = 1.0}});
  // g = 200 clipped to 200/(200 + 1e-6)
  EXPECT_DOUBLE_EQ(by_norm.x[0], 1.0 - 0.5 * (200.0 * (1.0 / (200.0 + 1e-6))));
  const auto by_value =
      optim::minimize(f, Vector{{1.0}}, {"gd", {.lr = 0.5}},
                      {.stop = {.max_iterations = 1, .tol = 0}, .clip = {.max_value = 2.0}});
  EXPECT_DOUBLE_EQ(by_value.x[0], 0.0);
}

TEST(Minimize, RestartsFindTheGlobalMinimumOfTheDoubleWell) {
  // From x = 2 gradient descent settles in the local minimum near 1.1309; restarts over [−3, 3]
  // find the global one near −1.3008.
  const optim::MinimizeOptions options{.stop = {.max_iterations = 2000, .tol = 1e-10},
                                       .restarts = {.count = 8, .seed = 7, .lo = -3, .hi = 3}};
  const auto r = optim::minimize(double_well, Vector{{2.0}}, {"gd", {.lr = 0.01}}, options);
  ASSERT_EQ(r.runs.size(), 9u);
  EXPECT_NEAR(r.runs[0].x[0], kLocal, 1e-8);
  EXPECT_NE(r.best, 0u);
  EXPECT_NEAR(r.x[0], kGlobal, 1e-8);
  EXPECT_TRUE(r.converged);
  for (const auto& run : r.runs) {
    EXPECT_TRUE(std::abs(run.x[0] - kGlobal) < 1e-8 || std::abs(run.x[0] - kLocal) < 1e-8);
    EXPECT_GE(run.value, r.value);
  }
  // the start points are uniform draws of std::mt19937_64(seed), mapped as (draw >> 11)·2⁻⁵³
  std::mt19937_64 rng(7);
  for (std::size_t i = 1; i < r.runs.size(); ++i) {
    const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    EXPECT_EQ(r.runs[i].start[0], -3 + 6 * u);
  }
  EXPECT_EQ(r.runs[2].trace.label, "gd (run 3)");
  // same seed, same runs
  const auto again = optim::minimize(double_well, Vector{{2.0}}, {"gd", {.lr = 0.01}}, options);
  for (std::size_t i = 0; i < r.runs.size(); ++i) EXPECT_EQ(again.runs[i].x[0], r.runs[i].x[0]);
}

TEST(Minimize, GradientNoiseIsSeededAndAnnealed) {
  const auto run = [](std::uint64_t seed) {
    return optim::minimize(bowl, Vector{{1.0, 1.0}}, {"gd", {.lr = 0.05}},
                           {.stop = {.max_iterations = 200, .tol = 0},
                            .noise = {.eta = 0.1, .gamma = 0.55, .seed = seed}});
  };
  const auto a = run(1), b = run(1), c = run(2);
  EXPECT_EQ(a.x, b.x);
  EXPECT_NE(a.x, c.x);
  const auto clean = optim::minimize(bowl, Vector{{1.0, 1.0}}, {"gd", {.lr = 0.05}},
                                     {.stop = {.max_iterations = 200, .tol = 0}});
  EXPECT_NE(a.x, clean.x);
  EXPECT_LT(a.x.norm(), 0.1);  // the annealed noise still lets it settle near the minimum
  EXPECT_THROW(optim::minimize(bowl, Vector{{1.0, 1.0}}, {"lbfgs"}, {.noise = {.eta = 0.1}}),
               xi::InputError);
}

TEST(Minimize, GradientCheckOnTheFirstIterations) {
  const auto ok = optim::minimize(bowl, Vector{{1.0, 1.0}}, {"gd", {.lr = 0.1}},
                                  {.stop = {.max_iterations = 5}, .check_gradient_iterations = 3});
  EXPECT_EQ(ok.iterations, 5u);
  try {
    optim::minimize(wrong_gradient, Vector{{1.0}}, {"gd", {.lr = 0.1}},
                    {.check_gradient_iterations = 1});
    FAIL() << "the gradient check should have failed";
  } catch (const optim::GradientCheckError& e) {
    EXPECT_NE(std::string(e.what()).find("at iteration 0 (x = [1])"), std::string::npos)
        << e.what();
  }
}

TEST(Minimize, LineSearchFailureIsAStopReason) {
  const auto r = optim::minimize(wrong_gradient, Vector{{1.0}}, {"lbfgs"}, {});
  EXPECT_EQ(r.stop_reason, "line_search_failed");
  EXPECT_FALSE(r.converged);
  EXPECT_FALSE(r.diverged);
  EXPECT_EQ(r.iterations, 0u);
  EXPECT_EQ(r.x[0], 1.0);
}

TEST(Minimize, TimeLimit) {
  const xi::ScalarFunction slow = [](const Tensor& v) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return xi::square(v[0]);
  };
  const auto r =
      optim::minimize(slow, Vector{{1.0}}, {"gd", {.lr = 1e-6}},
                      {.stop = {.max_iterations = 100000, .tol = 0, .time_limit = 0.05}});
  EXPECT_EQ(r.stop_reason, "time_limit");
  EXPECT_LT(r.iterations, 100000u);
}

TEST(Minimize, LossChange) {
  // GD on x⁴ converges sublinearly: the relative change of the loss shrinks towards 0.
  const xi::ScalarFunction quartic = [](const Tensor& v) { return xi::square(xi::square(v[0])); };
  const auto r =
      optim::minimize(quartic, Vector{{1.0}}, {"gd", {.lr = 0.01}},
                      {.stop = {.max_iterations = 100000, .tol = 0, .loss_change_tol = 1e-2}});
  EXPECT_EQ(r.stop_reason, "loss_change");
  EXPECT_TRUE(r.converged);
  const double last = r.trace.rows[r.iterations].loss, before = r.trace.rows[r.iterations - 1].loss;
  EXPECT_LE(std::abs(last - before), 1e-2 * before);
}

TEST(Minimize, NewtonAndLbfgsToHighAccuracy) {
  const xi::ScalarFunction rosenbrock = [](const Tensor& v) {
    return xi::square(1 - v[0]) + 100 * xi::square(v[1] - xi::square(v[0]));
  };
  for (const char* name : {"lbfgs", "newton"}) {
    const auto r =
        optim::minimize(rosenbrock, Vector{{-1.2, 1.0}}, {name}, {.stop = {.tol = 1e-10}});
    EXPECT_TRUE(r.converged) << name << ": " << r.stop_reason;
    EXPECT_NEAR(r.x[0], 1.0, 1e-8) << name;
    EXPECT_NEAR(r.x[1], 1.0, 1e-8) << name;
    EXPECT_LT(r.iterations, 60u) << name;
  }
}

TEST(Minimize, InvalidOptions) {
  EXPECT_THROW(optim::minimize(bowl, Vector(), {"gd"}), xi::InputError);
  EXPECT_THROW(optim::minimize(bowl, Vector{{1.0, 1.0}}, {"nope"}), xi::InputError);
  EXPECT_THROW(optim::minimize(bowl, Vector{{1.0, 1.0}}, {"gd"}, {.names = {"a"}}), xi::InputError);
  EXPECT_THROW(optim::minimize(bowl, Vector{{1.0, 1.0}}, {"gd"},
                               {.restarts = {.count = 2, .lo = 1, .hi = 1}}),
               xi::InputError);
  EXPECT_THROW(optim::minimize(bowl, Vector{{1.0, 1.0}}, {"newton"}, {.clip = {.max_norm = 1}}),
               xi::InputError);
}

}  // namespace
