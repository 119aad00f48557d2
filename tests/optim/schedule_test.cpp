// Learning-rate schedules (PyTorch's closed forms and ReduceLROnPlateau) and stopping rules.

#include <xigrad/optim/schedule.hpp>
#include <xigrad/optim/stopping.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <numbers>
#include <thread>
#include <vector>

#include <xigrad/autodiff/error.hpp>

namespace {

namespace optim = xi::optim;

std::vector<double> rates(const optim::Schedule& s, double base, std::size_t n, double loss = 1.0) {
  optim::Scheduler sched(s, base);
  std::vector<double> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(sched.lr());
    sched.step(loss);
  }
  return out;
}

TEST(Schedule, Constant) {
  EXPECT_EQ(rates(optim::Schedule::constant(), 0.1, 3), (std::vector{0.1, 0.1, 0.1}));
}

TEST(Schedule, StepLR) {
  EXPECT_EQ(rates(optim::Schedule::step(2, 0.5), 1.0, 6),
            (std::vector{1.0, 1.0, 0.5, 0.5, 0.25, 0.25}));
}

TEST(Schedule, ExponentialLR) {
  const auto r = rates(optim::Schedule::exponential(0.9), 2.0, 4);
  EXPECT_DOUBLE_EQ(r[3], 2.0 * 0.729);
}

TEST(Schedule, CosineAnnealingClosedForm) {
  const auto r = rates(optim::Schedule::cosine(10, 0.1), 1.0, 11);
  EXPECT_DOUBLE_EQ(r[0], 1.0);
  EXPECT_DOUBLE_EQ(r[5], 0.55);
  EXPECT_NEAR(r[10], 0.1, 1e-15);
  EXPECT_DOUBLE_EQ(r[3], 0.1 + 0.9 * (1 + std::cos(std::numbers::pi * 3 / 10)) / 2);
}

TEST(Schedule, LinearWarmupWrapsAnotherSchedule) {
  const auto s = optim::Schedule::warmup(4, optim::Schedule::step(3, 0.5), 0.2);
  const auto r = rates(s, 1.0, 7);
  EXPECT_DOUBLE_EQ(r[0], 0.2);
  EXPECT_DOUBLE_EQ(r[1], 0.4);
  EXPECT_DOUBLE_EQ(r[2], 0.6);
  EXPECT_DOUBLE_EQ(r[3], 0.8 * 0.5);  // the step rule has decayed once at t = 3
  EXPECT_DOUBLE_EQ(r[4], 0.5);
  EXPECT_DOUBLE_EQ(r[6], 0.25);
  EXPECT_EQ(s.describe(), "step(step_size=3, gamma=0.5) after 4 warm-up steps from 0.2·lr");
}

TEST(Schedule, ReduceOnPlateau) {
  optim::Scheduler s(optim::Schedule::reduce_on_plateau({.factor = 0.5, .patience = 2}), 1.0);
  // improvement, then three steps without: reduce after more than `patience` bad steps
  const std::vector<double> losses = {1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5};
  std::vector<double> lr;
  for (double l : losses) {
    s.step(l);
    lr.push_back(s.lr());
  }
  EXPECT_EQ(lr, (std::vector{1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25}));
}

TEST(Schedule, ReduceOnPlateauCooldownAndMinimum) {
  optim::Scheduler s(optim::Schedule::reduce_on_plateau(
                         {.factor = 0.1, .patience = 0, .cooldown = 1, .min_lr = 0.05}),
                     1.0);
  std::vector<double> lr;
  for (int i = 0; i < 6; ++i) {
    s.step(1.0);
    lr.push_back(s.lr());
  }
  // step 1 improves (best = inf before); step 2 is bad → 0.1, cooldown 1; step 3 in cooldown;
  // step 4 bad → max(0.01, 0.05) = 0.05; then no further change
  EXPECT_EQ(lr, (std::vector{1.0, 0.1, 0.1, 0.05, 0.05, 0.05}));
}

TEST(Schedule, ReduceOnPlateauAbsoluteThreshold) {
  optim::Scheduler s(
      optim::Schedule::reduce_on_plateau(
          {.factor = 0.5, .patience = 0, .threshold = 0.1, .relative_threshold = false}),
      1.0);
  s.step(1.0);
  s.step(0.95);  // not better than 1 − 0.1
  EXPECT_EQ(s.lr(), 0.5);
}

