// mlp_step: one forward + backward of an MLP 784-256-128-10 (ReLU, softmax cross-entropy) on a
// batch of 256, parameters He-initialised from a seed.
//
//   mlp_step/gradient  the engine: X borrowed, W1 b1 W2 b2 W3 b3 Parameters, backward()
//   mlp_step/hand      the same arithmetic by hand with Eigen: forward, stable softmax CE,
//                      backward into the six gradients, buffers allocated once
//
// The figure that counts is gradient / hand.

#include <array>
#include <cmath>
#include <random>
#include <span>
#include <vector>

#include <xigrad/autodiff/autodiff.hpp>

#include "common.hpp"

namespace {

using xi::Index;
using xi::Matrix;
using RowVector = Eigen::RowVectorXd;

constexpr Eigen::Index kBatch = 256;
constexpr std::array<Eigen::Index, 4> kSizes = {784, 256, 128, 10};

struct Problem {
  Matrix X;                    // batch × 784, N(0, 1)
  std::vector<Index> labels;   // batch class indices in [0, 10)
  std::array<Matrix, 3> W;     // fan_in × fan_out, N(0, 2/fan_in)
  std::array<RowVector, 3> b;  // zeros
};

const Problem& problem() {
  static const Problem p = [] {
    Problem p;
    std::mt19937_64 rng(20240611);
    p.X = xi::bench::normal_matrix(kBatch, kSizes[0], 1.0, rng);
    p.labels = xi::bench::class_labels(kBatch, static_cast<Index>(kSizes[3]), rng);
    for (std::size_t l = 0; l < 3; ++l) {
      const double he = std::sqrt(2.0 / static_cast<double>(kSizes[l]));
      p.W[l] = xi::bench::normal_matrix(kSizes[l], kSizes[l + 1], he, rng);
      p.b[l] = RowVector::Zero(kSizes[l + 1]);
    }
    return p;
  }();
  return p;
}

// Hand-written backprop. Z = H·W + b; H = relu(Z); loss = mean over rows of −log softmax(Z3)[y].
struct Hand {
  std::array<Matrix, 3> Z, dW;
  std::array<Matrix, 2> H;
  std::array<RowVector, 3> db;
  Matrix P, dH;  // softmax / dZ3, and the back-propagated dH
  Matrix dZ;

  double step(const Problem& p) {
    const Matrix* in = &p.X;
    for (std::size_t l = 0; l < 3; ++l) {
      Z[l].noalias() = *in * p.W[l];
      Z[l].rowwise() += p.b[l];
      if (l < 2) {
        H[l] = Z[l].cwiseMax(0.0);
        in = &H[l];
      }
    }
    // Stable softmax cross-entropy; P becomes dL/dZ3 = (softmax − onehot) / batch.
    const double inv_b = 1.0 / static_cast<double>(kBatch);
    P.resize(kBatch, kSizes[3]);
    double loss = 0.0;
    for (Eigen::Index i = 0; i < kBatch; ++i) {
      const double m = Z[2].row(i).maxCoeff();
      P.row(i) = (Z[2].row(i).array() - m).exp();
      const double s = P.row(i).sum();
      const Index y = p.labels[static_cast<std::size_t>(i)];
      loss += std::log(s) + m - Z[2](i, y);
      P.row(i) *= inv_b / s;
      P(i, y) -= inv_b;
    }
    // Backward, layer 3 to 1.
    dZ = P;
    for (std::size_t l = 3; l-- > 0;) {
      const Matrix& below = l == 0 ? p.X : H[l - 1];
      dW[l].noalias() = below.transpose() * dZ;
      db[l] = dZ.colwise().sum();
      if (l == 0) break;
      dH.noalias() = dZ * p.W[l].transpose();
      dZ = (Z[l - 1].array() > 0.0).select(dH, 0.0);
    }
    return loss * inv_b;
  }
};

struct Engine {
  std::array<xi::Parameter, 3> W, b;
  explicit Engine(const Problem& p)
      : W{xi::Parameter(p.W[0], "W1"), xi::Parameter(p.W[1], "W2"), xi::Parameter(p.W[2], "W3")},
        b{xi::Parameter(p.b[0].transpose(), "b1"), xi::Parameter(p.b[1].transpose(), "b2"),
          xi::Parameter(p.b[2].transpose(), "b3")} {}

  double step(const Problem& p) {
    xi::Tape::current().clear();
    for (std::size_t l = 0; l < 3; ++l) {
      W[l].zero_grad();
      b[l].zero_grad();
    }
    const xi::Tensor x = xi::borrow(p.X);
    const xi::Tensor h1 = xi::relu(xi::matmul(x, W[0].var()) + b[0].var());
    const xi::Tensor h2 = xi::relu(xi::matmul(h1, W[1].var()) + b[1].var());
    const xi::Tensor logits = xi::matmul(h2, W[2].var()) + b[2].var();
    const xi::Var L = xi::softmax_cross_entropy(logits, std::span<const Index>(p.labels));
    xi::backward(L);
    return L.value();
  }
};

void BM_hand(benchmark::State& state) {
  const Problem& p = problem();
  Hand hand;
  for (auto _ : state) {
    double L = hand.step(p);
    benchmark::DoNotOptimize(L);
    benchmark::DoNotOptimize(hand.dW[0].data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_gradient(benchmark::State& state) {
  const Problem& p = problem();
  xi::Tape tape;
  xi::Tape::Scope scope(tape);
  Engine engine(p);

  // Once, untimed: every gradient must agree with the hand-written backprop.
  Hand hand;
  const double L_hand = hand.step(p);
  const double L = engine.step(p);
  static constexpr std::array<const char*, 3> kW = {"mlp_step dW1", "mlp_step dW2", "mlp_step dW3"};
  static constexpr std::array<const char*, 3> kB = {"mlp_step db1", "mlp_step db2", "mlp_step db3"};
  if (!xi::bench::verify_value(state, "mlp_step loss", L, L_hand)) return;
  for (std::size_t l = 0; l < 3; ++l) {
    if (!xi::bench::verify(state, kW[l], engine.W[l].grad(), hand.dW[l]) ||
        !xi::bench::verify(state, kB[l], engine.b[l].grad().reshaped().transpose(), hand.db[l])) {
      return;
    }
  }

  for (auto _ : state) {
    double value = engine.step(p);
    benchmark::DoNotOptimize(value);
    benchmark::DoNotOptimize(engine.W[0].grad().data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["arena_bytes"] = static_cast<double>(tape.memory().arena_bytes);
}

}  // namespace

BENCHMARK(BM_gradient)->Name("mlp_step/gradient")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_hand)->Name("mlp_step/hand")->Unit(benchmark::kMillisecond);
