// Tests for data sets: typing and encoding, missing values, standardisation, splits, batches and
// the synthetic generators.

#include <xigrad/models/dataset.hpp>

#include <xigrad/autodiff/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace xi::models {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::filesystem::path kDataDir = XIGRAD_SHARED_DATA_DIR;

/// Options by position: GCC 12 warns (-Wmissing-field-initializers) about designated
/// initialisers that leave fields out.
DatasetOptions options(std::string target, std::optional<std::string> positive = std::nullopt,
                       std::vector<std::string> features = {}, NaPolicy na = NaPolicy::drop,
                       bool drop_first = true) {
  DatasetOptions o;
  o.target = std::move(target);
  o.positive = std::move(positive);
  o.features = std::move(features);
  o.na = na;
  o.drop_first = drop_first;
  return o;
}

std::string heart_path() {
  return (kDataDir / "Heart.csv").string();
}

template <typename F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no xi::InputError thrown";
  return {};
}

std::string dataset_error(std::string_view csv, const DatasetOptions& options) {
  return input_error([&] { make_dataset(parse_csv(csv, "t.csv"), options); });
}

Dataset from_text(std::string_view csv, const DatasetOptions& options) {
  return make_dataset(parse_csv(csv, "t.csv"), options);
}

std::size_t index_of(const std::vector<std::string>& names, const std::string& name) {
  const auto it = std::find(names.begin(), names.end(), name);
  EXPECT_NE(it, names.end()) << name;
  return static_cast<std::size_t>(it - names.begin());
}

// ---- the shared data sets

TEST(DatasetHeartTest, DropsRowsWithNaAndEncodesCategories) {
  const Dataset d = read_dataset(kDataDir / "Heart.csv", options("AHD", "Yes"));
  EXPECT_EQ(d.rows(), 297);
  EXPECT_EQ(d.dropped_rows, 6U);
  EXPECT_EQ(d.target_name, "AHD");
  EXPECT_THAT(d.classes, ElementsAre("No", "Yes"));
  EXPECT_DOUBLE_EQ(d.y.sum(), 137.0);
  EXPECT_THAT(d.feature_names,
              ElementsAre("key", "Age", "Sex", "ChestPain=nonanginal", "ChestPain=nontypical",
                          "ChestPain=typical", "RestBP", "Chol", "Fbs", "RestECG", "MaxHR", "ExAng",
                          "Oldpeak", "Slope", "Ca", "Thal=normal", "Thal=reversable"));
  ASSERT_EQ(d.features(), 17);
  // First patient: 63 years, typical chest pain, fixed defect (the baseline level), no AHD.
  EXPECT_DOUBLE_EQ(d.X(0, index_of(d.feature_names, "Age")), 63.0);
  EXPECT_DOUBLE_EQ(d.X(0, index_of(d.feature_names, "ChestPain=typical")), 1.0);
  EXPECT_DOUBLE_EQ(d.X(0, index_of(d.feature_names, "ChestPain=nonanginal")), 0.0);
  EXPECT_DOUBLE_EQ(d.X(0, index_of(d.feature_names, "Thal=normal")), 0.0);
  EXPECT_DOUBLE_EQ(d.X(0, index_of(d.feature_names, "Thal=reversable")), 0.0);
  EXPECT_DOUBLE_EQ(d.X(0, index_of(d.feature_names, "Oldpeak")), 2.3);
  EXPECT_DOUBLE_EQ(d.y(0), 0.0);
  EXPECT_DOUBLE_EQ(d.y(1), 1.0);
}

TEST(DatasetHeartTest, AllLevelsWithoutDropFirst) {
  const Dataset d = read_dataset(
      kDataDir / "Heart.csv", options("AHD", "Yes", {"ChestPain", "Age"}, NaPolicy::drop, false));
  EXPECT_THAT(d.feature_names, ElementsAre("ChestPain=asymptomatic", "ChestPain=nonanginal",
                                           "ChestPain=nontypical", "ChestPain=typical", "Age"));
  // One-hot rows sum to one; Ca and Thal are not in use, so no row is dropped.
  EXPECT_EQ(d.rows(), 303);
  EXPECT_EQ(d.dropped_rows, 0U);
  EXPECT_TRUE((d.X.leftCols(4).rowwise().sum().array() == 1.0).all());
  EXPECT_DOUBLE_EQ(d.X.col(0).sum(), 144.0);
}

