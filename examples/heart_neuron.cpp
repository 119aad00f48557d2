// seeds/001: "Start with a single neuron" on the heart data.
//
// A neuron p = σ(w·x + b) with four inputs (Age, Sex, Chol, MaxHR → AHD = Yes) starts from
// random weights and does badly; its loss L(w0, ..., w4) says how badly. The ξ table of one
// patient's loss shows the chain the lecture writes on the board (−WᵀX → exp → 1+ → 1/ → log),
// with every local partial and the adjoints flowing back; its gradient equals the lecture's hand
// formula ∂L/∂W = (p − y)·X. Gradient descent then improves the weights step by step, and
// logistic regression (L-BFGS to the maximum-likelihood estimate) shows where it is heading.
//
// Usage: example_heart_neuron [path/to/Heart.csv]   (default: ../shared/data/Heart.csv beside
// the source tree). Exits with status 1 if a check fails.

#include <cmath>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include <xigrad/autodiff/autodiff.hpp>
#include <xigrad/models/models.hpp>

#ifndef XIGRAD_SHARED_DATA_DIR
#define XIGRAD_SHARED_DATA_DIR "../shared/data"
#endif

namespace xm = xi::models;

int main(int argc, char** argv) {
  const std::filesystem::path heart_csv =
      argc > 1 ? std::filesystem::path(argv[1])
               : std::filesystem::path(XIGRAD_SHARED_DATA_DIR) / "Heart.csv";
  int failures = 0;
  const auto check = [&](bool ok, const char* what) {
    if (!ok) {
      fmt::print("CHECK FAILED: {}\n", what);
      ++failures;
    }
  };

  xm::DatasetOptions options;
  options.target = "AHD";
  options.positive = "Yes";
  options.features = {"Age", "Sex", "Chol", "MaxHR"};
  xm::Dataset heart;
  try {
    heart = xm::read_dataset(heart_csv, options);
  } catch (const xi::Error& e) {
    fmt::print(stderr, "{}\n(give the path of Heart.csv as the first argument)\n", e.what());
    return 2;
  }
  fmt::print("seeds/001: a single neuron on the heart data ({}: {} patients)\n", heart_csv.string(),
             heart.rows());
  fmt::print(
      "inputs Age, Sex, Chol, MaxHR (standardised), output p = sigmoid(w.x + b) = "
      "P(AHD = Yes)\n\n");

  const xm::Standardizer st = xm::Standardizer::fit(heart.X);
  const xi::Matrix X = st.transform(heart.X);
  const xi::Vector y = heart.y;

  // ------------------------------------------------------------------ random weights
  xm::ModelSpec spec;
  spec.kind = "neuron";
  spec.inputs = 4;
  spec.seed = 2;
  xm::LinearModel neuron(spec);
  const auto report = [&](const char* when) {
    const Eigen::VectorXd z = neuron.predict(X);
    const double loss = xm::binary_cross_entropy(z, y);
    const double acc = xm::accuracy(xm::decisions_from_logits(z), y);
    fmt::print("{}: loss L(w0, ..., w4) = {:.4f}, accuracy {:.1f}%\n", when, loss, 100 * acc);
    return std::pair{loss, acc};
  };
  fmt::print("Start with randomly selected weights: w = [{:.3f}], b = {:.3f}\n",
             fmt::join(neuron.w().value().reshaped(), ", "), neuron.b().data()[0]);
  const auto [loss0, acc0] = report("random weights");

  // ------------------------------------------------------------------ the ξ table of one example
  const Eigen::VectorXd x0 = X.row(0).transpose();
  const double y0 = y[0];
  fmt::print(
      "\nThe loss of one patient (row 1: Age {}, Sex {}, Chol {}, MaxHR {}, AHD {}), "
      "recorded node by node:\n",
      heart.X(0, 0), heart.X(0, 1), heart.X(0, 2), heart.X(0, 3), y0 == 1 ? "Yes" : "No");
  fmt::print(
      "L = L^A + L^B = -y log p - (1 - y) log(1 - p),  p = 1/(1 + exp(-W.X)),  "
      "W = (w, b), X = (x, 1)\n\n");
  {
    xi::Tape tape;
    xi::Tape::Scope scope(tape);
    const xi::Var L = neuron.lecture_loss(x0, y0);
    const xi::Explanation e = xi::explain(L);
    fmt::print("{}\n", e.table());
    // The lecture's hand formula: ∂L/∂W = (p − y)·X, X = (x, 1).
    const double z = neuron.w().value().reshaped().dot(x0) + neuron.b().data()[0];
    const double p = 1.0 / (1.0 + std::exp(-z));
    fmt::print(
        "dL/dW by the chain rule (the table's leaf adjoints) vs the hand formula (p - y) X:\n");
    // W is one leaf row: its adjoint is the vector ∂L/∂W.
    bool agree = e.leaves.size() == 1 && e.leaves[0].adjoints.size() == 5;
    for (std::size_t j = 0; agree && j < 5; ++j) {
      const double xj = j < 4 ? x0[static_cast<Eigen::Index>(j)] : 1.0;
      const double hand = (p - y0) * xj;
      const double engine = e.leaves[0].adjoints[j];
      fmt::print("  W[{}]  engine {:+.12f}   hand {:+.12f}\n", j, engine, hand);
      agree = agree && std::abs(engine - hand) <= 1e-12 * std::max(1.0, std::abs(hand));
    }
    check(agree, "the ξ table's gradient equals (p − y)·X");
  }

  // ------------------------------------------------------------------ gradient descent
  fmt::print(
      "\nTell the neuron how to change its weights: gradient descent, "
      "w <- w - eta dL/dw, eta = 0.5, all patients per step\n");
  xm::TrainOptions gd;
  gd.optimizer = "gd";
  gd.lr = 0.5;
  gd.epochs = 200;
  xm::Trainer trainer(neuron, X, y, gd);
  xm::TrainCallbacks show;
  show.on_epoch = [](const xm::EpochStats& s) {
    if (s.epoch == 1 || s.epoch == 5 || s.epoch == 20 || s.epoch == 50 || s.epoch % 100 == 0) {
      fmt::print("  step {:>3}: loss {:.6f}\n", s.epoch, s.loss);
    }
  };
  const xm::TrainResult r = trainer.run(show);
  const auto [loss1, acc1] = report("after gradient descent");
  check(loss1 < loss0, "gradient descent lowers the loss");
  check(acc1 > acc0, "and raises the accuracy");

  // ------------------------------------------------------------------ logistic regression (MLE)
  xm::TrainOptions exact;  // full-batch L-BFGS, no penalty: the maximum-likelihood estimate
  const xm::Fitted mle = xm::fit(
      heart,
      [] {
        xm::ModelSpec s;
        s.kind = "logistic";
        return s;
      }(),
      exact);
  fmt::print("\nLogistic regression (L-BFGS to the maximum-likelihood estimate, {}):\n",
             mle.result.stop_reason);
  fmt::print("  loss {:.6f}; the neuron after {} steps is {:.2e} above it\n", mle.result.data_loss,
             r.epochs, loss1 - mle.result.data_loss);
  const xi::models::LinearCoefficients orig =
      st.to_original_units(neuron.coefficients()->weights, neuron.coefficients()->bias);
  fmt::print("  coefficients in original units   {:>10} {:>10}\n", "neuron", "MLE");
  fmt::print("    {:<30} {:>10.5f} {:>10.5f}\n", "(bias)", orig.bias, mle.coefficients->bias);
  for (Eigen::Index j = 0; j < 4; ++j) {
    fmt::print("    {:<30} {:>10.5f} {:>10.5f}\n", heart.feature_names[static_cast<std::size_t>(j)],
               orig.weights[j], mle.coefficients->weights[j]);
  }
  check(mle.result.converged, "L-BFGS converges");
  check(loss1 - mle.result.data_loss < 1e-3, "gradient descent gets close to the MLE");
  check(mle.coefficients->weights[3] < 0, "a higher MaxHR lowers the odds of heart disease");

  fmt::print("\n{}\n", failures == 0 ? "all checks passed" : "SOME CHECKS FAILED");
  return failures == 0 ? 0 : 1;
}