TEST(Schedule, StateSaveAndLoad) {
  optim::Scheduler a(optim::Schedule::reduce_on_plateau({.patience = 1}), 1.0);
  for (double l : {3.0, 2.0, 2.0}) a.step(l);
  optim::Scheduler b(optim::Schedule::reduce_on_plateau({.patience = 1}), 1.0);
  b.load_state(a.state());
  a.step(2.0);
  b.step(2.0);
  EXPECT_EQ(a.state(), b.state());
  EXPECT_EQ(a.lr(), b.lr());
  EXPECT_DOUBLE_EQ(a.lr(), 0.1);
}

TEST(Schedule, Validation) {
  EXPECT_THROW(optim::Schedule::step(0), xi::InputError);
  EXPECT_THROW(optim::Schedule::cosine(0), xi::InputError);
  EXPECT_THROW(optim::Schedule::reduce_on_plateau({.factor = 1.0}), xi::InputError);
  EXPECT_THROW(optim::Schedule::warmup(3, {}, 0.0), xi::InputError);
  EXPECT_THROW(optim::Scheduler({}, -1.0), xi::InputError);
}

// ------------------------------------------------------------------ stopping rules

TEST(Stopping, IterationBudget) {
  optim::StoppingCriteria s({.max_iterations = 2, .tol = 0});
  EXPECT_FALSE(s.check(0, 1.0, 1.0));
  EXPECT_FALSE(s.check(1, 1.0, 1.0));
  const auto v = s.check(2, 1.0, 1.0);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, "max_iterations");
  EXPECT_FALSE(v->converged);
}

TEST(Stopping, GradientTolerance) {
  optim::StoppingCriteria s({.tol = 1e-3});
  EXPECT_FALSE(s.check(0, 1.0, 2e-3));
  const auto v = s.check(1, 1.0, 1e-3);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, "gradient_tolerance");
  EXPECT_TRUE(v->converged);
}

TEST(Stopping, RelativeLossChange) {
  optim::StoppingCriteria s({.tol = 0, .loss_change_tol = 1e-3});
  EXPECT_FALSE(s.check(0, 10.0, 1.0));
  EXPECT_FALSE(s.check(1, 9.0, 1.0));
  const auto v = s.check(2, 8.995, 1.0);  // |Δ| = 0.005 ≤ 1e-3 · 9
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, "loss_change");
  EXPECT_TRUE(v->converged);
}

TEST(Stopping, Divergence) {
  {
    optim::StoppingCriteria s({});
    EXPECT_FALSE(s.check(0, 1.0, 1.0));
    const auto v = s.check(12, std::numeric_limits<double>::infinity(), 1.0);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->reason, "diverged: loss is inf at iteration 12");
    EXPECT_TRUE(v->diverged);
    EXPECT_FALSE(v->converged);
  }
  {
    optim::StoppingCriteria s({});
    const auto v = s.check(0, std::nan(""), 1.0);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->reason, "diverged: loss is nan at iteration 0");
  }
  {
    optim::StoppingCriteria s({});
    const auto v = s.check(0, 1.0, std::nan(""));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->reason, "diverged: gradient is nan at iteration 0");
  }
  {
    optim::StoppingCriteria s({.divergence_factor = 100});
    EXPECT_FALSE(s.check(0, 2.0, 1.0));
    EXPECT_FALSE(s.check(1, 200.0, 1.0));
    const auto v = s.check(2, 201.0, 1.0);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->reason, "diverged: loss 201 exceeds 100 × max(|initial loss|, 1) at iteration 2");
  }
}

TEST(Stopping, TimeLimit) {
  optim::StoppingCriteria s({.max_iterations = 1000000, .tol = 0, .time_limit = 0.02});
  EXPECT_FALSE(s.check(0, 1.0, 1.0));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const auto v = s.check(1, 1.0, 1.0);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->reason, "time_limit");
}

TEST(Stopping, Validation) {
  EXPECT_THROW(optim::StoppingCriteria({.tol = -1}), xi::InputError);
  EXPECT_THROW(optim::StoppingCriteria({.divergence_factor = 1}), xi::InputError);
}

}  // namespace
