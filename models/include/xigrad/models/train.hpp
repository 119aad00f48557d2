#pragma once
// The training loop: epochs of shuffled mini-batches (or full-batch steps), any optimizer of the
// optimizer module, an L2 penalty, early stopping, divergence detection, a trace of the loss per
// epoch, and a state that saves and restores so that a resumed run continues with exactly the
// iterates of an uninterrupted one.
//
//   xi::models::TrainOptions opt;            // optimizer "lbfgs", full batch, 100 epochs
//   xi::models::Trainer trainer(*model, X, y, opt);
//   xi::models::TrainResult r = trainer.run();
//   // r.loss, r.stop_reason, r.trace (row k = the loss after epoch k; row 0 = the start)
//
// Randomness: the only random choice during training is the order of the rows, which the
// BatchSampler derives from (seed, epoch); the state therefore holds no generator.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <xigrad/autodiff/matrix.hpp>
#include <xigrad/models/dataset.hpp>
#include <xigrad/models/model.hpp>
#include <xigrad/optim/optimizer.hpp>
#include <xigrad/optim/trace.hpp>

namespace xi::models {

/// How to train. Set fields by assignment (see DatasetOptions).
struct TrainOptions {
  /// An optimizer name of xi::optim::make_optimizer ("gd", "sgd", "momentum", "nesterov",
  /// "adagrad", "rmsprop", "adam", "adamw", "lbfgs"). "newton" is not available here. L-BFGS
  /// runs on the full batch and takes one iteration (with its line search) per epoch; it stops
  /// as converged when the largest gradient component is at most its tolerance_grad (1e-7).
  std::string optimizer = "lbfgs";
  /// Learning rate; unset: the optimizer's default (PyTorch's).
  std::optional<double> lr{};
  /// Total number of epochs (a resumed run continues up to it).
  std::size_t epochs = 100;
  /// Rows per mini-batch; 0 (or at least the number of rows): the full batch, in row order.
  std::size_t batch_size = 0;
  /// L2 penalty: the objective adds (l2 / 2)·Σ w² over the model's weights (not biases).
  double l2 = 0.0;
  /// Seed of the mini-batch order.
  std::uint64_t seed = 0;
  /// Early stopping: stop after this many epochs in a row without improving the best training
  /// objective by more than min_delta·max(|best|, 1e-12). 0 turns it off.
  std::size_t patience = 0;
  double min_delta = 1e-6;
  /// Divergence: an objective above divergence_factor·max(|best objective so far|, 1) (the best
  /// starts as the initial objective), or a non-finite objective or gradient, stops the run with
  /// a "diverged: ..." reason. A run that climbs ten times above the best point it reached is not
  /// going to come back to it with the same learning rate.
  double divergence_factor = 10.0;
};

/// One epoch as the progress display sees it.
struct EpochStats {
  std::size_t epoch = 0;     ///< epochs done, 1-based
  std::size_t epochs = 0;    ///< the total to reach
  double loss = 0.0;         ///< objective on all training rows after the epoch
  double grad_norm = 0.0;    ///< Euclidean norm of its gradient
  double lr = 0.0;           ///< learning rate of the epoch
  double seconds = 0.0;      ///< wall time of the epoch's updates
  std::size_t examples = 0;  ///< examples processed by the updates (rows × evaluations)
};

/// Calls made while training (any may be empty).
struct TrainCallbacks {
  /// After each mini-batch: epoch (1-based, the one in progress), batch (1-based), batches per
  /// epoch, the batch's objective before the step.
  std::function<void(std::size_t epoch, std::size_t batch, std::size_t batches, double loss)>
      on_batch{};
  /// After each epoch.
  std::function<void(const EpochStats&)> on_epoch{};
};

/// Everything that changes during training: together with the model spec, the options and the
/// data it determines the rest of the run.
struct TrainerState {
  std::size_t epoch = 0;              ///< epochs done
  std::vector<Matrix> parameters{};   ///< the model's parameter values, in order
  optim::OptimizerState optimizer{};  ///< the optimizer's state
  BatchSampler::State sampler{};      ///< where the mini-batch order stands
  double best_loss = std::numeric_limits<double>::infinity();  ///< early stopping: best so far
  std::size_t bad_epochs = 0;  ///< early stopping: epochs since the best
  double initial_loss = 0.0;   ///< objective at epoch 0 (divergence threshold)
  optim::Trace trace{};        ///< row k: after epoch k (row 0: the start)
  std::string stop_reason{};   ///< why training stopped early ("" if it did not)
};

/// How a run ended.
struct TrainResult {
  std::size_t epochs = 0;  ///< epochs done in total
  double loss = 0.0;       ///< final objective on the training rows
  double data_loss = 0.0;  ///< its data part (without the L2 penalty)
  double grad_norm = 0.0;  ///< norm of the final gradient
  /// "epochs" (the budget was reached), "converged: <L-BFGS stop>", "early stopping: no
  /// improvement for N epochs", "diverged: ..." or an optimizer failure such as
  /// "line_search_failed".
  std::string stop_reason;
  bool converged = false;
  bool diverged = false;
  optim::Trace trace;
};

/// Trains a model on (X, y). X (rows × inputs) and y must outlive the trainer and stay unchanged.
class Trainer {
 public:
  /// Throws xi::ShapeError if the sizes do not fit the model, xi::InputError for invalid options
  /// (unknown optimizer, "newton", a mini-batch size with "lbfgs", a negative l2, a classification
  /// target other than 0/1, no rows).
  Trainer(Model& model, const Matrix& X, const Vector& y, TrainOptions options);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  const TrainOptions& options() const noexcept { return options_; }
  optim::Optimizer& optimizer() noexcept { return *optimizer_; }
  const Model& model() const noexcept { return model_; }
  /// Epochs done.
  std::size_t epoch() const noexcept { return epoch_; }
  bool full_batch() const noexcept { return batch_ == rows_; }
  /// Rows per mini-batch (rows for the full batch).
  std::size_t batch_size() const noexcept { return batch_; }
  std::size_t batches_per_epoch() const noexcept { return (rows_ + batch_ - 1) / batch_; }

