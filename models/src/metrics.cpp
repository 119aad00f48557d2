// Accuracy, confusion matrix and losses on plain doubles.

#include <xigrad/models/metrics.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include <xigrad/autodiff/error.hpp>

namespace xi::models {
namespace {

void require_same_size(const char* what, const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  if (a.size() != b.size() || a.size() == 0) {
    throw ShapeError(fmt::format("{}: sizes {} and {} (they must be equal and not 0)", what,
                                 a.size(), b.size()));
  }
}

int label01(const char* what, double v, Eigen::Index i) {
  if (v == 0.0) return 0;
  if (v == 1.0) return 1;
  throw InputError(fmt::format("{}: label {} at row {} is not 0 or 1", what, v, i));
}

double softplus(double z) {
  return std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z)));
}

}  // namespace

double ConfusionMatrix::accuracy() const noexcept {
  const std::size_t n = total();
  return n == 0 ? 0.0 : static_cast<double>(correct()) / static_cast<double>(n);
}

std::string ConfusionMatrix::table(const std::vector<std::string>& classes) const {
  const std::string c0 = classes.size() == 2 ? classes[0] : "0";
  const std::string c1 = classes.size() == 2 ? classes[1] : "1";
  const std::string h0 = "predicted " + c0, h1 = "predicted " + c1;
  const std::string r0 = "actual " + c0, r1 = "actual " + c1;
  const std::size_t w0 = std::max(r0.size(), r1.size());
  const std::size_t w1 = std::max<std::size_t>(h0.size(), 6);
  const std::size_t w2 = std::max<std::size_t>(h1.size(), 6);
  std::string out;
  out += fmt::format("{:<{}}  {:>{}}  {:>{}}\n", "", w0, h0, w1, h1, w2);
  out += fmt::format("{:<{}}  {:>{}}  {:>{}}\n", r0, w0, true_negative, w1, false_positive, w2);
  out += fmt::format("{:<{}}  {:>{}}  {:>{}}\n", r1, w0, false_negative, w1, true_positive, w2);
  return out;
}

Eigen::VectorXd decisions_from_logits(const Eigen::VectorXd& logits) {
  return (logits.array() > 0.0).cast<double>().matrix();
}

ConfusionMatrix confusion_matrix(const Eigen::VectorXd& predicted, const Eigen::VectorXd& actual) {
  require_same_size("confusion_matrix", predicted, actual);
  ConfusionMatrix cm;
  for (Eigen::Index i = 0; i < actual.size(); ++i) {
    const int p = label01("confusion_matrix (predicted)", predicted[i], i);
    const int a = label01("confusion_matrix (actual)", actual[i], i);
    if (a == 0) {
      (p == 0 ? cm.true_negative : cm.false_positive) += 1;
    } else {
      (p == 0 ? cm.false_negative : cm.true_positive) += 1;
    }
  }
  return cm;
}

double accuracy(const Eigen::VectorXd& predicted, const Eigen::VectorXd& actual) {
  require_same_size("accuracy", predicted, actual);
  const auto equal = (predicted.array() == actual.array()).count();
  return static_cast<double>(equal) / static_cast<double>(actual.size());
}

double mean_squared_error(const Eigen::VectorXd& pred, const Eigen::VectorXd& y) {
  require_same_size("mean_squared_error", pred, y);
  return (pred - y).squaredNorm() / static_cast<double>(y.size());
}

double binary_cross_entropy(const Eigen::VectorXd& logits, const Eigen::VectorXd& y) {
  require_same_size("binary_cross_entropy", logits, y);
  double s = 0.0;
  for (Eigen::Index i = 0; i < y.size(); ++i) s += softplus(logits[i]) - y[i] * logits[i];
  return s / static_cast<double>(y.size());
}

}  // namespace xi::models
