// The training loop (see train.hpp).

#include <xigrad/models/train.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/explain.hpp>
#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/tape.hpp>
#include <xigrad/models/limits.hpp>
#include <xigrad/optim/lbfgs.hpp>
#include <xigrad/optim/optimizers.hpp>

namespace xi::models {
namespace {

using Clock = std::chrono::steady_clock;

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

/// L-BFGS's inner-loop stops that mean it found the minimum (to its tolerances).
bool lbfgs_converged(std::string_view stop) {
  return stop == "gradient_tolerance" || stop == "loss_change" || stop == "step_tolerance" ||
         stop == "directional_derivative";
}

}  // namespace

std::vector<std::string_view> trainer_optimizer_names() {
  return {"gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "lbfgs"};
}

void check_train_options(const TrainOptions& options) {
  const auto names = trainer_optimizer_names();
  if (std::find(names.begin(), names.end(), options.optimizer) == names.end()) {
    throw InputError(fmt::format("optimizer '{}' cannot train a model here (known: {})",
                                 options.optimizer, fmt::join(names, ", ")));
  }
  if (!(options.l2 >= 0.0) || !std::isfinite(options.l2)) {
    throw InputError(fmt::format("l2 = {} must be finite and >= 0", options.l2));
  }
  if (options.lr && !(*options.lr > 0.0 && std::isfinite(*options.lr))) {
    throw InputError(fmt::format("learning rate {} must be finite and > 0", *options.lr));
  }
  if (options.epochs > limits::max_epochs) {
    throw InputError(
        fmt::format("epochs = {} exceeds the limit of {}", options.epochs, limits::max_epochs));
  }
  if (options.batch_size > limits::max_batch_size) {
    throw InputError(fmt::format("batch size {} exceeds the limit of {}", options.batch_size,
                                 limits::max_batch_size));
  }
  if (options.patience > limits::max_epochs) {
    throw InputError(
        fmt::format("patience {} exceeds the limit of {}", options.patience, limits::max_epochs));
  }
  if (!(options.min_delta >= 0.0) || !std::isfinite(options.min_delta)) {
    throw InputError(fmt::format("min_delta = {} must be finite and >= 0", options.min_delta));
  }
  if (!(options.divergence_factor > 1.0) || !std::isfinite(options.divergence_factor)) {
    throw InputError(
        fmt::format("divergence factor {} must be finite and > 1", options.divergence_factor));
  }
}

std::unique_ptr<optim::Optimizer> make_trainer_optimizer(const TrainOptions& options,
                                                         std::vector<Parameter> parameters) {
  optim::HyperParameters hyper;
  hyper.lr = options.lr;
  // Full-batch L-BFGS: one iteration (with its line search) per epoch, so the trace shows every
  // iterate and a checkpoint can be taken between any two of them.
  // Its tolerances are absolute; tighter ones than PyTorch's (1e-7, 1e-9) let it reach the
  // least-squares / maximum-likelihood solution to nearly full precision.
  if (options.optimizer == "lbfgs") {
    hyper.max_iter = 1;
    hyper.tolerance_grad = 1e-9;
    hyper.tolerance_change = 1e-15;
  }
  return optim::make_optimizer(options.optimizer, std::move(parameters), hyper);
}

Trainer::Trainer(Model& model, const Matrix& X, const Vector& y, TrainOptions options)
    : model_(model), X_(X), y_(y), options_(std::move(options)), rows_(X.rows()), batch_(0) {
  if (X.rows() != y.size()) {
    throw ShapeError(fmt::format("Trainer: X has {} rows but y has {} values", X.rows(), y.size()));
  }
  if (rows_ == 0) throw InputError("Trainer: no training rows");
  if (static_cast<std::size_t>(X.cols()) != model.spec().inputs) {
    throw ShapeError(fmt::format("Trainer: X has {} columns but the {} has {} inputs", X.cols(),
                                 model.describe(), model.spec().inputs));
  }
  if (model.task() == Task::binary) {
    for (Eigen::Index i = 0; i < y.size(); ++i) {
      if (y[i] != 0.0 && y[i] != 1.0) {
        throw InputError(
            fmt::format("{} needs a 0/1 target, but row {} has {} (name the positive class, e.g. "
                        "--positive Yes)",
                        model.describe(), i + 1, y[i]));
      }
    }
  }
  check_train_options(options_);
  const bool wants_batches = options_.batch_size != 0 && options_.batch_size < rows_;
  if (options_.optimizer == "lbfgs" && wants_batches) {
    throw InputError(fmt::format(
        "L-BFGS runs on the full batch ({} rows); a mini-batch size of {} would change the "
        "objective between its line-search steps (use sgd, adam, ... for mini-batches)",
        rows_, options_.batch_size));
  }
  batch_ = wants_batches ? options_.batch_size : rows_;
  optimizer_ = make_trainer_optimizer(options_, model_.parameters());
  if (!full_batch()) {
    sampler_ = std::make_unique<BatchSampler>(rows_, batch_, options_.seed);
    xb_.resize(static_cast<Eigen::Index>(batch_), X.cols());
    yb_.resize(static_cast<Eigen::Index>(batch_));
  }
  tape_ = std::make_unique<Tape>();
  trace_.label = model_.describe();
}

Trainer::~Trainer() = default;

Var Trainer::batch_objective(const double* X, const double* y, std::size_t m) const {
  const auto rows = static_cast<Index>(m);
  const auto cols = static_cast<Index>(X_.cols());
  return model_.objective(borrow(X, Shape::matrix(rows, cols)), borrow(y, Shape::vector(rows)),
                          options_.l2);
}

void Trainer::gather(const std::vector<std::size_t>& rows) {
  const Eigen::Index d = X_.cols();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto r = static_cast<Eigen::Index>(rows[i]);
    std::copy_n(X_.data() + r * d, d, xb_.data() + static_cast<Eigen::Index>(i) * d);
    yb_[static_cast<Eigen::Index>(i)] = y_[r];
  }
}

double Trainer::train_epoch(const TrainCallbacks& callbacks) {
  Tape::Scope scope(*tape_);
  const std::size_t batches = batches_per_epoch();
  double sum = 0.0;
  for (std::size_t b = 0; b < batches; ++b) {
    const double* xp = X_.data();
    const double* yp = y_.data();
    std::size_t m = rows_;
    if (!full_batch()) {
      const std::vector<std::size_t> rows = sampler_->next();
      gather(rows);
      xp = xb_.data();
      yp = yb_.data();
      m = rows.size();
    }
    const optim::Closure closure = [&] {
      tape_->clear();
      optimizer_->zero_grad();
      const Var L = batch_objective(xp, yp, m);
      backward(L);
      return L.value();
    };
    const double loss = optimizer_->step(closure);
    sum += loss;
    if (callbacks.on_batch) callbacks.on_batch(epoch_ + 1, b + 1, batches, loss);
  }
  ++epoch_;
  return sum / static_cast<double>(batches);
}

Trainer::Evaluation Trainer::evaluate() {
  Tape::Scope scope(*tape_);
  tape_->clear();
  optimizer_->zero_grad();
  const auto rows = static_cast<Index>(rows_);
  const Var data = model_.data_loss(
      model_.forward(borrow(X_.data(), Shape::matrix(rows, static_cast<Index>(X_.cols())))),
      borrow(y_.data(), Shape::vector(rows)));
  const Var L = options_.l2 == 0.0 ? data : data + model_.penalty(options_.l2);
  Evaluation e;
  e.loss = L.value();
  e.data_loss = data.value();
  if (!std::isfinite(e.loss) && epoch_ == 0 && trace_.rows.empty()) {
    const std::optional<std::string> node = find_non_finite(*tape_, L);
    throw NonFiniteError(fmt::format(
        "the training objective of the {} is {} at the start, before any update{}; check the "
        "data for values that are not finite or far too large",
        model_.describe(), e.loss, node ? ": " + *node : std::string()));
  }
  backward(L);
  const std::vector<Parameter>& ps = optimizer_->parameters();
  e.grad_norm = optim::grad_norm(ps);
  e.grad_max = 0.0;
  for (const Parameter& p : ps) {
    if (p.size() > 0) e.grad_max = std::max(e.grad_max, p.grad().cwiseAbs().maxCoeff());
  }
  optimizer_->zero_grad();
  tape_->clear();
  return e;
}

TrainResult Trainer::run(const TrainCallbacks& callbacks) {
  std::optional<Evaluation> last;
  if (trace_.rows.empty()) {
    last = evaluate();
    initial_loss_ = last->loss;
    best_loss_ = last->loss;
    trace_.rows.push_back({0, last->loss, last->grad_norm, optimizer_->lr(), {}});
  }
  while (stop_reason_.empty() && epoch_ < options_.epochs) {
    const double lr = optimizer_->lr();
    const auto t0 = Clock::now();
    const long evals_before =
        optimizer_->name() == "lbfgs" ? static_cast<optim::LBFGS&>(*optimizer_).func_evals() : 0;
    train_epoch(callbacks);
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    last = evaluate();
    const Evaluation& e = *last;
    trace_.rows.push_back({epoch_, e.loss, e.grad_norm, lr, {}});

    // Relative to the best objective so far (the initial one at first): a run that climbs far
    // above the best point it reached has diverged, whatever the stopping rules would say next.
    const double limit = options_.divergence_factor * std::max(std::abs(best_loss_), 1.0);
    if (!std::isfinite(e.loss)) {
      stop_reason_ = fmt::format("diverged: the loss is {} after epoch {}", e.loss, epoch_);
    } else if (!std::isfinite(e.grad_norm)) {
      stop_reason_ =
          fmt::format("diverged: the gradient is {} after epoch {}", e.grad_norm, epoch_);
    } else if (e.loss > limit) {
      stop_reason_ = fmt::format(
          "diverged: the loss {:.4g} after epoch {} exceeds {:g} × max(|best loss {:.4g}|, 1)",
          e.loss, epoch_, options_.divergence_factor, best_loss_);
    } else if (!optimizer_->failure().empty()) {
      stop_reason_ = std::string(optimizer_->failure());
    } else if (optimizer_->name() == "lbfgs" &&
               e.grad_max <= static_cast<optim::LBFGS&>(*optimizer_).options().tolerance_grad) {
      // What L-BFGS itself would find at the start of its next step.
      stop_reason_ = "converged: gradient_tolerance";
    } else if (optimizer_->name() == "lbfgs" &&
               lbfgs_converged(static_cast<optim::LBFGS&>(*optimizer_).last_stop())) {
      stop_reason_ =
          fmt::format("converged: {}", static_cast<optim::LBFGS&>(*optimizer_).last_stop());
    } else if (e.loss < best_loss_ - options_.min_delta * std::max(std::abs(best_loss_), 1e-12)) {
      best_loss_ = e.loss;
      bad_epochs_ = 0;
    } else if (++bad_epochs_ >= options_.patience && options_.patience > 0) {
      stop_reason_ = fmt::format("early stopping: no improvement for {} epochs", bad_epochs_);
    }
    // After the stopping rules, so that a checkpoint taken here holds their updated state.
    if (callbacks.on_epoch) {
      EpochStats s;
      s.epoch = epoch_;
      s.epochs = options_.epochs;
      s.loss = e.loss;
      s.grad_norm = e.grad_norm;
      s.lr = lr;
      s.seconds = seconds;
      std::size_t evaluations = batches_per_epoch();
      if (optimizer_->name() == "lbfgs") {
        evaluations = static_cast<std::size_t>(
            static_cast<optim::LBFGS&>(*optimizer_).func_evals() - evals_before);
      }
      s.examples = full_batch() ? rows_ * evaluations : rows_;
      callbacks.on_epoch(s);
    }
  }
  if (!last) last = evaluate();

  TrainResult r;
  r.epochs = epoch_;
  r.loss = last->loss;
  r.data_loss = last->data_loss;
  r.grad_norm = last->grad_norm;
  r.stop_reason = stop_reason_.empty() ? "epochs" : stop_reason_;
  r.converged = starts_with(r.stop_reason, "converged");
  r.diverged = starts_with(r.stop_reason, "diverged");
  r.trace = trace_;
  return r;
}

TrainerState Trainer::state() const {
  TrainerState s;
  s.epoch = epoch_;
  s.parameters = model_.parameter_values();
  s.optimizer = optimizer_->state();
  if (sampler_) {
    s.sampler = sampler_->state();
  } else {
    s.sampler.seed = options_.seed;
    s.sampler.epoch = epoch_;
  }
  s.best_loss = best_loss_;
  s.bad_epochs = bad_epochs_;
  s.initial_loss = initial_loss_;
  s.trace = trace_;
  s.stop_reason = stop_reason_;
  return s;
}

void Trainer::restore(const TrainerState& s) {
  if (s.epoch > limits::max_epochs) {
    throw InputError(fmt::format("saved training state: epoch {} exceeds the limit of {}", s.epoch,
                                 limits::max_epochs));
  }
  if (s.trace.rows.size() != s.epoch + 1) {
    throw InputError(fmt::format("saved training state: {} trace rows for {} epochs (expected {})",
                                 s.trace.rows.size(), s.epoch, s.epoch + 1));
  }
  if (s.bad_epochs > s.epoch) {
    throw InputError(
        fmt::format("saved training state: {} epochs without improvement after {} epochs",
                    s.bad_epochs, s.epoch));
  }
  for (const auto& [what, v] :
       {std::pair{"best loss", s.best_loss}, {"initial loss", s.initial_loss}}) {
    if (!std::isfinite(v)) {
      throw InputError(fmt::format("saved training state: the {} is {} (not finite)", what, v));
    }
  }
  for (std::size_t i = 0; i < s.parameters.size(); ++i) {
    if (!s.parameters[i].allFinite()) {
      throw InputError(
          fmt::format("saved training state: parameter {} holds a non-finite value", i + 1));
    }
  }
  model_.set_parameter_values(s.parameters);
  optimizer_->load_state(s.optimizer);
  if (sampler_) {
    if (s.sampler.seed != options_.seed) {
      throw InputError(fmt::format("saved training state: mini-batch seed {} differs from {}",
                                   s.sampler.seed, options_.seed));
    }
    sampler_->restore(s.sampler);
  }
  epoch_ = s.epoch;
  best_loss_ = s.best_loss;
  bad_epochs_ = s.bad_epochs;
  initial_loss_ = s.initial_loss;
  trace_ = s.trace;
  trace_.label = model_.describe();
  stop_reason_ = s.stop_reason;
}

// ------------------------------------------------------------------ fit

Eigen::VectorXd Fitted::predict(const Eigen::MatrixXd& X) const {
  return model->predict(Matrix(standardizer.transform(X)));
}

Fitted fit(const Dataset& data, ModelSpec spec, const TrainOptions& options,
           const TrainCallbacks& callbacks) {
  Standardizer standardizer = Standardizer::fit(data.X, data.feature_names);
  const Matrix X = standardizer.transform(data.X);
  const Vector y = data.y;
  spec.inputs = static_cast<std::size_t>(data.features());
  std::unique_ptr<Model> model = make_model(spec);
  Trainer trainer(*model, X, y, options);
  TrainResult result = trainer.run(callbacks);
  std::optional<LinearCoefficients> coefficients;
  if (auto c = model->coefficients())
    coefficients = standardizer.to_original_units(c->weights, c->bias);
  return Fitted{std::move(model), std::move(standardizer), std::move(result),
                std::move(coefficients)};
}

}  // namespace xi::models
