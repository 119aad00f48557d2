// Tests for the training loop: resuming from a checkpoint gives the same iterates bit for bit,
// divergence and non-finite data are reported, early stopping, convergence and option checks.

#include <xigrad/models/checkpoint.hpp>
#include <xigrad/models/progress.hpp>
#include <xigrad/models/train.hpp>

#include <xigrad/autodiff/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace xi::models {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

/// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ =
        std::filesystem::temp_directory_path() /
        ("xigrad-train-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

bool bit_identical(const std::vector<Matrix>& a, const std::vector<Matrix>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size()) return false;
    if (std::memcmp(a[i].data(), b[i].data(),
                    sizeof(double) * static_cast<std::size_t>(a[i].size())) != 0) {
      return false;
    }
  }
  return true;
}

bool bit_identical(const optim::Trace& a, const optim::Trace& b) {
  if (a.rows.size() != b.rows.size()) return false;
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    if (std::memcmp(&a.rows[i].loss, &b.rows[i].loss, sizeof(double)) != 0) return false;
    if (std::memcmp(&a.rows[i].grad_norm, &b.rows[i].grad_norm, sizeof(double)) != 0) return false;
  }
  return true;
}

struct Problem {
  Dataset data;
  Matrix X;
  Vector y;
};

Problem moons_problem() {
  Problem p;
  p.data = make_two_moons(150, 0.15, 4);
  const Standardizer st = Standardizer::fit(p.data.X);
  p.X = st.transform(p.data.X);
  p.y = p.data.y;
  return p;
}

ModelSpec mlp_spec(std::size_t inputs) {
  ModelSpec s;
  s.kind = "mlp";
  s.inputs = inputs;
  s.hidden = {8, 4};
  s.activation = Activation::tanh;
  s.seed = 5;
  return s;
}

/// Trains `epochs` straight, and `first` + save + load + resume to `epochs`; expects the final
/// parameters, optimizer state and trace to be identical bit for bit.
void expect_resume_is_bit_identical(const ModelSpec& spec, const TrainOptions& base,
                                    std::size_t first, std::size_t epochs) {
  const Problem p = moons_problem();
  TempDir dir;

  TrainOptions all = base;
  all.epochs = epochs;
  auto straight = make_model(spec);
  Trainer t1(*straight, p.X, p.y, all);
  const TrainResult r1 = t1.run();
  ASSERT_EQ(r1.epochs, epochs) << r1.stop_reason;

  TrainOptions part = base;
  part.epochs = first;
  auto interrupted = make_model(spec);
  Trainer t2(*interrupted, p.X, p.y, part);
  ASSERT_EQ(t2.run().epochs, first);
  Checkpoint c;
  c.model = spec;
  c.training = part;
  c.feature_names = p.data.feature_names;
  c.feature_mean = Eigen::VectorXd::Zero(2);
  c.feature_scale = Eigen::VectorXd::Ones(2);
  c.data_fingerprint = data_fingerprint(p.X, p.y);
  c.state = t2.state();
  const auto file = dir.path() / "run.ckpt";
  save_checkpoint(file, c);

  const Checkpoint loaded = load_checkpoint(file);
  EXPECT_EQ(loaded.data_fingerprint, data_fingerprint(p.X, p.y));
  TrainOptions rest = loaded.training;
  rest.epochs = epochs;
  auto resumed = make_model(loaded.model);  // a fresh model: everything comes from the file
  Trainer t3(*resumed, p.X, p.y, rest);
  t3.restore(loaded.state);
  EXPECT_EQ(t3.epoch(), first);
  const TrainResult r3 = t3.run();
  EXPECT_EQ(r3.epochs, epochs);

  EXPECT_TRUE(bit_identical(straight->parameter_values(), resumed->parameter_values()))
      << "resumed parameters differ from the uninterrupted run's";
  EXPECT_EQ(t1.state().optimizer, t3.state().optimizer);
  EXPECT_TRUE(bit_identical(r1.trace, r3.trace));
  EXPECT_EQ(t1.state().sampler.epoch, t3.state().sampler.epoch);
  EXPECT_EQ(t1.state().sampler.position, t3.state().sampler.position);
  // And the interrupted run really was somewhere else after `first` epochs.
  EXPECT_FALSE(bit_identical(interrupted->parameter_values(), straight->parameter_values()));
}

TEST(Resume, AdamMiniBatchesTenStraightEqualsFourSaveResumeBitForBit) {
  TrainOptions o;
  o.optimizer = "adam";
  o.lr = 0.01;
  o.batch_size = 16;  // 150 rows: 10 batches, the last one short
  o.seed = 3;
  expect_resume_is_bit_identical(mlp_spec(2), o, 4, 10);
}

TEST(Resume, NesterovWithL2BitForBit) {
  TrainOptions o;
  o.optimizer = "nesterov";
  o.lr = 0.05;
  o.batch_size = 32;
  o.l2 = 1e-3;
  o.seed = 8;
  expect_resume_is_bit_identical(mlp_spec(2), o, 3, 7);
}

