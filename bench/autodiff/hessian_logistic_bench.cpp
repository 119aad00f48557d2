// hessian_logistic: the full Hessian of L(w) = mean(softplus(−s ⊙ Xw)), n = 10,000, d = 50.
//
//   hessian_logistic/engine  xi::hessian of the formula as a user writes it (X and s borrowed)
//   hessian_logistic/hand    Eigen: Xᵀ diag(p(1 − p)) X / n with p = σ(Xw), buffers allocated once
//
// The figure that counts is engine / hand.

#include <xigrad/autodiff/autodiff.hpp>

#include "common.hpp"

namespace {

using xi::bench::LogisticData;

constexpr Eigen::Index kN = 10'000;
constexpr Eigen::Index kD = 50;

const LogisticData& data() {
  static const LogisticData d = xi::bench::logistic_data(kN, kD);
  return d;
}

// softplus''(−s z)·s² = σ(z)(1 − σ(z)) whatever the label, so H = Xᵀ diag(p(1 − p)) X / n.
struct Hand {
  xi::Vector z;
  xi::Matrix XV;  // rows of X scaled by p(1 − p) / n
  xi::Matrix H;
  explicit Hand(Eigen::Index n, Eigen::Index d) : z(n), XV(n, d), H(d, d) {}
  const xi::Matrix& operator()(const LogisticData& D, const xi::Vector& w) {
    const Eigen::Index n = D.X.rows();
    z.noalias() = D.X * w;
    const double inv_n = 1.0 / static_cast<double>(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const double p = xi::bench::softplus_sigmoid(z[i]).sigmoid;
      XV.row(i) = D.X.row(i) * (p * (1.0 - p) * inv_n);
    }
    H.noalias() = D.X.transpose() * XV;
    return H;
  }
};

void BM_hand(benchmark::State& state) {
  const LogisticData& D = data();
  Hand hand(kN, kD);
  for (auto _ : state) {
    const xi::Matrix& H = hand(D, D.w);
    benchmark::DoNotOptimize(H.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kN);
}

void BM_engine(benchmark::State& state) {
  const LogisticData& D = data();
  const xi::ScalarFunction f = [&D](const xi::Tensor& w) {
    return xi::mean(xi::softplus(-xi::borrow(D.s) * xi::matmul(xi::borrow(D.X), w)));
  };

  // Once, untimed: the engine's Hessian must agree with the closed form.
  Hand hand(kN, kD);
  if (!xi::bench::verify(state, "hessian_logistic Hessian", xi::hessian(f, D.w), hand(D, D.w))) {
    return;
  }

  for (auto _ : state) {
    xi::Matrix H = xi::hessian(f, D.w);
    benchmark::DoNotOptimize(H.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kN);
}

}  // namespace

BENCHMARK(BM_engine)->Name("hessian_logistic/engine")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_hand)->Name("hessian_logistic/hand")->Unit(benchmark::kMillisecond);
