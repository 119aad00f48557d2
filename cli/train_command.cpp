// xigrad train: trains a model on a CSV file or the embedded synthetic data (see docs/models.md).

#include "train_command.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/printable.hpp>
#include <xigrad/models/models.hpp>
#include <xigrad/optim/plot.hpp>

#include "expression_input.hpp"
#include "format.hpp"
#include "options.hpp"

namespace xi::cli {
namespace {

using models::Checkpoint;
using models::Dataset;

constexpr const char* kDefaultPlot = "xigrad-train.svg";

// The ranges of train's options (docs/models.md): the models library's limits, which the
// checkpoint reader applies too, so that a saved run always resumes.
constexpr CountRange kEpochRange{1, models::limits::max_epochs};
constexpr CountRange kBatchRange{0, models::limits::max_batch_size};
constexpr CountRange kPatienceRange{0, models::limits::max_epochs};
constexpr CountRange kLayerSizeRange{1, models::limits::max_layer_size};
constexpr std::size_t kMaxHiddenLayers = models::limits::max_hidden_layers;
constexpr RealRange kFractionRange{0.0, 1.0, false, true};

/// A number that reads back to the same double ("0.1", "1e-05").
std::string exact(double v) {
  return fmt::format("{}", v);
}

/// The settings that determine a run, as text (the form the command line takes them in).
/// Saved in the checkpoint; a resumed run takes them from there.
using Settings = std::map<std::string, std::string>;

/// The per-model defaults (docs/models.md).
struct Defaults {
  std::string optimizer;
  std::optional<double> lr;
  std::size_t epochs;
  std::size_t batch;
  std::size_t patience;
};

Defaults defaults_for(const std::string& model) {
  if (model == "neuron") return {"gd", 0.5, 500, 0, 20};
  if (model == "mlp") return {"adam", 0.01, 200, 32, 20};
  return {"lbfgs", std::nullopt, 100, 0, 0};  // linear, logistic: the exact minimiser
}

bool full_batch_optimizer(const std::string& name) {
  return name == "lbfgs" || name == "gd";
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  if (text.empty()) return items;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = text.find(',', start);
    items.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

/// The columns `names` of a data set (e.g. --features on the embedded data).
Dataset select_features(const Dataset& data, const std::vector<std::string>& names) {
  Dataset out = data;
  out.X.resize(data.X.rows(), static_cast<Eigen::Index>(names.size()));
  out.feature_names = names;
  for (std::size_t j = 0; j < names.size(); ++j) {
    const auto it = std::find(data.feature_names.begin(), data.feature_names.end(), names[j]);
    if (it == data.feature_names.end()) {
      throw InputError(
          fmt::format("--features: the embedded data set has no column '{}' (its "
                      "features: {})",
                      names[j], fmt::join(data.feature_names, ", ")));
    }
    out.X.col(static_cast<Eigen::Index>(j)) =
        data.X.col(static_cast<Eigen::Index>(it - data.feature_names.begin()));
  }
  return out;
}

class TrainCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    CLI::App* cmd = app.add_subcommand(
        "train",
        "train a model (linear or logistic regression, a single neuron, an MLP) on a CSV file or, "
        "without --data, on an embedded synthetic data set; prints progress, the loss, accuracy "
        "and the coefficients in the features' original units");
    cmd->footer(
        "Defaults: linear and logistic regression run full-batch L-BFGS to the exact "
        "least-squares / maximum-likelihood solution; the neuron runs gradient descent from "
        "random weights (lr 0.5, 500 epochs); the MLP runs Adam (lr 0.01, batches of 32, 200 "
        "epochs, hidden 16). Features are standardised internally. See docs/models.md.");
    opt_["model"] =
        cmd->add_option("--model", model_, "linear, logistic, neuron or mlp (default logistic)")
            ->check(CLI::IsMember({"linear", "logistic", "neuron", "mlp"}));
    opt_["data"] = cmd->add_option("--data", data_,
                                   "CSV file with a header row (default: the embedded data set)");
    opt_["target"] = cmd->add_option("--target", target_, "the column to predict");
    opt_["positive"] = cmd->add_option("--positive", positive_,
                                       "the target's label that counts as class 1 (e.g. Yes)");
    opt_["features"] =
        cmd->add_option("--features", features_,
                        "feature columns COL,COL,... (default: every column but the target)");
    opt_["categorical"] = cmd->add_option(
        "--categorical", categorical_,
        "one-hot encode these feature columns COL,COL,... whatever their cells look like");
    opt_["na"] =
        cmd->add_option("--na", na_, "rows with a missing value: drop (default, counted) or error")
            ->check(CLI::IsMember({"drop", "error"}));
    opt_["optimizer"] =
        cmd->add_option("--optimizer", optimizer_,
                        "gd, sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw or lbfgs");
    opt_["lr"] = add_real(*cmd, "--lr", lr_, kNonNegative, "learning rate (default: the model's)");
    opt_["epochs"] = add_count(*cmd, "--epochs", epochs_, kEpochRange,
                               "total number of epochs (a resumed run continues up to it)");
    opt_["batch"] =
        add_count(*cmd, "--batch", batch_, kBatchRange, "rows per mini-batch (0: the full batch)");
    opt_["hidden"] = add_count_list(*cmd, "--hidden", hidden_, kLayerSizeRange, kMaxHiddenLayers,
                                    "MLP hidden layer sizes, e.g. 16 or 32,16 (default 16)");
    opt_["activation"] = cmd->add_option("--activation", activation_,
                                         "MLP activation: relu (default), tanh or sigmoid")
                             ->check(CLI::IsMember({"relu", "tanh", "sigmoid"}));
    opt_["l2"] = add_real(
        *cmd, "--l2", l2_, kNonNegative,
        "L2 penalty: adds (l2/2)·Σw² over the weights of the standardised model (default 0)");
    opt_["test_fraction"] =
        add_real(*cmd, "--test-fraction", test_fraction_, kFractionRange,
                 "hold out this fraction of the rows and report test accuracy (default 0)");
    opt_["seed"] = add_seed(
        *cmd, seed_, "seed of the initial weights, the split and the mini-batch order (default 0)");
    opt_["patience"] = add_count(*cmd, "--patience", patience_, kPatienceRange,
                                 "stop after this many epochs without improvement (0: never)");
    add_output(
        *cmd, "--plot", plot_,
        fmt::format("write the loss per epoch as SVG here (default {} in the current directory)",
                    kDefaultPlot),
        "FILE.svg");
    cmd->add_flag("--no-plot", no_plot_, "write no plot");
    add_output(*cmd, "--save", save_,
               "save the model, optimizer and sampler state here (atomically)");
    cmd->add_option("--resume", resume_, "continue the run saved in this file up to --epochs");
    cmd->add_flag("--json", json_, "print one JSON object (and no progress)");
    return cmd;
  }