TEST(DatasetHeartTest, NaErrorPolicyGivesFileLineColumn) {
  const std::string message = input_error(
      [] { read_dataset(kDataDir / "Heart.csv", options("AHD", "Yes", {}, NaPolicy::error)); });
  EXPECT_EQ(message, heart_path() +
                         ":89:48: missing value (\"NA\") in column \"Thal\" and the NA policy is "
                         "\"error\"");
}

TEST(DatasetHeartTest, NonNumericTargetWithoutPositiveListsLabels) {
  const std::string message =
      input_error([] { read_dataset(kDataDir / "Heart.csv", options("AHD")); });
  EXPECT_EQ(message, heart_path() +
                         ":1:109: target column \"AHD\" is not numeric; name the positive class "
                         "among the labels found: \"No\", \"Yes\"");
}

TEST(DatasetHeartTest, UnknownPositiveLabel) {
  const std::string message =
      input_error([] { read_dataset(kDataDir / "Heart.csv", options("AHD", "yes")); });
  EXPECT_THAT(message, StartsWith(heart_path() + ":1:109: positive class \"yes\" does not occur"));
  EXPECT_THAT(message, HasSubstr("\"No\", \"Yes\""));
}

TEST(DatasetAutoTest, QuestionMarkIsMissing) {
  const Dataset d = read_dataset(kDataDir / "Auto.csv",
                                 options("mpg", std::nullopt, {"horsepower", "weight", "year"}));
  EXPECT_EQ(d.rows(), 392);
  EXPECT_EQ(d.dropped_rows, 5U);
  EXPECT_THAT(d.feature_names, ElementsAre("horsepower", "weight", "year"));
  EXPECT_TRUE(d.classes.empty());
  EXPECT_DOUBLE_EQ(d.X(0, 0), 130.0);
  EXPECT_DOUBLE_EQ(d.y(0), 18.0);
}

TEST(DatasetAutoTest, QuestionMarkUnderErrorPolicy) {
  const std::string message = input_error([] {
    read_dataset(kDataDir / "Auto.csv", options("mpg", std::nullopt, {}, NaPolicy::error));
  });
  EXPECT_EQ(message, (kDataDir / "Auto.csv").string() +
                         ":34:9: missing value (\"?\") in column \"horsepower\" and the NA "
                         "policy is \"error\"");
}

TEST(DatasetCreditTest, SeveralCategoricalColumns) {
  const Dataset d = read_dataset(kDataDir / "Credit.csv", options("Balance"));
  EXPECT_EQ(d.rows(), 400);
  EXPECT_THAT(d.feature_names, Contains("Gender=Male"));
  EXPECT_THAT(d.feature_names, Contains("Student=Yes"));
  EXPECT_THAT(d.feature_names, Contains("Ethnicity=Asian"));
  EXPECT_THAT(d.feature_names, Contains("Ethnicity=Caucasian"));
  EXPECT_THAT(d.feature_names, Not(Contains("Ethnicity=African American")));
}

// ---- typing and encoding

TEST(DatasetTest, PartialNumbersInANumericColumnAreRefused) {
  EXPECT_EQ(dataset_error("x,y\n3,1\n12abc,2\n4,3\n", options("y")),
            "t.csv:3:1: column \"x\" mixes numbers and text: \"12abc\" is not a number (nan and "
            "inf are not numbers in data), but 2 of its 3 values are numbers; correct the cell, "
            "write NA where a value is missing, or declare the column categorical "
            "(--categorical x)");
}

TEST(DatasetTest, DeclaredCategoricalKeepsEveryLevel) {
  DatasetOptions o = options("y", std::nullopt, {}, NaPolicy::drop, false);
  o.categorical = {"x"};
  const Dataset d = from_text("x,y\n12abc,1\n3,2\n4,3\n", o);
  EXPECT_THAT(d.feature_names, ElementsAre("x=12abc", "x=3", "x=4"));
}

TEST(DatasetTest, NumberOutOfRange) {
  EXPECT_EQ(dataset_error("x,y\n1,1\n1e999,2\n", options("y")),
            "t.csv:3:1: number \"1e999\" in column \"x\" is out of the range of a double");
}

TEST(DatasetTest, MissingMarkers) {
  const Dataset d = from_text("x,y\n1,1\nNA,2\n?,3\n,4\n  ,5\n6,\n7,8\n", options("y"));
  EXPECT_EQ(d.rows(), 2);
  EXPECT_EQ(d.dropped_rows, 5U);
  EXPECT_EQ(d.y, Eigen::Vector2d(1.0, 8.0));
}

