// scalar_logistic: L(w) = Σᵢ log(1 + exp(−sᵢ w·xᵢ)), n = 10,000, d = 10, written once as scalar
// code and run on plain doubles (primal) and on xi::Var (gradient: record + backward). The figure
// that counts is gradient / primal; `hand` is the hand-derived value-and-gradient loop.
//
//   scalar_logistic/primal         the scalar code on doubles: the value only
//   scalar_logistic/gradient       the same code on Vars, default tape (values kept)
//   scalar_logistic/gradient_lean  the same with Tape::set_keep_values(false)
//   scalar_logistic/gradient_statement  the same code recorded one node per statement
//                                       (Granularity::statement, which keeps no node values)
//   scalar_logistic/hand           value and ∇L by the hand-derived formula
//
// The gradient variants report the tape's bytes per recorded operand (bytes_per_operand).

#include <cmath>
#include <cstddef>
#include <vector>

#include <xigrad/autodiff/autodiff.hpp>

#include "common.hpp"

namespace {

using xi::bench::LogisticData;

constexpr Eigen::Index kN = 10'000;
constexpr Eigen::Index kD = 10;

const LogisticData& data() {
  static const LogisticData d = xi::bench::logistic_data(kN, kD);
  return d;
}

// The workload, written once as a user would write it; T is double or xi::Var.
template <class T>
T logistic_loss(const T* w, const double* X, const double* s, std::size_t n, std::size_t d) {
  using std::exp;
  using std::log;
  T L = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double* x = X + i * d;
    T z = w[0] * x[0];
    for (std::size_t j = 1; j < d; ++j) z += w[j] * x[j];
    L += log(1.0 + exp(-s[i] * z));
  }
  return L;
}

// Hand-derived: ∂L/∂w = Σᵢ −sᵢ σ(−sᵢ zᵢ) xᵢ with zᵢ = w·xᵢ; the value from the same exponential.
double logistic_hand(const double* w, const double* X, const double* s, std::size_t n,
                     std::size_t d, double* g) {
  double L = 0.0;
  for (std::size_t j = 0; j < d; ++j) g[j] = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double* x = X + i * d;
    double z = 0.0;
    for (std::size_t j = 0; j < d; ++j) z += w[j] * x[j];
    const double e = std::exp(-s[i] * z);
    L += std::log1p(e);
    const double coef = -s[i] * e / (1.0 + e);
    for (std::size_t j = 0; j < d; ++j) g[j] += coef * x[j];
  }
  return L;
}

void BM_primal(benchmark::State& state) {
  const LogisticData& D = data();
  const std::vector<double> w(D.w.data(), D.w.data() + kD);
  for (auto _ : state) {
    double L = logistic_loss(w.data(), D.X.data(), D.s.data(), kN, kD);
    benchmark::DoNotOptimize(L);
  }
  state.SetItemsProcessed(state.iterations() * kN);
}

void BM_hand(benchmark::State& state) {
  const LogisticData& D = data();
  xi::Vector g(kD);
  for (auto _ : state) {
    double L = logistic_hand(D.w.data(), D.X.data(), D.s.data(), kN, kD, g.data());
    benchmark::DoNotOptimize(L);
    benchmark::DoNotOptimize(g.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kN);
}

// Records the loss on a fresh recording of `tape`, runs backward and reads ∇L into g.
double engine_gradient(xi::Tape& tape, std::vector<xi::Var>& w, const LogisticData& D,
                       xi::Vector& g) {
  tape.clear();
  for (Eigen::Index j = 0; j < kD; ++j) w[j] = xi::variable(D.w[j]);
  const xi::Var L = logistic_loss(w.data(), D.X.data(), D.s.data(), kN, kD);
  xi::backward(L);
  for (Eigen::Index j = 0; j < kD; ++j) g[j] = w[j].adjoint();
  return L.value();
}

void run_gradient(benchmark::State& state, bool keep_values, xi::Granularity granularity) {
  const LogisticData& D = data();
  xi::Tape tape;
  xi::Tape::Scope scope(tape);
  tape.set_keep_values(keep_values);
  tape.set_granularity(granularity);
  std::vector<xi::Var> w(kD);
  xi::Vector g(kD), g_hand(kD);

  // Once, untimed: the engine must agree with the hand-derived gradient.
  const double L_hand = logistic_hand(D.w.data(), D.X.data(), D.s.data(), kN, kD, g_hand.data());
  const double L = engine_gradient(tape, w, D, g);
  if (!xi::bench::verify(state, "scalar_logistic gradient", g, g_hand) ||
      !xi::bench::verify_value(state, "scalar_logistic value", L, L_hand)) {
    return;
  }

  for (auto _ : state) {
    double value = engine_gradient(tape, w, D, g);
    benchmark::DoNotOptimize(value);
    benchmark::DoNotOptimize(g.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kN);

  // The recording of the last iteration is still on the tape.
  const xi::TapeMemory m = tape.memory();
  state.counters["operands"] = static_cast<double>(m.operands);
  state.counters["scalar_nodes"] = static_cast<double>(m.scalar_nodes);
  state.counters["tape_bytes"] = static_cast<double>(m.scalar_bytes);
  state.counters["bytes_per_operand"] =
      static_cast<double>(m.scalar_bytes) / static_cast<double>(m.operands);
}

void BM_gradient(benchmark::State& state) {
  run_gradient(state, true, xi::Granularity::operation);
}
void BM_gradient_lean(benchmark::State& state) {
  run_gradient(state, false, xi::Granularity::operation);
}
void BM_gradient_statement(benchmark::State& state) {
  run_gradient(state, true, xi::Granularity::statement);
}

}  // namespace

BENCHMARK(BM_primal)->Name("scalar_logistic/primal")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_gradient)->Name("scalar_logistic/gradient")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_gradient_lean)->Name("scalar_logistic/gradient_lean")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_gradient_statement)
    ->Name("scalar_logistic/gradient_statement")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_hand)->Name("scalar_logistic/hand")->Unit(benchmark::kMicrosecond);
