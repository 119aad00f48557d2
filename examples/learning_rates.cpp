// seeds/001: "Learning rate". Gradient descent on the neuron's loss (heart data) with a rate that
// is too small, one that is too large and one that is about right, and their trace plots overlaid
// in one SVG:
//
//   too small  the loss decreases throughout, but descent has not hit the bottom;
//   too large  the step overshoots the minimum: the loss oscillates instead of converging;
//   right      the loss drops fast and then stabilises at the minimum: it converges.
//
// Usage: example_learning_rates [path/to/Heart.csv] [plot.svg]
// (defaults: ../shared/data/Heart.csv beside the source tree, learning_rates.svg). Exits with
// status 1 if a run does not behave as its label says.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <xigrad/models/models.hpp>
#include <xigrad/optim/plot.hpp>

#ifndef XIGRAD_SHARED_DATA_DIR
#define XIGRAD_SHARED_DATA_DIR "../shared/data"
#endif

namespace xm = xi::models;

int main(int argc, char** argv) {
  const std::filesystem::path heart_csv =
      argc > 1 ? std::filesystem::path(argv[1])
               : std::filesystem::path(XIGRAD_SHARED_DATA_DIR) / "Heart.csv";
  const std::filesystem::path svg = argc > 2 ? argv[2] : "learning_rates.svg";
  int failures = 0;

  xm::DatasetOptions options;
  options.target = "AHD";
  options.positive = "Yes";
  options.features = {"Age", "Sex", "Chol", "MaxHR", "Oldpeak"};
  xm::Dataset heart;
  try {
    heart = xm::read_dataset(heart_csv, options);
  } catch (const xi::Error& e) {
    fmt::print(stderr, "{}\n(give the path of Heart.csv as the first argument)\n", e.what());
    return 2;
  }
  const xm::Standardizer st = xm::Standardizer::fit(heart.X);
  const xi::Matrix X = st.transform(heart.X);
  const xi::Vector y = heart.y;

  // The bottom of the valley, for reference: L-BFGS to the maximum-likelihood estimate.
  xm::ModelSpec logistic;
  logistic.kind = "logistic";
  logistic.inputs = 5;
  const auto mle_model = xm::make_model(logistic);
  const double best = xm::Trainer(*mle_model, X, y, xm::TrainOptions{}).run().data_loss;

  fmt::print(
      "seeds/001: the learning rate. Gradient descent w <- w - eta dL/dw on the heart data "
      "(5 inputs),\n60 steps from the same random weights; the minimum of L is {:.6f}.\n\n",
      best);

  struct Case {
    const char* label;
    double lr;
  };
  const std::vector<Case> cases{{"too small", 0.02}, {"too large", 14.0}, {"right", 1.5}};
  std::vector<xi::optim::Trace> traces;
  fmt::print("{:<10} {:>6}  {:>10} {:>10} {:>12} {:>11}  verdict\n", "eta", "", "first loss",
             "last loss", "above min", "increases");
  for (const Case& c : cases) {
    xm::ModelSpec spec;
    spec.kind = "neuron";
    spec.inputs = 5;
    spec.seed = 4;
    xm::LinearModel neuron(spec);
    xm::TrainOptions gd;
    gd.optimizer = "gd";
    gd.lr = c.lr;
    gd.epochs = 60;
    xm::Trainer trainer(neuron, X, y, gd);
    const xm::TrainResult r = trainer.run();
    const auto& rows = r.trace.rows;
    int increases = 0;
    for (std::size_t k = 1; k < rows.size(); ++k) increases += rows[k].loss > rows[k - 1].loss;
    const double first = rows.front().loss, last = rows.back().loss;
    const double gap = last - best;
    std::string verdict;
    bool ok = false;
    if (std::string(c.label) == "too small") {
      ok = increases == 0 && gap > 0.1 * (first - best);
      verdict = "still decreasing, far from the bottom";
    } else if (std::string(c.label) == "too large") {
      ok = increases >= 10;
      verdict = "oscillates instead of converging";
    } else {
      ok = gap < 1e-4 * (first - best);
      verdict = "converges";
    }
    fmt::print("{:<10} {:>6g}  {:>10.5f} {:>10.5f} {:>12.3e} {:>11}  {}{}\n", c.label, c.lr, first,
               last, gap, increases, verdict, ok ? "" : "  <-- CHECK FAILED");
    failures += ok ? 0 : 1;
    xi::optim::Trace t = r.trace;
    t.label = fmt::format("eta = {:g} ({})", c.lr, c.label);
    traces.push_back(std::move(t));
  }

  xi::optim::PlotOptions plot;
  plot.title = "Trace plots: three learning rates";
  plot.x_label = "step";
  plot.y_label = "loss (mean binary cross-entropy)";
  xi::optim::save_loss_plot(svg, traces, plot);
  fmt::print("\ntrace plot: {}\n", svg.string());
  fmt::print("\n{}\n", failures == 0 ? "all checks passed" : "SOME CHECKS FAILED");
  return failures == 0 ? 0 : 1;
}