TEST(DatasetTest, EmptyCellUnderErrorPolicy) {
  EXPECT_EQ(dataset_error("x,y\n1,2\n,3\n", options("y", std::nullopt, {}, NaPolicy::error)),
            "t.csv:3:1: missing value (an empty cell) in column \"x\" and the NA policy is "
            "\"error\"");
}

TEST(DatasetTest, UnusedColumnsMayHaveMissingValues) {
  const Dataset d = from_text("x,z,y\n1,NA,2\n3,4,5\n", options("y", std::nullopt, {"x"}));
  EXPECT_EQ(d.rows(), 2);
  EXPECT_EQ(d.dropped_rows, 0U);
}

TEST(DatasetTest, LevelsComeFromKeptRowsOnly) {
  const Dataset d = from_text("c,x,y\nred,1,1\nblue,NA,2\ngreen,3,3\n",
                              options("y", std::nullopt, {}, NaPolicy::drop, false));
  EXPECT_THAT(d.feature_names, ElementsAre("c=green", "c=red", "x"));
}

TEST(DatasetTest, FeatureOrderFollowsOptions) {
  const Dataset d = from_text("a,b,c,y\n1,2,3,4\n", options("y", std::nullopt, {"c", "a"}));
  EXPECT_THAT(d.feature_names, ElementsAre("c", "a"));
  EXPECT_EQ(d.X(0, 0), 3.0);
  EXPECT_EQ(d.X(0, 1), 1.0);
}

TEST(DatasetTest, NumericTargetWithPositiveMatchesByValue) {
  const Dataset d = from_text("x,y\n1,1.0\n2,0\n3,1\n", options("y", "1"));
  EXPECT_EQ(d.y, Eigen::Vector3d(1.0, 0.0, 1.0));
  EXPECT_THAT(d.classes, ElementsAre("0", "1"));
}

TEST(DatasetTest, SeveralNegativeLabels) {
  const Dataset d = from_text("x,y\n1,a\n2,b\n3,c\n", options("y", "b"));
  EXPECT_EQ(d.y, Eigen::Vector3d(0.0, 1.0, 0.0));
  EXPECT_THAT(d.classes, ElementsAre("not b", "b"));
}

TEST(DatasetTest, UnknownColumns) {
  EXPECT_EQ(dataset_error("a,b\n1,2\n", options("c")),
            "t.csv:1:1: no target column \"c\"; the columns are \"a\", \"b\"");
  EXPECT_EQ(dataset_error("a,b\n1,2\n", options("b", std::nullopt, {"z"})),
            "t.csv:1:1: no feature column \"z\"; the columns are \"a\", \"b\"");
}

TEST(DatasetTest, BadFeatureLists) {
  EXPECT_EQ(dataset_error("a,b\n1,2\n", options("b", std::nullopt, {"a", "b"})),
            "t.csv:1:3: column \"b\" is the target; it cannot also be a feature");
  EXPECT_EQ(dataset_error("a,b\n1,2\n", options("b", std::nullopt, {"a", "a"})),
            "t.csv:1:1: feature column \"a\" is listed twice");
}

TEST(DatasetTest, TargetIsRequired) {
  EXPECT_THAT(dataset_error("a,b\n1,2\n", DatasetOptions{}),
              StartsWith("t.csv: no target column given"));
}

TEST(DatasetTest, NoRowsLeft) {
  EXPECT_EQ(dataset_error("a,b\nNA,2\n3,?\n", options("b")),
            "t.csv:1:1: no rows to use: the file has 2 data rows and every one has a missing "
            "value");
  EXPECT_EQ(dataset_error("a,b\n", options("b")),
            "t.csv:1:1: no rows to use: the file has 0 data rows");
}

TEST(DatasetTest, SelectRows) {
  const Dataset d = from_text("x,y\n1,10\n2,20\n3,30\n", options("y"));
  const std::vector<std::size_t> rows = {2, 0};
  const Dataset s = select_rows(d, rows);
  EXPECT_EQ(s.X.col(0), Eigen::Vector2d(3.0, 1.0));
  EXPECT_EQ(s.y, Eigen::Vector2d(30.0, 10.0));
  EXPECT_EQ(s.feature_names, d.feature_names);
  const std::vector<std::size_t> bad = {3};
  EXPECT_THROW(select_rows(d, bad), InputError);
}

