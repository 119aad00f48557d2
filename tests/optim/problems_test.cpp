// Every optimizer on the classic test problems (quadratic bowl, Rosenbrock, Beale, Booth, the four
// minima of Himmelblau, Matyas, three-hump camel, the double well), through minimize().
// First-order methods must land within 1e-6 of the minimiser, L-BFGS and Newton within 1e-8.

#include <xigrad/optim/minimize.hpp>

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include <xigrad/autodiff/tensor.hpp>

namespace {

using xi::Tensor;
using xi::Var;
using xi::Vector;
namespace optim = xi::optim;

struct Problem {
  std::string name;
  xi::ScalarFunction f;
  Vector x0;
  Vector minimiser;
};

std::vector<Problem> problems() {
  const xi::ScalarFunction himmelblau = [](const Tensor& v) {
    return square(square(v[0]) + v[1] - 11) + square(v[0] + square(v[1]) - 7);
  };
  return {
      {"bowl", [](const Tensor& v) { return square(v[0]) + 3 * square(v[1]); }, Vector{{1.0, 1.0}},
       Vector{{0.0, 0.0}}},
      {"rosenbrock",
       [](const Tensor& v) { return square(1 - v[0]) + 100 * square(v[1] - square(v[0])); },
       Vector{{-1.2, 1.0}}, Vector{{1.0, 1.0}}},
      {"beale",
       [](const Tensor& v) {
         const Var x = v[0], y = v[1];
         return square(1.5 - x + x * y) + square(2.25 - x + x * y * y) +
                square(2.625 - x + x * y * y * y);
       },
       Vector{{1.0, 1.0}}, Vector{{3.0, 0.5}}},
      {"booth",
       [](const Tensor& v) { return square(v[0] + 2 * v[1] - 7) + square(2 * v[0] + v[1] - 5); },
       Vector{{0.0, 0.0}}, Vector{{1.0, 3.0}}},
      {"himmelblau_1", himmelblau, Vector{{2.5, 2.5}}, Vector{{3.0, 2.0}}},
      {"himmelblau_2", himmelblau, Vector{{-2.0, 2.0}},
       Vector{{-2.805118086952745, 3.131312518250573}}},
      {"himmelblau_3", himmelblau, Vector{{-3.0, -3.0}},
       Vector{{-3.779310253377747, -3.283185991286169}}},
      {"himmelblau_4", himmelblau, Vector{{3.0, -2.0}},
       Vector{{3.5844283403304917, -1.8481265269644034}}},
      {"matyas",
       [](const Tensor& v) { return 0.26 * (square(v[0]) + square(v[1])) - 0.48 * v[0] * v[1]; },
       Vector{{1.0, 0.5}}, Vector{{0.0, 0.0}}},
      {"three_hump_camel",
       [](const Tensor& v) {
         const Var x = v[0], y = v[1];
         const Var x2 = square(x);
         return 2 * x2 - 1.05 * square(x2) + x2 * x2 * x2 / 6 + x * y + square(y);
       },
       Vector{{0.3, 0.3}}, Vector{{0.0, 0.0}}},
      // x⁴ − 3x² + x: global minimum at the root of 4x³ − 6x + 1 near −1.3008 (the local one is
      // near 1.1309)
      {"double_well",
       [](const Tensor& v) {
         const Var x = v[0];
         return square(square(x)) - 3 * square(x) + x;
       },
       Vector{{-2.0}}, Vector{{-1.3008395659415772}}},
  };
}

/// Hyper-parameters chosen per optimizer (and problem where one needs it).
struct Config {
  optim::OptimizerSpec spec;
  optim::Schedule schedule{};
  std::size_t iterations = 0;
  double tolerance = 1e-6;  // on max |x − x*|
};

Config config_for(const std::string& opt, const std::string& problem) {
  const bool matyas = problem == "matyas";
  if (opt == "gd") return {{"gd", {.lr = matyas ? 1.0 : 1e-3}}, {}, 60000};
  if (opt == "momentum" || opt == "nesterov") {
    return {{opt, {.lr = matyas ? 0.1 : 1e-3, .momentum = 0.9}}, {}, 20000};
  }
  if (opt == "adagrad") return {{"adagrad", {.lr = 0.5}}, {}, 20000};
  if (opt == "rmsprop")
    return {{"rmsprop", {.lr = 0.01}}, optim::Schedule::exponential(0.999), 30000};
  if (opt == "adam") return {{"adam", {.lr = 0.02}}, optim::Schedule::exponential(0.9995), 30000};
  if (opt == "adamw") {
    return {
        {"adamw", {.lr = 0.02, .weight_decay = 0.0}}, optim::Schedule::exponential(0.9995), 30000};
  }
  if (opt == "lbfgs") return {{"lbfgs", {}}, {}, 100, 1e-8};
  return {{"newton", {}}, {}, 100, 1e-8};
}

class Suite : public ::testing::TestWithParam<std::tuple<std::string, std::size_t>> {};

TEST_P(Suite, ReachesTheMinimiser) {
  const auto& [opt, index] = GetParam();
  const Problem problem = problems().at(index);
  const Config config = config_for(opt, problem.name);
  optim::MinimizeOptions options;
  options.stop.max_iterations = config.iterations;
  options.stop.tol = 1e-10;
  options.schedule = config.schedule;
  const optim::Result r = optim::minimize(problem.f, problem.x0, config.spec, options);
  EXPECT_FALSE(r.diverged) << r.stop_reason;
  const double error = (r.x - problem.minimiser).cwiseAbs().maxCoeff();
  EXPECT_LE(error, config.tolerance)
      << opt << " on " << problem.name << ": x = [" << r.x.transpose()
      << "], stop: " << r.stop_reason << " after " << r.iterations << " iterations";
  EXPECT_EQ(r.trace.rows.size(), r.iterations + 1);
}

std::vector<std::size_t> all_problems() {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < problems().size(); ++i) out.push_back(i);
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllOptimizers, Suite,
                         ::testing::Combine(::testing::Values("gd", "momentum", "nesterov",
                                                              "adagrad", "rmsprop", "adam", "adamw",
                                                              "lbfgs", "newton"),
                                            ::testing::ValuesIn(all_problems())),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" +
                                  problems().at(std::get<1>(info.param)).name;
                         });

}  // namespace
