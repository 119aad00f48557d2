// One Adam step on 1,000,000 parameters through the optimizer interface (xi::optim::Adam over an
// xi::Parameter) beside a plain fused loop doing the same arithmetic on raw arrays. The ratio
// adam_step/optimizer ÷ adam_step/fused is the interface's overhead (target ≤ 1.5).
// Self-contained: the suite's main() comes from benchmark_main.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include <xigrad/autodiff/matrix.hpp>
#include <xigrad/autodiff/parameter.hpp>
#include <xigrad/optim/adam.hpp>

namespace {

constexpr std::size_t kParams = 1'000'000;

/// Seeded starting values and a fixed gradient (both ~ N(0, 1)).
struct AdamInputs {
  std::vector<double> x;
  std::vector<double> g;
};

const AdamInputs& inputs() {
  static const AdamInputs in = [] {
    std::mt19937_64 rng(20240611);
    std::normal_distribution<double> normal(0.0, 1.0);
    AdamInputs a;
    a.x.resize(kParams);
    a.g.resize(kParams);
    for (std::size_t i = 0; i < kParams; ++i) {
      a.x[i] = normal(rng);
      a.g[i] = normal(rng);
    }
    return a;
  }();
  return in;
}

/// torch.optim.Adam's step (weight_decay = 0, amsgrad = false) on raw arrays, fused in one loop.
struct FusedAdam {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  std::vector<double> m = std::vector<double>(kParams, 0.0);
  std::vector<double> v = std::vector<double>(kParams, 0.0);
  std::uint64_t t = 0;

  void step(double* x, const double* g) {
    ++t;
    const double w = 1.0 - beta1;  // < 0.5: torch.lerp's first branch
    const double one_minus_beta2 = 1.0 - beta2;
    const double step_size = lr / (1.0 - std::pow(beta1, static_cast<double>(t)));
    const double bc2_sqrt = std::sqrt(1.0 - std::pow(beta2, static_cast<double>(t)));
    double* mp = m.data();
    double* vp = v.data();
    for (std::size_t i = 0; i < kParams; ++i) {
      mp[i] = mp[i] + w * (g[i] - mp[i]);
      vp[i] = vp[i] * beta2 + one_minus_beta2 * g[i] * g[i];
      const double denom = std::sqrt(vp[i]) / bc2_sqrt + eps;
      x[i] = x[i] + (-step_size) * mp[i] / denom;
    }
  }
};

xi::Parameter make_parameter() {
  const auto& in = inputs();
  const auto n = static_cast<Eigen::Index>(kParams);
  xi::Parameter p(xi::Vector(xi::ConstVectorMap(in.x.data(), n)), "w");
  xi::VectorMap(p.grad().data(), n) = xi::ConstVectorMap(in.g.data(), n);
  return p;
}

/// Both variants must give the same iterates (checked once, before timing).
void check_same_iterates() {
  xi::Parameter p = make_parameter();
  xi::optim::Adam opt({p}, {.lr = 1e-3});
  std::vector<double> x = inputs().x;
  FusedAdam fused;
  for (int k = 0; k < 3; ++k) {
    opt.step();
    fused.step(x.data(), inputs().g.data());
  }
  for (std::size_t i = 0; i < kParams; ++i) {
    if (p.data()[i] != x[i]) throw std::runtime_error("adam_bench: the two variants disagree");
  }
}

void adam_step_optimizer(benchmark::State& state) {
  static const bool checked = (check_same_iterates(), true);
  benchmark::DoNotOptimize(checked);
  xi::Parameter p = make_parameter();
  xi::optim::Adam opt({p}, {.lr = 1e-3});
  for (auto _ : state) {
    opt.step();
    benchmark::DoNotOptimize(p.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kParams));
}

void adam_step_fused(benchmark::State& state) {
  std::vector<double> x = inputs().x;
  const std::vector<double>& g = inputs().g;
  FusedAdam fused;
  for (auto _ : state) {
    fused.step(x.data(), g.data());
    benchmark::DoNotOptimize(x.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kParams));
}

}  // namespace

BENCHMARK(adam_step_optimizer)->Name("adam_step/optimizer")->Unit(benchmark::kMicrosecond);
BENCHMARK(adam_step_fused)->Name("adam_step/fused")->Unit(benchmark::kMicrosecond);