// ---- standardisation

Eigen::MatrixXd sample_matrix() {
  Eigen::MatrixXd X(5, 3);
  X << 1, 100, 7,  //
      2, 300, 7,   //
      3, 200, 7,   //
      4, 500, 7,   //
      10, 400, 7;
  return X;
}

TEST(StandardizerTest, TransformGivesZeroMeanUnitVariance) {
  const Eigen::MatrixXd X = sample_matrix();
  const Standardizer s = Standardizer::fit(X);
  const Eigen::MatrixXd Z = s.transform(X);
  EXPECT_NEAR(Z.col(0).mean(), 0.0, 1e-12);
  EXPECT_NEAR(Z.col(1).mean(), 0.0, 1e-12);
  EXPECT_NEAR(Z.col(0).squaredNorm() / 5.0, 1.0, 1e-12);
  EXPECT_NEAR(Z.col(1).squaredNorm() / 5.0, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(s.mean()(1), 300.0);
  EXPECT_DOUBLE_EQ(s.scale()(1), std::sqrt(20000.0));
}

TEST(StandardizerTest, ConstantColumnGetsScaleOneAndIsReported) {
  const Standardizer s = Standardizer::fit(sample_matrix());
  EXPECT_THAT(s.constant_columns(), ElementsAre(2));
  EXPECT_DOUBLE_EQ(s.scale()(2), 1.0);
  EXPECT_TRUE((s.transform(sample_matrix()).col(2).array() == 0.0).all());
  // A constant column whose mean is inexact in floating point is still found.
  const Eigen::MatrixXd tenths = Eigen::MatrixXd::Constant(7, 1, 0.1);
  EXPECT_THAT(Standardizer::fit(tenths).constant_columns(), ElementsAre(0));
}

TEST(StandardizerTest, RoundTripThroughGivenMeanAndScale) {
  const Eigen::MatrixXd X = sample_matrix();
  const Standardizer fitted = Standardizer::fit(X);
  const Standardizer restored(fitted.mean(), fitted.scale());
  const Eigen::MatrixXd Z = restored.transform(X);
  const Eigen::MatrixXd back =
      (Z.array().rowwise() * restored.scale().transpose().array()).rowwise() +
      restored.mean().transpose().array();
  EXPECT_TRUE(back.isApprox(X, 1e-12));
}

TEST(StandardizerTest, ToOriginalUnitsGivesTheSamePredictions) {
  const SyntheticData data = make_regression(50, 4, 0.1, 7);
  Eigen::MatrixXd X = data.data.X;
  X.col(0) = X.col(0) * 30.0 + Eigen::VectorXd::Constant(50, 100.0);
  X.col(2).array() -= 5.0;
  const Standardizer s = Standardizer::fit(X);
  const Eigen::Vector4d w(0.5, -2.0, 1.5, 3.0);
  const double b = 0.25;
  const LinearCoefficients original = s.to_original_units(w, b);
  const Eigen::VectorXd standardized_predictions = (s.transform(X) * w).array() + b;
  const Eigen::VectorXd original_predictions = (X * original.weights).array() + original.bias;
  EXPECT_TRUE(standardized_predictions.isApprox(original_predictions, 1e-12));
  for (int j = 0; j < 4; ++j) EXPECT_DOUBLE_EQ(original.weights(j), w(j) / s.scale()(j));
  EXPECT_NEAR(original.bias, b - (w.array() * s.mean().array() / s.scale().array()).sum(), 1e-12);
}

TEST(StandardizerTest, ToOriginalUnitsRecoversLeastSquaresCoefficients) {
  // Least squares on standardised features, mapped back, equals least squares on raw features.
  const SyntheticData data = make_regression(200, 3, 0.5, 11);
  Eigen::MatrixXd X = data.data.X;
  X.col(1) = X.col(1) * 1000.0;
  const auto fit_ls = [&](const Eigen::MatrixXd& A) {
    Eigen::MatrixXd design(A.rows(), A.cols() + 1);
    design << A, Eigen::VectorXd::Ones(A.rows());
    return Eigen::VectorXd(design.colPivHouseholderQr().solve(data.data.y));
  };
  const Standardizer s = Standardizer::fit(X);
  const Eigen::VectorXd on_standardized = fit_ls(s.transform(X));
  const Eigen::VectorXd on_raw = fit_ls(X);
  const LinearCoefficients back = s.to_original_units(on_standardized.head(3), on_standardized(3));
  EXPECT_TRUE(back.weights.isApprox(on_raw.head(3), 1e-9));
  EXPECT_NEAR(back.bias, on_raw(3), 1e-9);
}

TEST(StandardizerTest, Errors) {
  EXPECT_THROW(Standardizer::fit(Eigen::MatrixXd(0, 2)), InputError);
  const Standardizer s = Standardizer::fit(sample_matrix());
  try {
    s.transform(Eigen::MatrixXd::Zero(2, 2));
    ADD_FAILURE() << "no ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("(2, 2)"));
    EXPECT_THAT(e.what(), HasSubstr("3 columns"));
  }
  EXPECT_THROW(s.to_original_units(Eigen::VectorXd::Zero(2), 0.0), ShapeError);
  EXPECT_THROW(Standardizer(Eigen::VectorXd::Zero(2), Eigen::VectorXd::Ones(3)), ShapeError);
  EXPECT_THROW(Standardizer(Eigen::VectorXd::Zero(1), Eigen::VectorXd::Zero(1)), InputError);
}

// ---- train/test split

TEST(TrainTestSplitTest, SizesAndCoverage) {
  const Dataset d = read_dataset(kDataDir / "Heart.csv", options("AHD", "Yes"));
  const TrainTestSplit split = train_test_split(d, 0.2, 42);
  EXPECT_EQ(split.test.rows(), 59);  // round(0.2 * 297)
  EXPECT_EQ(split.train.rows(), 238);
  std::vector<std::size_t> all = split.train_rows;
  all.insert(all.end(), split.test_rows.begin(), split.test_rows.end());
  std::sort(all.begin(), all.end());
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i);
  for (std::size_t i = 0; i < split.test_rows.size(); ++i) {
    EXPECT_EQ(split.test.X.row(Eigen::Index(i)), d.X.row(Eigen::Index(split.test_rows[i])));
    EXPECT_EQ(split.test.y(Eigen::Index(i)), d.y(Eigen::Index(split.test_rows[i])));
  }
  EXPECT_EQ(split.train.feature_names, d.feature_names);
  EXPECT_EQ(split.test.classes, d.classes);
}