  int run(const Io& io) override;

 private:
  bool given(const std::string& name) const { return opt_.at(name)->count() > 0; }
  Settings settings_from_arguments() const;
  void take_saved_settings(Settings& s, const Checkpoint& c) const;

  std::map<std::string, CLI::Option*> opt_;
  std::string model_ = "logistic";
  std::string data_, target_, positive_, features_, categorical_, na_ = "drop", optimizer_;
  double lr_ = 0.0;
  std::uint64_t epochs_ = 0, batch_ = 0, patience_ = 0;
  std::string hidden_ = "16", activation_ = "relu";
  double l2_ = 0.0, test_fraction_ = 0.0;
  std::uint64_t seed_ = 0;
  std::string plot_, save_, resume_;
  bool no_plot_ = false, json_ = false;
};

Settings TrainCommand::settings_from_arguments() const {
  const Defaults d = defaults_for(model_);
  Settings s;
  s["model"] = model_;
  s["data"] = unprotect(data_);
  s["target"] = unprotect(target_);
  s["positive"] = unprotect(positive_);
  s["features"] = unprotect(features_);
  s["categorical"] = unprotect(categorical_);
  s["na"] = na_;
  s["optimizer"] = given("optimizer") ? optimizer_ : d.optimizer;
  if (given("lr")) {
    s["lr"] = exact(lr_);
  } else {
    // The model's default rate belongs to its default optimizer; another optimizer keeps its own.
    s["lr"] = d.lr && s["optimizer"] == d.optimizer ? exact(*d.lr) : "";
  }
  s["epochs"] = std::to_string(given("epochs") ? epochs_ : d.epochs);
  if (given("batch")) {
    s["batch"] = std::to_string(batch_);
  } else {
    s["batch"] =
        std::to_string(full_batch_optimizer(s["optimizer"]) ? 0 : (d.batch == 0 ? 32 : d.batch));
  }
  s["hidden"] = model_ == "mlp" ? hidden_ : "";
  s["activation"] = model_ == "mlp" ? activation_ : "";
  s["l2"] = exact(l2_);
  s["test_fraction"] = exact(test_fraction_);
  s["seed"] = std::to_string(seed_);
  s["patience"] = std::to_string(given("patience") ? patience_ : d.patience);
  return s;
}

void TrainCommand::take_saved_settings(Settings& s, const Checkpoint& c) const {
  const std::string file = unprotect(resume_);
  Settings settings = c.settings;
  settings.try_emplace("categorical", "");  // saved before --categorical existed: none declared
  for (const char* key :
       {"model", "target", "positive", "features", "categorical", "na", "optimizer", "lr", "batch",
        "hidden", "activation", "l2", "test_fraction", "seed", "patience"}) {
    const auto saved = settings.find(key);
    if (saved == settings.end()) {
      throw InputError(
          fmt::format("{}: the checkpoint has no setting '{}' (it was not written "
                      "by xigrad train)",
                      file, key));
    }
    if (given(key) && s[key] != saved->second) {
      std::string option = key;
      std::replace(option.begin(), option.end(), '_', '-');
      throw InputError(fmt::format(
          "--{} {} differs from the run saved in {} ({}): a resumed run keeps the settings it "
          "was saved with, so that it continues with the same iterates; leave --{} out",
          option, s[key], file, saved->second.empty() ? "not set" : saved->second, option));
    }
    s[key] = saved->second;
  }
  if (!given("data")) s["data"] = c.settings.count("data") ? c.settings.at("data") : "";
  if (!given("epochs")) s["epochs"] = std::to_string(c.training.epochs);
}

int TrainCommand::run(const Io& io) {
  // Every output is checked before any work, so that a bad path never costs a training run.
  std::string plot = unprotect(plot_);
  if (plot.empty() && !json_) plot = kDefaultPlot;
  if (no_plot_) plot.clear();
  const OutputFile outputs[] = {{"--save", unprotect(save_)}, {"--plot", plot}};
  check_output_files(outputs);

  Settings s = settings_from_arguments();
  std::optional<Checkpoint> checkpoint;
  if (!resume_.empty()) {
    checkpoint = models::load_checkpoint(unprotect(resume_));
    take_saved_settings(s, *checkpoint);
  }
  const std::string& model_kind = s["model"];
  if (model_kind != "mlp" && (given("hidden") || given("activation"))) {
    throw InputError(
        fmt::format("--hidden and --activation apply to --model mlp only (the model "
                    "is {})",
                    model_kind));
  }

  // ---------------------------------------------------------------- data
  Dataset data;
  std::string source;
  const bool embedded = s["data"].empty();
  if (embedded) {
    for (const char* key : {"target", "positive", "categorical", "na"}) {
      if (given(key) && !(std::string(key) == "na" && na_ == "drop")) {
        throw InputError(
            fmt::format("--{} needs --data FILE (the embedded data set's target is "
                        "AHD, positive class Yes)",
                        key));
      }
    }
    data = models::make_default_classification();
    if (!s["features"].empty()) data = select_features(data, split_list(s["features"]));
    source = "the embedded synthetic data set";
  } else {
    if (s["target"].empty()) {
      const models::CsvTable table = models::read_csv(s["data"]);
      std::vector<std::string> columns;
      for (const std::string& name : table.header) columns.push_back(printable(name, 40));
      throw InputError(
          fmt::format("--data {} needs --target COL, the column to predict (columns: "
                      "{})",
                      printable(s["data"]), fmt::join(columns, ", ")));
    }
    models::DatasetOptions options;
    options.target = s["target"];
    if (!s["positive"].empty()) options.positive = s["positive"];
    options.features = split_list(s["features"]);
    options.categorical = split_list(s["categorical"]);
    options.na = s["na"] == "error" ? models::NaPolicy::error : models::NaPolicy::drop;
    data = models::read_dataset(s["data"], options);
    source = s["data"];
  }

  const double test_fraction = std::stod(s["test_fraction"]);
  const std::uint64_t seed = std::stoull(s["seed"]);
  Dataset train = data, test;
  bool has_test = false;
  if (test_fraction != 0.0) {
    models::TrainTestSplit split = models::train_test_split(data, test_fraction, seed);
    train = std::move(split.train);
    test = std::move(split.test);
    has_test = test.rows() > 0;
  }

  // ---------------------------------------------------------------- model and trainer
  models::ModelSpec spec;
  spec.kind = model_kind;
  spec.inputs = static_cast<std::size_t>(train.features());
  if (model_kind == "mlp") {
    spec.hidden = models::parse_layer_sizes(s["hidden"]);
    spec.activation = models::parse_activation(s["activation"]);
    spec.task = train.classes.empty() ? models::Task::regression : models::Task::binary;
  }
  spec.seed = seed;

  models::TrainOptions options;
  options.optimizer = s["optimizer"];
  if (!s["lr"].empty()) options.lr = std::stod(s["lr"]);
  options.epochs = std::stoull(s["epochs"]);
  options.batch_size = std::stoull(s["batch"]);
  options.l2 = std::stod(s["l2"]);
  options.seed = seed;
  options.patience = std::stoull(s["patience"]);

  const Matrix X_raw = train.X;
  const std::uint64_t fingerprint = models::data_fingerprint(X_raw, train.y);
  models::Standardizer standardizer =
      checkpoint ? models::Standardizer(checkpoint->feature_mean, checkpoint->feature_scale)
                 : models::Standardizer::fit(train.X, train.feature_names);
  if (checkpoint) {
    if (checkpoint->data_fingerprint != fingerprint ||
        checkpoint->feature_names != train.feature_names) {
      throw InputError(fmt::format(
          "{}: the training data differ from those of the saved run ({} rows of {} now; "
          "fingerprint {:016x}, saved {:016x}): resume with the same data file and options",
          unprotect(resume_), train.rows(), source, fingerprint, checkpoint->data_fingerprint));
    }
  }
  const Matrix X = standardizer.transform(train.X);
  const Vector y = train.y;
  std::unique_ptr<models::Model> model = models::make_model(spec);
  models::Trainer trainer(*model, X, y, options);
  if (checkpoint) {
    try {
      trainer.restore(checkpoint->state);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", unprotect(resume_), e.what()));
    }
  }

  const bool classification = model->task() == models::Task::binary;
  // Names and labels come from the file: shown escaped (xi::printable), as in messages.
  const std::string target_text =
      classification && train.classes.size() == 2
          ? fmt::format("{} = {}", printable(train.target_name), printable(train.classes[1]))
          : printable(train.target_name);
  for (const models::SkippedColumn& skipped : data.skipped_columns) {
    io.err << fmt::format(
        "xigrad: warning: left out column \"{}\": {} distinct text values, more than {} (an "
        "identifier or free text, not a category); --features COL,... chooses the features\n",
        printable(skipped.name, 40), skipped.levels, models::DatasetOptions{}.max_levels);
  }

  // ---------------------------------------------------------------- what is about to happen
  if (!json_) {
    io.out << fmt::format("training {} on {}: {} rows, {} feature{} → {}\n", model->describe(),
                          printable(source), train.rows(), train.features(),
                          train.features() == 1 ? "" : "s", target_text);
    if (embedded && !checkpoint) {
      io.out << "  (no --data: 400 synthetic patients with Age, MaxHR and Oldpeak; for the "
                "lecture's data try --data Heart.csv --target AHD --positive Yes)\n";
    }
    if (data.dropped_rows > 0) {
      io.out << fmt::format(
          "  dropped {} row{} with a missing value (--na error refuses them "
          "instead)\n",
          data.dropped_rows, data.dropped_rows == 1 ? "" : "s");
    }
    if (has_test) {
      io.out << fmt::format("  held out {} rows for testing (--test-fraction {})\n", test.rows(),
                            s["test_fraction"]);
    }
    const std::string batch_text = trainer.full_batch()
                                       ? "full batch"
                                       : fmt::format("mini-batches of {}", trainer.batch_size());
    io.out << fmt::format(
        "  optimizer {} (lr {}, {}{}), up to {} epochs{}{}; features "
        "standardised internally\n",
        options.optimizer, num(trainer.optimizer().lr()), batch_text,
        options.optimizer == "lbfgs" ? ", one iteration per epoch" : "", options.epochs,
        options.l2 != 0.0 ? fmt::format(", l2 {}", num(options.l2)) : "",
        options.patience > 0
            ? fmt::format(", early stopping after {} epochs without progress", options.patience)
            : "");
    if (checkpoint) {
      io.out << fmt::format("  resuming {} after epoch {}\n", unprotect(resume_), trainer.epoch());
    }
    io.out.flush();
  }

  // ---------------------------------------------------------------- train
  const auto make_checkpoint = [&]() {
    Checkpoint c;
    c.model = spec;
    c.training = options;
    c.feature_names = train.feature_names;
    c.feature_mean = standardizer.mean();
    c.feature_scale = standardizer.scale();
    c.data_fingerprint = fingerprint;
    c.settings = s;
    c.state = trainer.state();
    return c;
  };
  const models::Progress::Mode mode = json_
                                          ? models::Progress::Mode::none
                                          : (&io.err == &std::cerr ? models::Progress::detect(false)
                                                                   : models::Progress::Mode::lines);
  models::Progress progress(io.err, mode, options.epochs, trainer.epoch());
  models::TrainCallbacks callbacks = progress.callbacks();
  if (!save_.empty()) {
    // A long run also saves every 30 seconds, so a crash loses little (each write is atomic).
    auto last_save = std::chrono::steady_clock::now();
    auto show = callbacks.on_epoch;
    callbacks.on_epoch = [&, show, last_save](const models::EpochStats& e) mutable {
      if (show) show(e);
      const auto now = std::chrono::steady_clock::now();
      // (A non-finite epoch is a diverged run: it is never saved.)
      if (now - last_save > std::chrono::seconds(30) && e.epoch < e.epochs &&
          std::isfinite(e.loss) && std::isfinite(e.grad_norm)) {
        models::save_checkpoint(unprotect(save_), make_checkpoint());
        last_save = now;
      }
    };
  }
  const models::TrainResult result = trainer.run(callbacks);
  progress.finish();

  // ---------------------------------------------------------------- metrics
  const Eigen::VectorXd out_train = model->predict(X);
  std::optional<models::ConfusionMatrix> cm;
  if (classification) cm = models::confusion_matrix(models::decisions_from_logits(out_train), y);
  double test_loss = 0.0;
  std::optional<models::ConfusionMatrix> cm_test;
  if (has_test) {
    const Eigen::VectorXd out_test = model->predict(Matrix(standardizer.transform(test.X)));
    test_loss = classification ? models::binary_cross_entropy(out_test, test.y)
                               : models::mean_squared_error(out_test, test.y);
    if (classification) {
      cm_test = models::confusion_matrix(models::decisions_from_logits(out_test), test.y);
    }
  }
  std::optional<models::LinearCoefficients> coefficients;
  if (auto c = model->coefficients()) {
    coefficients = standardizer.to_original_units(c->weights, c->bias);
  }

  // ---------------------------------------------------------------- files
  std::string saved;
  if (!save_.empty()) {
    if (result.diverged) {
      saved = "not saved: the run diverged";
    } else {
      models::save_checkpoint(unprotect(save_), make_checkpoint());
      saved = unprotect(save_);
    }
  }
  if (!plot.empty()) {
    optim::PlotOptions po;
    po.title = fmt::format(
        "xigrad train: {} on {}", model->describe(),
        embedded ? "the embedded data" : std::filesystem::path(source).filename().string());
    po.x_label = "epoch";
    po.y_label = fmt::format("training loss ({})", models::loss_description(model->loss_kind()));
    optim::Trace trace = result.trace;
    trace.label = fmt::format("{}, lr {}", options.optimizer, num(trainer.optimizer().lr()));
    optim::save_loss_plot(plot, {trace}, po);
  }

  // ---------------------------------------------------------------- report
  const std::string loss_name(models::loss_description(model->loss_kind()));
  if (json_) {
    Json j = Json::object();
    j["model"] = model_kind;
    j["epochs"] = result.epochs;
    j["loss"] = result.data_loss;
    if (cm) j["accuracy"] = cm->accuracy();
    if (cm_test) j["test_accuracy"] = cm_test->accuracy();
    if (has_test) j["test_loss"] = test_loss;
    if (coefficients) {
      Json w = Json::object();
      for (std::size_t i = 0; i < train.feature_names.size(); ++i) {
        w[train.feature_names[i]] = coefficients->weights[static_cast<Eigen::Index>(i)];
      }
      j["weights"] = w;
      j["bias"] = coefficients->bias;
    }
    j["optimizer"] = options.optimizer;
    j["stop_reason"] = result.stop_reason;
    j["converged"] = result.converged;
    j["diverged"] = result.diverged;
    j["rows"] = train.rows();
    j["dropped_rows"] = data.dropped_rows;
    if (!data.skipped_columns.empty()) {
      Json skipped = Json::array();
      for (const auto& c : data.skipped_columns) {
        skipped.push_back({{"column", c.name}, {"levels", c.levels}});
      }
      j["skipped_columns"] = skipped;
    }
    if (!plot.empty()) j["plot"] = plot;
    if (!save_.empty()) j["saved"] = saved;
    io.out << dump(j);
  } else {
    std::string how;
    if (result.converged) {
      const std::string why = result.stop_reason.substr(std::string("converged: ").size());
      how = fmt::format("converged after {} epochs ({})", result.epochs,
                        why == "gradient_tolerance" ? "every gradient component is below 1e-9"
                        : why == "directional_derivative"
                            ? "no further decrease along L-BFGS's direction"
                        : why == "loss_change" ? "the loss stopped changing"
                                               : "the steps became negligible");
    } else if (result.diverged) {
      how = fmt::format("stopped after {} epochs: {}", result.epochs, result.stop_reason);
    } else if (result.stop_reason == "epochs") {
      how = fmt::format("trained {} epochs", result.epochs);
    } else {
      how = fmt::format("stopped after {} epochs: {}", result.epochs, result.stop_reason);
    }
    io.out << "\n" << how << "\n\n";
    TextTable t({"", "training rows", has_test ? "test rows" : ""});
    const auto loss_text = [&](double v) {
      return std::isfinite(v) ? num(v) : num(v) + " (not finite: the run diverged)";
    };
    t.add(
        {"loss (" + loss_name + ")", loss_text(result.data_loss), has_test ? num(test_loss) : ""});
    if (cm) {
      t.add({"accuracy",
             fmt::format("{} ({} of {})", num(cm->accuracy()), cm->correct(), cm->total()),
             cm_test ? fmt::format("{} ({} of {})", num(cm_test->accuracy()), cm_test->correct(),
                                   cm_test->total())
                     : ""});
    }
    io.out << t.str();
    if (cm) {
      std::vector<std::string> classes;
      for (const std::string& label : train.classes) classes.push_back(printable(label, 40));
      io.out << "\nconfusion matrix (training rows)\n" << cm->table(classes);
    }
    if (coefficients && !result.diverged) {
      io.out << "\ncoefficients in the original units (" << target_text
             << (classification ? ": log odds" : "") << ")\n";
      TextTable c({"feature", "weight"});
      c.add({"(bias)", num(coefficients->bias)});
      for (std::size_t i = 0; i < train.feature_names.size(); ++i) {
        c.add({printable(train.feature_names[i], 60),
               num(coefficients->weights[static_cast<Eigen::Index>(i)])});
      }
      io.out << c.str("  ");
    }
    io.out << "\n";
    if (!plot.empty()) {
      io.out << fmt::format(
          "loss plot: {}{}\n", plot,
          plot_.empty() ? " (--plot FILE.svg to choose the file, --no-plot for none)" : "");
    }
    if (!save_.empty()) {
      io.out << (result.diverged ? saved
                                 : fmt::format("saved: {} (continue with --resume {} --epochs N)",
                                               saved, saved))
             << "\n";
    }
  }
  if (result.diverged) {
    io.err << fmt::format("xigrad: error: training diverged: {}; try a smaller --lr (it was {})\n",
                          result.stop_reason.substr(std::string("diverged: ").size()),
                          num(trainer.optimizer().lr()));
    return kExitDiverged;
  }
  return kExitOk;
}

}  // namespace

std::unique_ptr<Command> make_train_command() {
  return std::make_unique<TrainCommand>();
}

}  // namespace xi::cli
