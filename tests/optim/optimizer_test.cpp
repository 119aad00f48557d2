// The first-order update rules against the PyTorch equations coded by hand here, state save and
// restore, the factory, gradient clipping and hyper-parameter validation.

#include <xigrad/optim/optimizers.hpp>

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/tensor.hpp>

namespace {

using xi::Parameter;
using xi::Tape;
using xi::Var;
using xi::Vector;
namespace optim = xi::optim;

// f = x² + 3y², ∇f = (2x, 6y): the fixed small problem of the step-by-step tests.
Var bowl(const xi::Tensor& v) {
  return xi::square(v[0]) + 3 * xi::square(v[1]);
}
std::array<double, 2> bowl_grad(const std::array<double, 2>& x) {
  return {2 * x[0], 6 * x[1]};
}

/// Records f at p and sets p.grad() = ∇f(p) (through the engine).
double compute_grad(const xi::ScalarFunction& f, Parameter& p) {
  Tape& tape = Tape::current();
  tape.clear();
  p.zero_grad();
  const Var loss = f(p.var());
  xi::backward(loss);
  return loss.value();
}

std::array<double, 2> values(const Parameter& p) {
  return {p.data()[0], p.data()[1]};
}

/// Relative comparison at 1e-15 (a few ulps), absolute below 1e-300.
void expect_close(const std::array<double, 2>& got, const std::array<double, 2>& want, int step) {
  for (int i = 0; i < 2; ++i) {
    const double tol = 1e-15 * std::max(std::abs(want[i]), 1e-300);
    EXPECT_NEAR(got[i], want[i], tol) << "step " << step << " component " << i;
  }
}

/// Runs `opt` on the bowl from (1, 1) for `steps` steps and compares every iterate with `hand`,
/// which maps (x, ∇f(x), t) to the next iterate (t = 1, 2, ...).
void check_iterates(optim::Optimizer& opt, Parameter& p,
                    const std::function<std::array<double, 2>(
                        const std::array<double, 2>&, const std::array<double, 2>&, int)>& hand,
                    int steps = 3) {
  std::array<double, 2> x{1.0, 1.0};
  for (int t = 1; t <= steps; ++t) {
    compute_grad(bowl, p);
    opt.step();
    x = hand(x, bowl_grad(x), t);
    expect_close(values(p), x, t);
  }
}

Parameter start() {
  return Parameter(Vector{{1.0, 1.0}}, "x");
}

TEST(SGD, PlainGradientDescentIterates) {
  Parameter p = start();
  optim::SGD opt({p}, {.lr = 0.1});
  check_iterates(opt, p, [](auto x, auto g, int) {
    return std::array<double, 2>{x[0] - 0.1 * g[0], x[1] - 0.1 * g[1]};
  });
  // (1, 1) → (0.8, 0.4) → (0.64, 0.16) → (0.512, 0.064): x ← (1 − 0.2)x, y ← (1 − 0.6)y
  EXPECT_NEAR(p.data()[0], 0.512, 1e-15);
  EXPECT_NEAR(p.data()[1], 0.064, 1e-15);
}

TEST(SGD, MomentumDampeningWeightDecayIterates) {
  Parameter p = start();
  const double lr = 0.05, mu = 0.9, tau = 0.1, wd = 0.01;
  optim::SGD opt({p}, {.lr = lr, .momentum = mu, .dampening = tau, .weight_decay = wd});
  std::array<double, 2> b{};
  check_iterates(opt, p, [&](auto x, auto g, int t) {
    std::array<double, 2> out{};
    for (int i = 0; i < 2; ++i) {
      const double gi = g[i] + wd * x[i];
      b[i] = t == 1 ? gi : mu * b[i] + (1 - tau) * gi;
      out[i] = x[i] - lr * b[i];
    }
    return out;
  });
}

TEST(SGD, NesterovIterates) {
  Parameter p = start();
  const double lr = 0.05, mu = 0.9, wd = 0.01;
  optim::SGD opt({p}, {.lr = lr, .momentum = mu, .weight_decay = wd, .nesterov = true});
  std::array<double, 2> b{};
  check_iterates(opt, p, [&](auto x, auto g, int t) {
    std::array<double, 2> out{};
    for (int i = 0; i < 2; ++i) {
      const double gi = g[i] + wd * x[i];
      b[i] = t == 1 ? gi : mu * b[i] + gi;
      out[i] = x[i] - lr * (gi + mu * b[i]);
    }
    return out;
  });
}

TEST(Adagrad, Iterates) {
  Parameter p = start();
  const double lr = 0.1, lr_decay = 0.01, wd = 0.01, init = 0.1, eps = 1e-10;
  optim::Adagrad opt(
      {p}, {.lr = lr, .lr_decay = lr_decay, .weight_decay = wd, .initial_accumulator_value = init});
  std::array<double, 2> s{init, init};
  check_iterates(opt, p, [&](auto x, auto g, int t) {
    std::array<double, 2> out{};
    const double clr = lr / (1 + (t - 1) * lr_decay);
    for (int i = 0; i < 2; ++i) {
      const double gi = g[i] + wd * x[i];
      s[i] += gi * gi;
      out[i] = x[i] - clr * gi / (std::sqrt(s[i]) + eps);
    }
    return out;
  });
}

TEST(RMSprop, Iterates) {
  Parameter p = start();
  const double lr = 0.01, alpha = 0.99, eps = 1e-8;
  optim::RMSprop opt({p}, {});
  std::array<double, 2> v{};
  check_iterates(opt, p, [&](auto x, auto g, int) {
    std::array<double, 2> out{};
    for (int i = 0; i < 2; ++i) {
      v[i] = alpha * v[i] + (1 - alpha) * g[i] * g[i];
      out[i] = x[i] - lr * g[i] / (std::sqrt(v[i]) + eps);
    }
    return out;
  });
}

TEST(RMSprop, CenteredMomentumWeightDecayIterates) {
  Parameter p = start();
  const double lr = 0.02, alpha = 0.9, eps = 1e-8, wd = 0.01, mu = 0.8;
  optim::RMSprop opt(
      {p}, {.lr = lr, .alpha = alpha, .weight_decay = wd, .momentum = mu, .centered = true});
  std::array<double, 2> v{}, gbar{}, b{};
  check_iterates(opt, p, [&](auto x, auto g, int) {
    std::array<double, 2> out{};
    for (int i = 0; i < 2; ++i) {
      const double gi = g[i] + wd * x[i];
      v[i] = alpha * v[i] + (1 - alpha) * gi * gi;
      gbar[i] = alpha * gbar[i] + (1 - alpha) * gi;
      const double d = std::sqrt(v[i] - gbar[i] * gbar[i]) + eps;
      b[i] = mu * b[i] + gi / d;
      out[i] = x[i] - lr * b[i];
    }
    return out;
  });
}

/// Adam / AdamW by hand from torch.optim's documented algorithm.
struct HandAdam {
  double lr, beta1, beta2, eps, wd;
  bool decoupled, amsgrad;
  std::array<double, 2> m{}, v{}, vmax{};
  std::array<double, 2> operator()(std::array<double, 2> x, std::array<double, 2> g, int t) {
    std::array<double, 2> out{};
    for (int i = 0; i < 2; ++i) {
      double xi = x[i], gi = g[i];
      if (decoupled) {
        xi *= 1 - lr * wd;
      } else {
        gi += wd * x[i];
      }
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
      vmax[i] = std::max(vmax[i], v[i]);
      // torch.optim.Adam's arithmetic: step_size = lr / (1 − β₁ᵗ),
      // denom = √v̂ / √(1 − β₂ᵗ) + ε, θ ← θ − step_size·m / denom
      const double step_size = lr / (1 - std::pow(beta1, t));
      const double denom =
          std::sqrt(amsgrad ? vmax[i] : v[i]) / std::sqrt(1 - std::pow(beta2, t)) + eps;
      out[i] = xi - step_size * m[i] / denom;
    }
    return out;
  }
};

TEST(Adam, Iterates) {
  Parameter p = start();
  optim::Adam opt({p}, {.lr = 0.1});
  HandAdam hand{0.1, 0.9, 0.999, 1e-8, 0.0, false, false};
  check_iterates(opt, p, std::ref(hand), 5);
}

TEST(Adam, AmsgradWeightDecayIterates) {
  Parameter p = start();
  optim::Adam opt({p}, {.lr = 0.3, .betas = {0.8, 0.5}, .weight_decay = 0.01, .amsgrad = true});
  HandAdam hand{0.3, 0.8, 0.5, 1e-8, 0.01, false, true};
  check_iterates(opt, p, std::ref(hand), 5);
  // the maximum differs from the running average here, so amsgrad is exercised
  EXPECT_GT(hand.vmax[1], hand.v[1]);
}

TEST(AdamW, DecoupledWeightDecayIterates) {
  Parameter p = start();
  optim::AdamW opt({p}, {.lr = 0.1, .weight_decay = 0.1});
  HandAdam hand{0.1, 0.9, 0.999, 1e-8, 0.1, true, false};
  check_iterates(opt, p, std::ref(hand), 5);
}

TEST(AdamW, DefaultsArePyTorchs) {
  Parameter p = start();
  optim::AdamW w({p});
  EXPECT_EQ(w.lr(), 1e-3);
  EXPECT_EQ(w.options().weight_decay, 1e-2);
  EXPECT_EQ(w.options().betas.first, 0.9);
  EXPECT_EQ(w.options().betas.second, 0.999);
  EXPECT_EQ(w.options().eps, 1e-8);
  optim::Adam a({p});
  EXPECT_EQ(a.options().weight_decay, 0.0);
  optim::RMSprop r({p});
  EXPECT_EQ(r.lr(), 1e-2);
  EXPECT_EQ(r.options().alpha, 0.99);
  optim::Adagrad g({p});
  EXPECT_EQ(g.lr(), 1e-2);
  EXPECT_EQ(g.options().eps, 1e-10);
}

TEST(Optimizer, SeveralParametersShareTheCallersValues) {
  Parameter a(Vector{{1.0, 2.0}}, "a");
  Parameter b(3.0, "b");
  optim::SGD opt({a, b}, {.lr = 0.5});
  EXPECT_EQ(opt.numel(), 3u);
  a.grad().setConstant(1.0);
  b.grad().setConstant(2.0);
  opt.step();
  EXPECT_EQ(a.data()[0], 0.5);
  EXPECT_EQ(a.data()[1], 1.5);
  EXPECT_EQ(b.data()[0], 2.0);
  opt.zero_grad();
  EXPECT_EQ(a.grad().norm(), 0.0);
  EXPECT_EQ(b.grad().norm(), 0.0);
  EXPECT_EQ(opt.steps(), 1u);
}

TEST(Optimizer, RejectsInvalidHyperParameters) {
  Parameter p = start();
  EXPECT_THROW(optim::SGD({p}, {.lr = -1}), xi::InputError);
  EXPECT_THROW(optim::SGD({p}, {.lr = 0.1, .nesterov = true}), xi::InputError);
  EXPECT_THROW(optim::Adam({p}, {.betas = {1.0, 0.999}}), xi::InputError);
  EXPECT_THROW(optim::Adam({p}, {.eps = -1}), xi::InputError);
  EXPECT_THROW(optim::SGD({p, p}), xi::InputError);
  optim::SGD ok({p});
  EXPECT_THROW(ok.set_lr(std::nan("")), xi::InputError);
  try {
    optim::Adam({p}, {.betas = {0.9, 1.5}});
    FAIL();
  } catch (const xi::InputError& e) {
    EXPECT_STREQ(e.what(), "adam: betas[1] = 1.5 is invalid (it must be in [0, 1))");
  }
}

// ------------------------------------------------------------------ state save / restore

using Maker = std::function<std::unique_ptr<optim::Optimizer>(Parameter)>;

/// Bit-exact equality of doubles.
bool same(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

Var rosenbrock(const xi::Tensor& v) {
  return xi::square(1 - v[0]) + 100 * xi::square(v[1] - xi::square(v[0]));
}

/// Runs 7 steps uninterrupted; and 3 steps, state() → a fresh optimizer over a fresh parameter
/// with load_state → 4 more steps. The iterates must agree bit for bit.
void expect_bit_identical_resume(const Maker& make, bool closure) {
  const xi::ScalarFunction f = rosenbrock;
  const auto run_steps = [&](optim::Optimizer& opt, Parameter& p, int n) {
    for (int i = 0; i < n; ++i) {
      if (closure) {
        opt.step([&] { return compute_grad(f, p); });
      } else {
        compute_grad(f, p);
        opt.step();
      }
    }
  };
  Parameter a(Vector{{-1.2, 1.0}}, "x");
  auto full = make(a);
  run_steps(*full, a, 7);

  Parameter b(Vector{{-1.2, 1.0}}, "x");
  auto first = make(b);
  run_steps(*first, b, 3);
  const optim::OptimizerState saved = first->state();
  EXPECT_EQ(saved.step, 3u);

  Parameter c(b.value().transpose().eval().reshaped(), "x");  // a fresh copy of b's values
  auto second = make(c);
  second->load_state(saved);
  EXPECT_EQ(second->state(), saved);
  run_steps(*second, c, 4);
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(same(c.data()[i], a.data()[i]))
        << full->name() << " component " << i << ": " << c.data()[i] << " vs " << a.data()[i];
  }
  EXPECT_EQ(second->state(), full->state());
}

TEST(OptimizerState, ResumeIsBitIdentical) {
  const std::vector<std::pair<Maker, bool>> makers = {
      {[](Parameter p) {
         return std::make_unique<optim::SGD>(std::vector{p}, optim::SGDOptions{.lr = 1e-3});
       },
       false},
      {[](Parameter p) {
         return std::make_unique<optim::SGD>(
             std::vector{p}, optim::SGDOptions{.lr = 1e-4, .momentum = 0.9, .nesterov = true});
       },
       false},
      {[](Parameter p) { return std::make_unique<optim::Adagrad>(std::vector{p}); }, false},
      {[](Parameter p) {
         return std::make_unique<optim::RMSprop>(
             std::vector{p}, optim::RMSpropOptions{.lr = 1e-3, .momentum = 0.5, .centered = true});
       },
       false},
      {[](Parameter p) {
         return std::make_unique<optim::Adam>(std::vector{p},
                                              optim::AdamOptions{.lr = 0.01, .amsgrad = true});
       },
       false},
      {[](Parameter p) { return std::make_unique<optim::AdamW>(std::vector{p}); }, false},
      {[](Parameter p) {
         return std::make_unique<optim::LBFGS>(
             std::vector{p}, optim::LBFGSOptions{.max_iter = 1, .history_size = 2});
       },
       true},
      {[](Parameter p) {
         return std::make_unique<optim::LBFGS>(
             std::vector{p},
             optim::LBFGSOptions{.max_iter = 2, .line_search = optim::LineSearch::none});
       },
       true},
      {[](Parameter p) {
         return std::make_unique<optim::Newton>(std::vector{p}, xi::ScalarFunction(rosenbrock));
       },
       true},
  };
  for (const auto& [make, closure] : makers) expect_bit_identical_resume(make, closure);
}

TEST(OptimizerState, LoadRejectsMismatches) {
  Parameter p = start();
  optim::Adam adam({p});
  compute_grad(bowl, p);
  adam.step();
  optim::OptimizerState s = adam.state();
  EXPECT_EQ(s.name, "adam");
  EXPECT_EQ(s.buffers.at("exp_avg").size(), 2u);
  EXPECT_EQ(s.buffers.at("lr"), std::vector<double>{1e-3});

  optim::SGD sgd({p});
  EXPECT_THROW(sgd.load_state(s), xi::InputError);

  Parameter q(Vector{{1.0, 2.0, 3.0}}, "q");
  optim::Adam other({q});
  try {
    other.load_state(s);
    FAIL();
  } catch (const xi::InputError& e) {
    EXPECT_STREQ(e.what(),
                 "optimizer state of 'adam': the buffer 'exp_avg' has 2 values, expected 3");
  }
  s.buffers.erase("exp_avg_sq");
  EXPECT_THROW(adam.load_state(s), xi::InputError);
}

// ------------------------------------------------------------------ factory

TEST(MakeOptimizer, NamesAndDefaults) {
  Parameter p = start();
  for (std::string_view name : optim::optimizer_names()) {
    auto opt = optim::make_optimizer(name, {p}, {}, xi::ScalarFunction(bowl));
    ASSERT_NE(opt, nullptr) << name;
  }
  EXPECT_EQ(optim::optimizer_names().size(), 10u);
  auto gd = optim::make_optimizer("gd", {p}, {.lr = 0.1});
  EXPECT_EQ(gd->name(), "sgd");
  EXPECT_EQ(gd->lr(), 0.1);
  auto mom = optim::make_optimizer("momentum", {p});
  EXPECT_EQ(dynamic_cast<optim::SGD&>(*mom).options().momentum, 0.9);
  EXPECT_FALSE(dynamic_cast<optim::SGD&>(*mom).options().nesterov);
  auto nes = optim::make_optimizer("nesterov", {p}, {.momentum = 0.5});
  EXPECT_EQ(dynamic_cast<optim::SGD&>(*nes).options().momentum, 0.5);
  EXPECT_TRUE(dynamic_cast<optim::SGD&>(*nes).options().nesterov);
  auto adam = optim::make_optimizer("adam", {p}, {.betas = std::pair{0.5, 0.6}, .amsgrad = true});
  EXPECT_EQ(dynamic_cast<optim::Adam&>(*adam).options().betas.first, 0.5);
  EXPECT_TRUE(dynamic_cast<optim::Adam&>(*adam).options().amsgrad);
  EXPECT_EQ(optim::make_optimizer("adamw", {p})->name(), "adamw");
  EXPECT_EQ(optim::make_optimizer("lbfgs", {p})->lr(), 1.0);
  EXPECT_TRUE(optim::make_optimizer("lbfgs", {p})->needs_closure());
}

TEST(MakeOptimizer, Errors) {
  Parameter p = start();
  try {
    optim::make_optimizer("adamax", {p});
    FAIL();
  } catch (const xi::InputError& e) {
    EXPECT_STREQ(e.what(),
                 "unknown optimizer 'adamax' (known: gd, sgd, momentum, nesterov, adagrad, "
                 "rmsprop, adam, adamw, lbfgs, newton)");
  }
  try {
    optim::make_optimizer("gd", {p}, {.momentum = 0.9});
    FAIL();
  } catch (const xi::InputError& e) {
    EXPECT_STREQ(e.what(),
                 "optimizer 'gd' has no hyper-parameter 'momentum' (it takes: lr, weight_decay)");
  }
  EXPECT_THROW(optim::make_optimizer("newton", {p}), xi::InputError);
  EXPECT_THROW(optim::make_optimizer("adam", {p}, {.lr = -0.1}), xi::InputError);
}

// ------------------------------------------------------------------ clipping

TEST(Clipping, GlobalNormLikeClipGradNorm) {
  Parameter a(Vector{{0.0, 0.0}}, "a");
  Parameter b(0.0, "b");
  a.grad() << 3.0, 0.0;
  b.grad().setConstant(4.0);
  const std::vector<Parameter> ps{a, b};
  EXPECT_DOUBLE_EQ(optim::grad_norm(ps), 5.0);
  const double total = optim::clip_grad_norm(ps, 1.0);
  EXPECT_DOUBLE_EQ(total, 5.0);
  const double coef = 1.0 / (5.0 + 1e-6);
  EXPECT_DOUBLE_EQ(a.grad()(0, 0), 3.0 * coef);
  EXPECT_DOUBLE_EQ(b.grad()(0, 0), 4.0 * coef);
  // below the limit: unchanged
  EXPECT_DOUBLE_EQ(optim::clip_grad_norm(ps, 10.0), 5.0 * coef);
  EXPECT_DOUBLE_EQ(b.grad()(0, 0), 4.0 * coef);
  EXPECT_THROW(optim::clip_grad_norm(ps, 0.0), xi::InputError);
}

TEST(Clipping, ByValue) {
  Parameter a(Vector{{0.0, 0.0, 0.0}}, "a");
  a.grad() << -3.0, 0.5, 2.0;
  optim::clip_grad_value(std::vector{a}, 1.0);
  EXPECT_EQ(a.grad()(0, 0), -1.0);
  EXPECT_EQ(a.grad()(0, 1), 0.5);
  EXPECT_EQ(a.grad()(0, 2), 1.0);
}

}  // namespace
