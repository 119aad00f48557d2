#pragma once
// Metrics of a trained model: accuracy and the confusion matrix of a binary classifier, and the
// mean losses computed on plain doubles (for reports on held-out rows).
//
//   auto cm = xi::models::confusion_matrix(predicted, y);
//   fmt::print("{}", cm.table({"No", "Yes"}));

#include <cstddef>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace xi::models {

/// Counts of a binary classifier's decisions (positive = label 1).
struct ConfusionMatrix {
  std::size_t true_negative = 0;   ///< predicted 0, actual 0
  std::size_t false_positive = 0;  ///< predicted 1, actual 0
  std::size_t false_negative = 0;  ///< predicted 0, actual 1
  std::size_t true_positive = 0;   ///< predicted 1, actual 1

  std::size_t total() const noexcept {
    return true_negative + false_positive + false_negative + true_positive;
  }
  std::size_t correct() const noexcept { return true_negative + true_positive; }
  /// correct / total (0 for an empty matrix).
  double accuracy() const noexcept;
  /// The matrix as aligned text, rows = actual, columns = predicted, with the class names
  /// {name of 0, name of 1} (default {"0", "1"}).
  std::string table(const std::vector<std::string>& classes = {}) const;
};

/// 0/1 decisions from logits: 1 where the logit is > 0 (probability > 1/2).
Eigen::VectorXd decisions_from_logits(const Eigen::VectorXd& logits);

/// The confusion matrix of 0/1 `predicted` against 0/1 `actual`.
/// Throws xi::ShapeError if the sizes differ and xi::InputError for a label other than 0 or 1.
ConfusionMatrix confusion_matrix(const Eigen::VectorXd& predicted, const Eigen::VectorXd& actual);

/// Fraction of equal entries of `predicted` and `actual`; throws xi::ShapeError if the sizes
/// differ or are 0.
double accuracy(const Eigen::VectorXd& predicted, const Eigen::VectorXd& actual);

/// mean((pred − y)²) on doubles; throws xi::ShapeError if the sizes differ or are 0.
double mean_squared_error(const Eigen::VectorXd& pred, const Eigen::VectorXd& y);

/// mean(softplus(z) − y·z), the binary cross-entropy from logits, on doubles (stable for any z);
/// throws xi::ShapeError if the sizes differ or are 0.
double binary_cross_entropy(const Eigen::VectorXd& logits, const Eigen::VectorXd& y);

}  // namespace xi::models