TEST(Resume, RmspropAndAdagradBitForBit) {
  for (const char* name : {"rmsprop", "adagrad", "adamw"}) {
    SCOPED_TRACE(name);
    TrainOptions o;
    o.optimizer = name;
    o.lr = 0.01;
    o.batch_size = 25;
    expect_resume_is_bit_identical(mlp_spec(2), o, 2, 5);
  }
}

TEST(Resume, FullBatchLbfgsBitForBit) {
  ModelSpec spec;
  spec.kind = "logistic";
  spec.inputs = 2;
  TrainOptions o;  // lbfgs, full batch, one iteration per epoch
  o.divergence_factor = 1e6;
  // Two moons are not separable, so L-BFGS runs for a while; stop before it converges.
  expect_resume_is_bit_identical(spec, o, 2, 5);
}

TEST(Resume, RefusesAStateThatDoesNotFit) {
  const Problem p = moons_problem();
  auto model = make_model(mlp_spec(2));
  TrainOptions o;
  o.optimizer = "adam";
  o.batch_size = 10;
  o.epochs = 1;
  Trainer t(*model, p.X, p.y, o);
  t.run();
  TrainerState s = t.state();

  ModelSpec other = mlp_spec(2);
  other.hidden = {3};
  auto small = make_model(other);
  Trainer t2(*small, p.X, p.y, o);
  EXPECT_THROW(t2.restore(s), InputError);

  TrainOptions sgd = o;
  sgd.optimizer = "sgd";
  auto same = make_model(mlp_spec(2));
  Trainer t3(*same, p.X, p.y, sgd);
  try {
    t3.restore(s);
    FAIL() << "an adam state was accepted by sgd";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("adam"));
  }
}