  /// Trains until options().epochs epochs are done, or early stopping, convergence or
  /// divergence. Continues from the current state (after restore(), from where the saved run
  /// stopped). Throws xi::NonFiniteError naming the node if the objective is not finite at the
  /// start (e.g. a non-finite feature value).
  TrainResult run(const TrainCallbacks& callbacks = {});

  /// One pass of updates over the data (no evaluation, no stopping rules); returns the mean of
  /// the batches' objectives before their steps.
  double train_epoch(const TrainCallbacks& callbacks = {});

  /// Objective, data loss and gradient norm on every training row at the current parameters.
  struct Evaluation {
    double loss = 0.0;
    double data_loss = 0.0;
    double grad_norm = 0.0;
    double grad_max = 0.0;  ///< largest |component| of the gradient
  };
  Evaluation evaluate();

  /// The whole state (copies).
  TrainerState state() const;
  /// Continues from a saved state. Throws xi::InputError (naming what) if it does not fit this
  /// model, optimizer or data, or holds a non-finite number or a counter out of range.
  void restore(const TrainerState& state);

 private:
  Var batch_objective(const double* X, const double* y, std::size_t m) const;
  void gather(const std::vector<std::size_t>& rows);

  Model& model_;
  const Matrix& X_;
  const Vector& y_;
  TrainOptions options_;
  std::size_t rows_;
  std::size_t batch_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  std::unique_ptr<BatchSampler> sampler_;
  std::unique_ptr<Tape> tape_;
  Matrix xb_;  // batch buffers
  Vector yb_;
  std::size_t epoch_ = 0;
  double best_loss_ = std::numeric_limits<double>::infinity();
  std::size_t bad_epochs_ = 0;
  double initial_loss_ = 0.0;
  optim::Trace trace_;
  std::string stop_reason_;
};

/// The optimizer names Trainer accepts.
std::vector<std::string_view> trainer_optimizer_names();

/// Throws xi::InputError naming the option unless `options` are valid on their own: a known
/// optimizer, l2 and min_delta finite and >= 0, lr finite and > 0 when set, a divergence factor
/// finite and > 1, epochs, patience and batch_size within limits.hpp. (What depends on the data,
/// such as a mini-batch with L-BFGS, Trainer checks.)
void check_train_options(const TrainOptions& options);

/// The optimizer a Trainer with these options uses over `parameters` (L-BFGS: one iteration per
/// epoch, tight tolerances). Throws as xi::optim::make_optimizer does.
std::unique_ptr<optim::Optimizer> make_trainer_optimizer(const TrainOptions& options,
                                                         std::vector<Parameter> parameters);

/// A model fitted by fit(): the model, the standardiser of its features, the run's result.
struct Fitted {
  std::unique_ptr<Model> model;
  Standardizer standardizer;
  TrainResult result;
  /// For linear-form models: weights and bias in the original units of the features.
  std::optional<LinearCoefficients> coefficients;
  /// Outputs (predictions or logits) for rows in original units.
  Eigen::VectorXd predict(const Eigen::MatrixXd& X) const;
};

/// Standardises data.X (fitted on these rows), builds the model (spec.inputs is set from the
/// data) and trains it; coefficients of linear-form models are mapped back to original units.
/// Throws as make_model, Trainer and Trainer::run do.
Fitted fit(const Dataset& data, ModelSpec spec, const TrainOptions& options,
           const TrainCallbacks& callbacks = {});

}  // namespace xi::models
