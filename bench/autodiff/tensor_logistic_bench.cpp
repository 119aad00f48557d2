// tensor_logistic: L(w) = mean(softplus(−s ⊙ Xw)), n = 100,000, d = 100; value and gradient.
//
//   tensor_logistic/gradient  the engine: X borrowed, w a Parameter, forward + backward
//   tensor_logistic/hand      Eigen: z = Xw, L = mean(softplus(−s ⊙ z)),
//                             ∇L = −Xᵀ(s ⊙ σ(−s ⊙ z)) / n, buffers allocated once
//
// The figure that counts is gradient / hand.

#include <xigrad/autodiff/autodiff.hpp>

#include "common.hpp"

namespace {

using xi::bench::LogisticData;

constexpr Eigen::Index kN = 100'000;
constexpr Eigen::Index kD = 100;

const LogisticData& data() {
  static const LogisticData d = xi::bench::logistic_data(kN, kD);
  return d;
}

// What a good engineer writes: one matrix-vector product each way and one fused element-wise
// pass that takes the loss and the residual from a single exponential.
struct Hand {
  xi::Vector z, r;
  explicit Hand(Eigen::Index n) : z(n), r(n) {}
  double operator()(const LogisticData& D, const xi::Vector& w, xi::Vector& g) {
    const Eigen::Index n = D.X.rows();
    z.noalias() = D.X * w;
    double L = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto f = xi::bench::softplus_sigmoid(-D.s[i] * z[i]);
      L += f.softplus;
      r[i] = -D.s[i] * f.sigmoid;
    }
    g.noalias() = D.X.transpose() * r;
    g /= static_cast<double>(n);
    return L / static_cast<double>(n);
  }
};

// The engine: the formula as a user writes it.
double engine(const LogisticData& D, xi::Parameter& w) {
  xi::Tape::current().clear();
  w.zero_grad();
  const xi::Tensor z = xi::matmul(xi::borrow(D.X), w.var());
  const xi::Var L = xi::mean(xi::softplus(-xi::borrow(D.s) * z));
  xi::backward(L);
  return L.value();
}

void BM_hand(benchmark::State& state) {
  const LogisticData& D = data();
  Hand hand(kN);
  xi::Vector g(kD);
  for (auto _ : state) {
    double L = hand(D, D.w, g);
    benchmark::DoNotOptimize(L);
    benchmark::DoNotOptimize(g.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kN);
}

void BM_gradient(benchmark::State& state) {
  const LogisticData& D = data();
  xi::Tape tape;
  xi::Tape::Scope scope(tape);
  xi::Parameter w(D.w, "w");

  // Once, untimed: the engine must agree with the hand-derived gradient.
  Hand hand(kN);
  xi::Vector g_hand(kD);
  const double L_hand = hand(D, D.w, g_hand);
  const double L = engine(D, w);
  const xi::Vector g = w.grad().reshaped();
  if (!xi::bench::verify(state, "tensor_logistic gradient", g, g_hand) ||
      !xi::bench::verify_value(state, "tensor_logistic value", L, L_hand)) {
    return;
  }

  for (auto _ : state) {
    double value = engine(D, w);
    benchmark::DoNotOptimize(value);
    benchmark::DoNotOptimize(w.grad().data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kN);
  state.counters["arena_bytes"] = static_cast<double>(tape.memory().arena_bytes);
}

}  // namespace

BENCHMARK(BM_gradient)->Name("tensor_logistic/gradient")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_hand)->Name("tensor_logistic/hand")->Unit(benchmark::kMillisecond);