TEST(Resume, RefusesNonFiniteValuesAndCountersOutOfRange) {
  const Problem p = moons_problem();
  ModelSpec spec;
  spec.kind = "logistic";
  spec.inputs = 2;
  TrainOptions o;
  o.epochs = 2;
  o.divergence_factor = 1e6;
  auto model = make_model(spec);
  Trainer t(*model, p.X, p.y, o);
  t.run();
  const TrainerState good = t.state();
  const auto refusal = [&](const TrainerState& s) -> std::string {
    auto fresh = make_model(spec);
    Trainer t2(*fresh, p.X, p.y, o);
    try {
      t2.restore(s);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  TrainerState s = good;
  s.parameters[0](0, 0) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(refusal(s), HasSubstr("parameter 1 holds a non-finite value"));
  s = good;
  s.optimizer.buffers["n_iter"] = {0x1p+1000};
  EXPECT_THAT(refusal(s), HasSubstr("the buffer 'n_iter' holds 1.0715086071862673e+301, which is "
                                    "not a count (a whole number from 0 to 2^53)"));
  s = good;
  s.optimizer.buffers["func_evals"] = {std::numeric_limits<double>::infinity()};
  EXPECT_THAT(refusal(s), HasSubstr("the buffer 'func_evals' holds a non-finite value (inf"));
  s = good;
  s.optimizer.buffers["ro"].resize(101, 1.0);
  EXPECT_THAT(refusal(s), HasSubstr("101 stored pairs exceed history_size 100"));
  s = good;
  s.best_loss = std::numeric_limits<double>::infinity();
  EXPECT_THAT(refusal(s), HasSubstr("the best loss is inf (not finite)"));
  EXPECT_EQ(refusal(good), "");
}

// ------------------------------------------------------------------ stopping

TEST(Training, DivergenceStopsWithAVerdict) {
  const SyntheticData syn = make_regression(50, 2, 0.1, 1);
  const Matrix X = syn.data.X;
  const Vector y = syn.data.y;
  ModelSpec spec;
  spec.kind = "linear";
  spec.inputs = 2;
  auto model = make_model(spec);
  TrainOptions o;
  o.optimizer = "gd";
  o.lr = 50.0;  // far beyond 2/λmax
  o.epochs = 500;
  Trainer t(*model, X, y, o);
  const TrainResult r = t.run();
  EXPECT_TRUE(r.diverged);
  EXPECT_THAT(r.stop_reason, StartsWith("diverged: "));
  EXPECT_LT(r.epochs, 500u);
}

TEST(Training, ALossFarAboveItsBestIsDivergenceNotEarlyStopping) {
  // The lecture's neuron with an absurd rate: 0.64 → 8e4 in one epoch, then no improvement. It
  // used to end as "early stopping" with the worst weights.
  ModelSpec spec;
  spec.kind = "neuron";
  TrainOptions o;
  o.optimizer = "gd";
  o.lr = 1e6;
  o.epochs = 500;
  o.patience = 20;
  const Fitted f = fit(make_default_classification(), spec, o);
  EXPECT_TRUE(f.result.diverged);
  EXPECT_EQ(f.result.epochs, 1u);
  EXPECT_EQ(f.result.stop_reason,
            "diverged: the loss 8.033e+04 after epoch 1 exceeds 10 × max(|best loss 0.6394|, 1)");
  // A rate that is large but still learns is not divergence.
  o.lr = 5.0;
  EXPECT_FALSE(fit(make_default_classification(), spec, o).result.diverged);
}

TEST(Training, NonFiniteDataIsReportedAtTheStart) {
  Matrix X(3, 1);
  X << 1.0, std::numeric_limits<double>::infinity(), 2.0;
  Vector y(3);
  y << 0, 1, 0;
  ModelSpec spec;
  spec.kind = "logistic";
  spec.inputs = 1;
  auto model = make_model(spec);
  model->set_parameter_values({Matrix::Constant(1, 1, 0.5), Matrix::Zero(1, 1)});
  Trainer t(*model, X, y, TrainOptions{});
  try {
    t.run();
    FAIL() << "an infinite feature trained";
  } catch (const NonFiniteError& e) {
    EXPECT_THAT(e.what(), HasSubstr("at the start"));
  }
}

TEST(Training, EarlyStoppingWithPatience) {
  const Problem p = moons_problem();
  ModelSpec spec;
  spec.kind = "logistic";
  spec.inputs = 2;
  auto model = make_model(spec);
  TrainOptions o;
  o.optimizer = "sgd";
  o.lr = 1e-9;  // no visible progress
  o.batch_size = 50;
  o.epochs = 100;
  o.patience = 3;
  o.min_delta = 1e-3;
  Trainer t(*model, p.X, p.y, o);
  const TrainResult r = t.run();
  EXPECT_EQ(r.epochs, 3u);
  EXPECT_EQ(r.stop_reason, "early stopping: no improvement for 3 epochs");
  EXPECT_EQ(r.trace.rows.size(), 4u);
}

TEST(Training, LbfgsConvergesAndTracesEveryIteration) {
  const SyntheticData syn = make_classification(200, 3, 12);
  const Standardizer st = Standardizer::fit(syn.data.X);
  const Matrix X = st.transform(syn.data.X);
  const Vector y = syn.data.y;
  ModelSpec spec;
  spec.kind = "logistic";
  spec.inputs = 3;
  auto model = make_model(spec);
  Trainer t(*model, X, y, TrainOptions{});
  const TrainResult r = t.run();
  EXPECT_TRUE(r.converged) << r.stop_reason;
  EXPECT_EQ(r.stop_reason, "converged: gradient_tolerance");
  EXPECT_LT(r.epochs, 60u);
  EXPECT_EQ(r.trace.rows.size(), r.epochs + 1);
  EXPECT_LT(r.trace.rows.back().loss, r.trace.rows.front().loss);
  EXPECT_LE(r.grad_norm, 1e-6);
  for (std::size_t k = 0; k < r.trace.rows.size(); ++k) EXPECT_EQ(r.trace.rows[k].iteration, k);
}

TEST(Training, RejectsBadOptions) {
  const Problem p = moons_problem();
  ModelSpec spec;
  spec.kind = "logistic";
  spec.inputs = 2;
  auto model = make_model(spec);
  TrainOptions o;
  o.batch_size = 10;  // with lbfgs
  EXPECT_THROW(Trainer(*model, p.X, p.y, o), InputError);
  o.batch_size = 0;
  o.optimizer = "newton";
  EXPECT_THROW(Trainer(*model, p.X, p.y, o), InputError);
  o.optimizer = "gd";
  o.l2 = -1;
  EXPECT_THROW(Trainer(*model, p.X, p.y, o), InputError);
  o.l2 = 0;
  o.lr = -0.1;
  EXPECT_THROW(Trainer(*model, p.X, p.y, o), InputError);
  o.lr = 0.1;
  Vector y3 = p.y;
  y3[0] = 3.0;
  try {
    Trainer bad(*model, p.X, y3, o);
    FAIL() << "a target of 3 was accepted for logistic regression";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--positive"));
  }
  Matrix narrow(p.X.rows(), 1);
  EXPECT_THROW(Trainer(*model, narrow, p.y, o), ShapeError);
}

TEST(Progress, PlainLinesAndNothing) {
  const Problem p = moons_problem();
  ModelSpec spec;
  spec.kind = "logistic";
  spec.inputs = 2;
  auto model = make_model(spec);
  TrainOptions o;
  o.optimizer = "gd";
  o.lr = 0.1;
  o.epochs = 30;
  std::ostringstream lines, quiet;
  {
    Progress progress(lines, Progress::Mode::lines, o.epochs);
    Trainer t(*model, p.X, p.y, o);
    t.run(progress.callbacks());
    progress.finish();
  }
  const std::string text = lines.str();
  EXPECT_THAT(text, HasSubstr("epoch  1/30  loss "));
  EXPECT_THAT(text, HasSubstr("epoch 30/30"));
  EXPECT_THAT(text, HasSubstr("examples/s"));
  EXPECT_LE(std::count(text.begin(), text.end(), '\n'), 12);
  {
    Progress progress(quiet, Progress::Mode::none, o.epochs);
    auto m2 = make_model(spec);
    Trainer t(*m2, p.X, p.y, o);
    t.run(progress.callbacks());
    progress.finish();
  }
  EXPECT_EQ(quiet.str(), "");
  EXPECT_EQ(Progress::rate(412345), "412k");
  EXPECT_EQ(Progress::rate(1234567), "1.2M");
}

}  // namespace
}  // namespace xi::models
