#pragma once
// Data sets for the models: built from a CSV table (typed, missing values handled by an explicit
// policy, categorical columns one-hot encoded) or generated from a seed; standardisation with
// coefficients mapped back to the original units; train/test split; shuffled mini-batches.
//
// Every random choice here uses std::mt19937_64 (whose output the C++ standard fixes) with
// xigrad's own shuffling and Box-Muller normal draws, never std::shuffle or the std::*_distribution
// classes (whose algorithms differ between standard libraries), so a seed gives the same data on
// every platform.

#include <xigrad/models/csv.hpp>

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xi::models {

/// What to do with a row that has a missing value ("NA", "?" or an empty cell, spaces ignored)
/// in a column in use (a feature or the target).
enum class NaPolicy {
  drop,   ///< remove the row and count it in Dataset::dropped_rows
  error,  ///< throw xi::InputError naming the file, line and column of the missing cell
};

/// How to turn a CSV table into a Dataset. (Set fields by assignment: GCC 12 warns under -Wextra
/// about designated initialisers that leave fields out.)
struct DatasetOptions {
  /// Name of the target column; required.
  std::string target;
  /// If set, the target is binary: 1 where the label equals this, 0 elsewhere. Needed when the
  /// target column is not numeric. For a numeric target, "1" also matches "1.0".
  std::optional<std::string> positive;
  /// Feature columns, in this order; empty means every column but the target, in file order.
  std::vector<std::string> features;
  /// Columns to one-hot encode whatever their cells look like (e.g. numeric codes, or a mostly
  /// numeric column with text in it); each must be a feature column.
  std::vector<std::string> categorical;
  /// Most distinct values a categorical column may have (see Dataset for what happens beyond).
  std::size_t max_levels = 100;
  /// Missing-value policy.
  NaPolicy na = NaPolicy::drop;
  /// One-hot encoding leaves out the first level (alphabetically) of each categorical column, so
  /// that a model with an intercept stays identifiable (the dropped level is the baseline).
  bool drop_first = true;
};

/// A column left out of a Dataset's features, and why.
struct SkippedColumn {
  std::string name;        ///< the CSV column's name
  std::size_t levels = 0;  ///< its distinct values (more than DatasetOptions::max_levels)
};

/// A design matrix and target, ready for a model.
///
/// Column typing, decided from every non-missing cell of the column (in all rows):
/// - a number is what std::from_chars reads as a finite double, with an optional sign and
///   nothing left over; "12abc", "0x10", "nan" and "inf" are not numbers;
/// - a column declared in DatasetOptions::categorical is categorical;
/// - otherwise a column whose cells are all numbers is numeric, and one with no number at all
///   (e.g. "Yes"/"No", Heart.csv's ChestPain) is categorical;
/// - a column with both is refused (xi::InputError at the cell of the minority kind, so a stray
///   "x5" among numbers is named with file:line:column) unless declared categorical.
///
/// A categorical column becomes one 0/1 column per level, named "Column=level", levels sorted
/// alphabetically (byte order) for determinism. One with more than DatasetOptions::max_levels
/// distinct values (an identifier or free text: one-hot encoding it would make a column per row)
/// is left out and listed in skipped_columns when the features were not given, and refused
/// (xi::InputError naming the column and its count) when they were or when it was declared
/// categorical.
struct Dataset {
  Eigen::MatrixXd X;                           ///< rows x features
  Eigen::VectorXd y;                           ///< target; 0/1 for a binary target
  std::vector<std::string> feature_names;      ///< one per column of X
  std::string target_name;                     ///< the target column's name
  std::size_t dropped_rows = 0;                ///< rows removed for missing values
  std::vector<SkippedColumn> skipped_columns;  ///< columns left out for too many levels
  /// For a binary target: {label of 0, label of 1}, e.g. {"No", "Yes"}. When several labels map
  /// to 0 the first entry reads "not <positive>". Empty for a numeric (regression) target.
  std::vector<std::string> classes;

  /// Number of rows (examples).
  Eigen::Index rows() const { return X.rows(); }
  /// Number of features (columns of X).
  Eigen::Index features() const { return X.cols(); }
};

/// Builds a Dataset from a parsed CSV table.
///
/// Example (Heart.csv gives 297 rows, 6 dropped for NA, features such as "ChestPain=typical"):
///
///     DatasetOptions options;
///     options.target = "AHD";
///     options.positive = "Yes";
///     Dataset heart = make_dataset(read_csv("Heart.csv"), options);
///
/// Throws xi::InputError ("file:line:column: what") for an unknown or repeated column, the target
/// among the features or declared categorical, a column with numbers and text (not declared
/// categorical), a categorical column with too many levels (see Dataset), a non-numeric target
/// without `positive`, a positive label that never occurs, a binary target with one class only
/// in the rows used, a missing value under NaPolicy::error, a number out of range, or no rows
/// or no features left. Text from the file is shown escaped (xi::printable) and cut if long.
Dataset make_dataset(const CsvTable& table, const DatasetOptions& options);

/// Throws xi::InputError if `data` has a binary target (non-empty classes) and its rows hold only
/// one class: a classifier cannot learn from them. `rows_name` says which rows ("rows used",
/// "training rows") in the message, which names the target, the class and the count.
void require_both_classes(const Dataset& data, std::string_view rows_name);

/// Reads the CSV file at `path` and builds a Dataset from it (see read_csv and make_dataset).
Dataset read_dataset(const std::filesystem::path& path, const DatasetOptions& options);

/// The rows `rows` of `data` (in that order), with the same names, classes and dropped_rows.
/// Throws xi::InputError if an index is out of range.
Dataset select_rows(const Dataset& data, std::span<const std::size_t> rows);

/// Coefficients of a linear model y = X w + b.
struct LinearCoefficients {
  Eigen::VectorXd weights;
  double bias = 0.0;
};

/// Per-column standardisation z = (x - mean) / scale, fitted on a training matrix.
///
/// scale is the population standard deviation (divide by n). A constant column (standard
/// deviation within 1e-12 of its magnitude) gets scale 1 and is listed in constant_columns().
class Standardizer {
 public:
  /// Fits mean and scale on the columns of `X`; `names` (one per column, or empty) name the
  /// columns in messages. Throws xi::InputError if X has no rows or if a column's values are
  /// not finite or overflow when standardised (their spread is not a finite double).
  static Standardizer fit(const Eigen::MatrixXd& X, const std::vector<std::string>& names = {});

  /// A standardiser with given per-column mean and scale (e.g. restored from a saved model).
  /// Throws xi::ShapeError if the sizes differ, xi::InputError if a scale is not positive.
  Standardizer(Eigen::VectorXd mean, Eigen::VectorXd scale);

  /// (X - mean) / scale column by column; throws xi::ShapeError if X has the wrong width.
  Eigen::MatrixXd transform(const Eigen::MatrixXd& X) const;

  /// Maps a linear model learned on standardised features back to the original units:
  /// w_orig = w / scale, b_orig = b - sum(w * mean / scale), so that
  /// transform(X) * w + b == X * w_orig + b_orig. Throws xi::ShapeError on a size mismatch.
  LinearCoefficients to_original_units(const Eigen::VectorXd& weights, double bias) const;

  const Eigen::VectorXd& mean() const { return mean_; }
  const Eigen::VectorXd& scale() const { return scale_; }
  /// Indices of the columns found constant by fit() (scale set to 1).
  const std::vector<Eigen::Index>& constant_columns() const { return constant_; }

 private:
  Eigen::VectorXd mean_;
  Eigen::VectorXd scale_;
  std::vector<Eigen::Index> constant_;
};

/// A data set split into training and test rows.
struct TrainTestSplit {
  Dataset train;
  Dataset test;
  std::vector<std::size_t> train_rows;  ///< rows of the original data, ascending
  std::vector<std::size_t> test_rows;   ///< rows of the original data, ascending
};

/// Shuffles the rows with `seed` and puts round(test_fraction * rows) of them in the test set.
///
/// Throws xi::InputError unless 0 <= test_fraction < 1 and at least one training row remains,
/// and, for a binary target, unless the training rows hold both classes.
TrainTestSplit train_test_split(const Dataset& data, double test_fraction, std::uint64_t seed);

/// Shuffled mini-batches of row indices, epoch after epoch.
///
/// Each epoch visits every row exactly once in an order that depends only on (seed, epoch); the
/// last batch of an epoch holds the remainder when the batch size does not divide the row count.
/// The whole state is (seed, epoch, position), so saving state() and later calling restore()
/// continues with exactly the batches an uninterrupted run would have seen.
class BatchSampler {
 public:
  /// Where the sampler stands: the next batch starts at `position` of epoch `epoch`'s order.
  struct State {
    std::uint64_t seed = 0;
    std::uint64_t epoch = 0;
    std::size_t position = 0;  ///< always < rows
  };

  /// Throws xi::InputError if `rows` or `batch_size` is 0.
  BatchSampler(std::size_t rows, std::size_t batch_size, std::uint64_t seed);

  /// The next batch of row indices; after the last batch of an epoch the sampler moves to the
  /// start of the next epoch.
  std::vector<std::size_t> next();

  /// Batches in one epoch: ceil(rows / batch_size).
  std::size_t batches_per_epoch() const { return (rows_ + batch_size_ - 1) / batch_size_; }
  std::size_t rows() const { return rows_; }
  std::size_t batch_size() const { return batch_size_; }
  std::uint64_t epoch() const { return state_.epoch; }

  State state() const { return state_; }
  /// Continues from a saved state; throws xi::InputError if its position is not below rows().
  void restore(const State& state);

  /// The visiting order of epoch `epoch`: a permutation of 0..rows-1.
  static std::vector<std::size_t> epoch_order(std::size_t rows, std::uint64_t seed,
                                              std::uint64_t epoch);

 private:
  std::size_t rows_;
  std::size_t batch_size_;
  State state_;
  std::vector<std::size_t> order_;  // epoch_order of state_.epoch
};

/// A synthetic data set and the coefficients that generated it.
struct SyntheticData {
  Dataset data;
  Eigen::VectorXd true_weights;
  double true_bias = 0.0;
};

/// Regression data: X ~ N(0, 1) (n x d), weights and bias ~ N(0, 1),
/// y = X w + b + noise * N(0, 1). Features "x1".."xd", target "y".
/// Throws xi::InputError if n or d is 0 or noise is negative or not finite.
SyntheticData make_regression(std::size_t n, std::size_t d, double noise, std::uint64_t seed);

/// Binary classification from a logistic model: X ~ N(0, 1), weights ~ N(0, 4), bias ~ N(0, 1),
/// y ~ Bernoulli(sigmoid(X w + b)). Features "x1".."xd", target "y", classes {"0", "1"}.
/// Throws xi::InputError if n or d is 0.
SyntheticData make_classification(std::size_t n, std::size_t d, std::uint64_t seed);

/// XOR: points uniform in [-1, 1]^2, label 1 when the two coordinates have opposite signs, then
/// noise * N(0, 1) added to each coordinate. Features "x1", "x2", target "y", classes {"0", "1"}.
/// Throws xi::InputError if n is 0 or noise is negative or not finite.
Dataset make_xor(std::size_t n, double noise, std::uint64_t seed);

/// Two interleaving half circles (class 0: (cos t, sin t); class 1: (1 - cos t, 0.5 - sin t),
/// t in [0, pi] evenly spaced), noise * N(0, 1) added, rows shuffled. Class 0 gets ceil(n / 2)
/// rows. Features "x1", "x2", target "y", classes {"0", "1"}.
/// Throws xi::InputError if n < 2 or noise is negative or not finite.
Dataset make_two_moons(std::size_t n, double noise, std::uint64_t seed);

/// The data set `xigrad train` uses without --data: 400 synthetic patients, features "Age"
/// (years), "MaxHR" (beats per minute) and "Oldpeak" (ST depression, mm), target "AHD" with
/// classes {"No", "Yes"}; heart disease is more likely with age and ST depression and less likely
/// with a high maximum heart rate. Always the same data.
Dataset make_default_classification();

}  // namespace xi::models