TEST(TrainTestSplitTest, DeterministicGivenSeed) {
  const Dataset d = make_xor(100, 0.1, 1);
  EXPECT_EQ(train_test_split(d, 0.3, 5).test_rows, train_test_split(d, 0.3, 5).test_rows);
  EXPECT_NE(train_test_split(d, 0.3, 5).test_rows, train_test_split(d, 0.3, 6).test_rows);
}

TEST(TrainTestSplitTest, ZeroFractionKeepsEverythingForTraining) {
  const Dataset d = make_xor(10, 0.1, 1);
  const TrainTestSplit split = train_test_split(d, 0.0, 5);
  EXPECT_EQ(split.train.rows(), 10);
  EXPECT_EQ(split.test.rows(), 0);
  EXPECT_EQ(split.train.X, d.X);
}

TEST(TrainTestSplitTest, BadFractions) {
  const Dataset d = make_xor(10, 0.1, 1);
  EXPECT_THAT(input_error([&] { train_test_split(d, 1.0, 1); }),
              HasSubstr("test fraction must be in [0, 1), got 1"));
  EXPECT_THROW(train_test_split(d, -0.1, 1), InputError);
  EXPECT_THROW(train_test_split(d, std::nan(""), 1), InputError);
  EXPECT_THAT(input_error([&] { train_test_split(d, 0.96, 1); }),
              HasSubstr("leaves no training rows"));
}

// ---- batch sampler

