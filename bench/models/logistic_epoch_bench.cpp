// One epoch of logistic regression by mini-batch SGD: 1,000,000 × 20 seeded rows (X ~ N(0, 1),
// labels from a logistic model), batches of 256 in the BatchSampler's shuffled order, lr 0.1.
//
//   logistic_epoch/engine  xi::models::Trainer::train_epoch: per batch, record z = X_b·w + b and
//                          bce_with_logits on the tape, backward, SGD step (the training loop of
//                          `xigrad train`)
//   logistic_epoch/hand    the same updates written out with Eigen: gather the batch,
//                          r = σ(X_b·w + b) − y, w −= lr·X_bᵀr/m, b −= lr·mean(r)
//
// Both report examples per second (SetItemsProcessed); the ratio engine / hand time is the
// figure that counts (target ≤ 1.5). Before timing, one epoch of each from the same start is
// checked to give the same parameters.

#include <cmath>
#include <cstddef>
#include <vector>

#include "common.hpp"

#include <xigrad/models/dataset.hpp>
#include <xigrad/models/model.hpp>
#include <xigrad/models/train.hpp>

namespace xi::bench {
namespace {

constexpr Eigen::Index kRows = 1'000'000;
constexpr Eigen::Index kCols = 20;
constexpr std::size_t kBatch = 256;
constexpr double kLr = 0.1;
constexpr std::uint64_t kSeed = 17;

struct EpochData {
  Matrix X;  // row-major
  Vector y;  // 0/1
};

const EpochData& epoch_data() {
  static const EpochData data = [] {
    LogisticData d = logistic_data(kRows, kCols);
    EpochData e;
    e.X = std::move(d.X);
    e.y = (d.s.array() + 1.0).matrix() / 2.0;
    return e;
  }();
  return data;
}

/// The hand-written epoch: the same batches, the same update.
class HandLogistic {
 public:
  explicit HandLogistic(const EpochData& d)
      : d_(d),
        sampler_(static_cast<std::size_t>(kRows), kBatch, kSeed),
        w_(Vector::Zero(kCols)),
        xb_(static_cast<Eigen::Index>(kBatch), kCols),
        yb_(static_cast<Eigen::Index>(kBatch)) {}

  void epoch() {
    const std::size_t batches = sampler_.batches_per_epoch();
    for (std::size_t k = 0; k < batches; ++k) {
      const std::vector<std::size_t> rows = sampler_.next();
      const auto m = static_cast<Eigen::Index>(rows.size());
      for (Eigen::Index i = 0; i < m; ++i) {
        const auto r = static_cast<Eigen::Index>(rows[static_cast<std::size_t>(i)]);
        xb_.row(i) = d_.X.row(r);
        yb_[i] = d_.y[r];
      }
      const auto Xb = xb_.topRows(m);
      Vector resid = (Xb * w_).array() + b_;
      for (Eigen::Index i = 0; i < m; ++i) resid[i] = softplus_sigmoid(resid[i]).sigmoid - yb_[i];
      const double scale = kLr / static_cast<double>(m);
      w_.noalias() -= scale * (Xb.transpose() * resid);
      b_ -= scale * resid.sum();
    }
  }
  const Vector& w() const { return w_; }
  double b() const { return b_; }

 private:
  const EpochData& d_;
  models::BatchSampler sampler_;
  Vector w_;
  double b_ = 0.0;
  Matrix xb_;
  Vector yb_;
};

struct Engine {
  std::unique_ptr<models::Model> model;
  std::unique_ptr<models::Trainer> trainer;
};

Engine make_engine(const EpochData& d) {
  models::ModelSpec spec;
  spec.kind = "logistic";
  spec.inputs = static_cast<std::size_t>(kCols);
  Engine e;
  e.model = models::make_model(spec);
  models::TrainOptions o;
  o.optimizer = "sgd";
  o.lr = kLr;
  o.batch_size = kBatch;
  o.seed = kSeed;
  e.trainer = std::make_unique<models::Trainer>(*e.model, d.X, d.y, o);
  return e;
}

/// One epoch of each from zero: the same parameters (to rounding).
bool verify_epoch(benchmark::State& state) {
  const EpochData& d = epoch_data();
  Engine e = make_engine(d);
  e.trainer->train_epoch();
  HandLogistic h(d);
  h.epoch();
  const auto c = e.model->coefficients();
  Vector engine(kCols + 1), hand(kCols + 1);
  engine << c->weights, c->bias;
  hand << h.w(), h.b();
  return verify(state, "logistic_epoch parameters after one epoch", engine, hand, 1e-9);
}

void BM_LogisticEpochEngine(benchmark::State& state) {
  if (!verify_epoch(state)) return;
  Engine e = make_engine(epoch_data());
  for (auto _ : state) e.trainer->train_epoch();
  state.SetItemsProcessed(state.iterations() * kRows);
}

void BM_LogisticEpochHand(benchmark::State& state) {
  if (!verify_epoch(state)) return;
  HandLogistic h(epoch_data());
  for (auto _ : state) {
    h.epoch();
    benchmark::DoNotOptimize(h.w().data());
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}

BENCHMARK(BM_LogisticEpochEngine)->Name("logistic_epoch/engine")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LogisticEpochHand)->Name("logistic_epoch/hand")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace xi::bench