TEST(BatchSamplerTest, EveryRowOncePerEpochWithPartialLastBatch) {
  BatchSampler sampler(10, 4, 3);
  EXPECT_EQ(sampler.batches_per_epoch(), 3U);
  for (std::uint64_t epoch = 0; epoch < 3; ++epoch) {
    EXPECT_EQ(sampler.epoch(), epoch);
    std::vector<std::size_t> seen;
    std::vector<std::size_t> sizes;
    for (std::size_t b = 0; b < sampler.batches_per_epoch(); ++b) {
      const std::vector<std::size_t> batch = sampler.next();
      sizes.push_back(batch.size());
      seen.insert(seen.end(), batch.begin(), batch.end());
    }
    EXPECT_THAT(sizes, ElementsAre(4, 4, 2));
    std::sort(seen.begin(), seen.end());
    EXPECT_THAT(seen, ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
  }
}

TEST(BatchSamplerTest, EpochsAreShuffledDifferently) {
  const auto e0 = BatchSampler::epoch_order(50, 1, 0);
  const auto e1 = BatchSampler::epoch_order(50, 1, 1);
  EXPECT_NE(e0, e1);
  EXPECT_NE(e0, BatchSampler::epoch_order(50, 2, 0));
  EXPECT_EQ(e0, BatchSampler::epoch_order(50, 1, 0));
}

TEST(BatchSamplerTest, OrderIsFixedAcrossStandardLibraries) {
  // Integer-only algorithm (mt19937_64, SplitMix64, Fisher-Yates): the same on every platform.
  EXPECT_THAT(BatchSampler::epoch_order(8, 42, 0), ElementsAre(1, 0, 3, 4, 2, 7, 6, 5));
}

TEST(BatchSamplerTest, DeterministicGivenSeed) {
  BatchSampler a(23, 5, 9);
  BatchSampler b(23, 5, 9);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(a.next(), b.next());
}

TEST(BatchSamplerTest, SavedStateResumesTheSameSequence) {
  BatchSampler uninterrupted(23, 5, 9);
  BatchSampler first_half(23, 5, 9);
  for (int i = 0; i < 7; ++i) {
    uninterrupted.next();
    first_half.next();
  }
  const BatchSampler::State saved = first_half.state();
  EXPECT_EQ(saved.seed, 9U);
  EXPECT_EQ(saved.epoch, 1U);
  EXPECT_EQ(saved.position, 10U);
  BatchSampler resumed(23, 5, 0);
  resumed.restore(saved);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(resumed.next(), uninterrupted.next());
}

TEST(BatchSamplerTest, BatchLargerThanData) {
  BatchSampler sampler(3, 10, 1);
  EXPECT_EQ(sampler.batches_per_epoch(), 1U);
  EXPECT_EQ(sampler.next().size(), 3U);
  EXPECT_EQ(sampler.epoch(), 1U);
  EXPECT_EQ(sampler.state().position, 0U);
}

TEST(BatchSamplerTest, Errors) {
  EXPECT_THROW(BatchSampler(0, 4, 1), InputError);
  EXPECT_THROW(BatchSampler(4, 0, 1), InputError);
  BatchSampler sampler(4, 2, 1);
  EXPECT_THROW(sampler.restore({1, 0, 4}), InputError);
}

// ---- synthetic generators

TEST(GeneratorTest, RegressionIsDeterministicAndRecoversCoefficients) {
  const SyntheticData a = make_regression(500, 3, 0.01, 123);
  const SyntheticData b = make_regression(500, 3, 0.01, 123);
  EXPECT_EQ(a.data.X, b.data.X);
  EXPECT_EQ(a.data.y, b.data.y);
  EXPECT_EQ(a.true_weights, b.true_weights);
  EXPECT_NE(make_regression(500, 3, 0.01, 124).data.X, a.data.X);
  EXPECT_THAT(a.data.feature_names, ElementsAre("x1", "x2", "x3"));
  EXPECT_EQ(a.data.target_name, "y");
  Eigen::MatrixXd design(500, 4);
  design << a.data.X, Eigen::VectorXd::Ones(500);
  const Eigen::VectorXd fit = design.colPivHouseholderQr().solve(a.data.y);
  EXPECT_TRUE(fit.head(3).isApprox(a.true_weights, 1e-2));
  EXPECT_NEAR(fit(3), a.true_bias, 1e-2);
}

TEST(GeneratorTest, NormalDrawsAreStandard) {
  const SyntheticData a = make_regression(20000, 1, 0.0, 5);
  const Eigen::VectorXd x = a.data.X.col(0);
  const double mean = x.mean();
  EXPECT_NEAR(mean, 0.0, 0.03);
  EXPECT_NEAR((x.array() - mean).square().mean(), 1.0, 0.05);
}

TEST(GeneratorTest, RegressionValuesArePinned) {
  // Guards the portable algorithm (mt19937_64 + Box-Muller); only libm rounding may differ.
  const SyntheticData a = make_regression(2, 1, 0.0, 1);
  EXPECT_NEAR(a.true_weights(0), 0.35099249780849107, 1e-12);
  EXPECT_NEAR(a.true_bias, 1.0859449105047105, 1e-12);
  EXPECT_NEAR(a.data.X(0, 0), 0.78918877611049598, 1e-12);
  EXPECT_NEAR(a.data.X(1, 0), 1.0069829981942957, 1e-12);
}

TEST(GeneratorTest, ClassificationLabels) {
  const SyntheticData a = make_classification(400, 5, 3);
  EXPECT_EQ(a.data.X, make_classification(400, 5, 3).data.X);
  EXPECT_EQ(a.data.y, make_classification(400, 5, 3).data.y);
  EXPECT_TRUE((a.data.y.array() == 0.0 || a.data.y.array() == 1.0).all());
  EXPECT_THAT(a.data.classes, ElementsAre("0", "1"));
  // Labels follow the logistic model: the true logit separates the classes far better than chance.
  const Eigen::VectorXd logits = (a.data.X * a.true_weights).array() + a.true_bias;
  const double agree =
      ((logits.array() > 0.0).cast<double>() == a.data.y.array()).cast<double>().mean();
  EXPECT_GT(agree, 0.8);
}

TEST(GeneratorTest, XorLabels) {
  const Dataset clean = make_xor(200, 0.0, 4);
  for (Eigen::Index i = 0; i < clean.rows(); ++i) {
    const bool opposite = (clean.X(i, 0) < 0.0) != (clean.X(i, 1) < 0.0);
    EXPECT_EQ(clean.y(i), opposite ? 1.0 : 0.0);
  }
  EXPECT_TRUE((clean.X.array().abs() <= 1.0).all());
  EXPECT_EQ(make_xor(200, 0.2, 4).y, make_xor(200, 0.2, 4).y);
  EXPECT_EQ(make_xor(200, 0.2, 4).X, make_xor(200, 0.2, 4).X);
  EXPECT_EQ(make_xor(200, 0.2, 4).y, clean.y);  // noise moves points, not labels
}

TEST(GeneratorTest, TwoMoons) {
  const Dataset d = make_two_moons(101, 0.0, 8);
  EXPECT_EQ(d.rows(), 101);
  EXPECT_DOUBLE_EQ(d.y.sum(), 50.0);
  for (Eigen::Index i = 0; i < d.rows(); ++i) {
    const double cx = d.y(i) == 0.0 ? 0.0 : 1.0;
    const double cy = d.y(i) == 0.0 ? 0.0 : 0.5;
    EXPECT_NEAR(std::hypot(d.X(i, 0) - cx, d.X(i, 1) - cy), 1.0, 1e-12);
  }
  EXPECT_EQ(make_two_moons(101, 0.1, 8).X, make_two_moons(101, 0.1, 8).X);
  EXPECT_NE(make_two_moons(101, 0.1, 8).X, make_two_moons(101, 0.1, 9).X);
}

TEST(GeneratorTest, DefaultClassification) {
  const Dataset d = make_default_classification();
  EXPECT_EQ(d.rows(), 400);
  EXPECT_THAT(d.feature_names, ElementsAre("Age", "MaxHR", "Oldpeak"));
  EXPECT_EQ(d.target_name, "AHD");
  EXPECT_THAT(d.classes, ElementsAre("No", "Yes"));
  EXPECT_EQ(d.X, make_default_classification().X);
  EXPECT_EQ(d.y, make_default_classification().y);
  const double positives = d.y.sum();
  EXPECT_GT(positives, 120.0);
  EXPECT_LT(positives, 280.0);
  EXPECT_TRUE((d.X.col(2).array() >= 0.0).all());
  EXPECT_GE(d.X.col(0).minCoeff(), 29.0);
  EXPECT_LE(d.X.col(0).maxCoeff(), 77.0);
}

TEST(GeneratorTest, BadArguments) {
  EXPECT_THROW(make_regression(0, 2, 0.1, 1), InputError);
  EXPECT_THROW(make_regression(5, 0, 0.1, 1), InputError);
  EXPECT_THROW(make_regression(5, 2, -1.0, 1), InputError);
  EXPECT_THROW(make_classification(5, 0, 1), InputError);
  EXPECT_THROW(make_xor(5, std::nan(""), 1), InputError);
  EXPECT_THROW(make_two_moons(1, 0.1, 1), InputError);
}

}  // namespace
}  // namespace xi::models
