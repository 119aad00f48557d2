// Hostile data in make_dataset: stray cells in numeric columns, identifier columns, a target with
// one class, values whose spread overflows, and terminal escapes in names and cells.

#include <xigrad/models/dataset.hpp>

#include <xigrad/autodiff/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xi::models {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

DatasetOptions options(std::string target, std::optional<std::string> positive = std::nullopt,
                       std::vector<std::string> features = {},
                       std::vector<std::string> categorical = {}) {
  DatasetOptions o;
  o.target = std::move(target);
  o.positive = std::move(positive);
  o.features = std::move(features);
  o.categorical = std::move(categorical);
  return o;
}

std::string dataset_error(std::string_view csv, const DatasetOptions& o) {
  try {
    make_dataset(parse_csv(csv, "t.csv"), o);
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no xi::InputError for:\n" << csv;
  return {};
}

Dataset from_text(std::string_view csv, const DatasetOptions& o) {
  return make_dataset(parse_csv(csv, "t.csv"), o);
}

// ---- row 8: one stray cell in a numeric column

struct StrayCell {
  std::string cell;   // as written in the file
  std::string shown;  // as the message shows it
};

TEST(DatasetTypingTest, EveryStrayCellFormIsNamedWithFileLineColumn) {
  const std::vector<StrayCell> cases = {{"x5", "x5"},
                                        {"nan", "nan"},
                                        {"NaN", "NaN"},
                                        {"inf", "inf"},
                                        {"-inf", "-inf"},
                                        {"0x10", "0x10"},
                                        {"1e5x", "1e5x"},
                                        {std::string("4\0", 2), "4\\0"},
                                        {"\x1b[31m7", "\\x1b[31m7"}};
  for (const StrayCell& c : cases) {
    const std::string csv = "y,x\n1,1\n2,2.5\n3," + c.cell + "\n4,4\n";
    EXPECT_EQ(dataset_error(csv, options("y")),
              "t.csv:4:3: column \"x\" mixes numbers and text: \"" + c.shown +
                  "\" is not a number (nan and inf are not numbers in data), but 3 of its 4 "
                  "values are numbers; correct the cell, write NA where a value is missing, or "
                  "declare the column categorical (--categorical x)")
        << c.shown;
  }
}

TEST(DatasetTypingTest, ALoneNumberAmongWordsIsNamed) {
  EXPECT_THAT(dataset_error("c,y\nred,1\nblue,2\n3,3\ngreen,4\n", options("y")),
              HasSubstr("t.csv:4:1: column \"c\" mixes numbers and text: \"3\" is a number (nan "
                        "and inf are not numbers in data), but 3 of its 4 values are text"));
}

TEST(DatasetTypingTest, TextColumnsAreCategorical) {
  const Dataset d = from_text("a,y\nYes,1\nNo,2\nYes,3\n", options("y"));
  EXPECT_THAT(d.feature_names, ElementsAre("a=Yes"));
  EXPECT_EQ(d.X.col(0), Eigen::Vector3d(1.0, 0.0, 1.0));
}

TEST(DatasetTypingTest, TypingReadsEveryRowNotOnlyTheFirst) {
  // The stray cell comes first: the column is still numeric, and the cell is an error.
  EXPECT_THAT(dataset_error("x,y\nx5,1\n2,2\n3,3\n", options("y")),
              HasSubstr("t.csv:2:1: column \"x\" mixes numbers and text: \"x5\""));
}

TEST(DatasetTypingTest, StrayCellInTheTargetIsNamed) {
  EXPECT_THAT(dataset_error("x,y\n1,1\n2,oops\n3,3\n", options("y")),
              HasSubstr("t.csv:3:3: column \"y\" mixes numbers and text: \"oops\""));
}

TEST(DatasetTypingTest, DeclaredCategoricalNumericCodes) {
  const Dataset d = from_text("code,y\n1,1\n2,2\n3,3\n2,4\n", options("y", {}, {}, {"code"}));
  EXPECT_THAT(d.feature_names, ElementsAre("code=2", "code=3"));
  EXPECT_EQ(d.X.col(0), Eigen::Vector4d(0.0, 1.0, 0.0, 1.0));
}

TEST(DatasetTypingTest, DeclaredCategoricalMustBeAFeature) {
  const std::string csv = "a,b,y\n1,2,3\n";
  EXPECT_EQ(dataset_error(csv, options("y", {}, {}, {"y"})),
            "t.csv:1:5: column \"y\" is the target; only a feature can be declared categorical (a "
            "non-numeric target needs a positive class)");
  EXPECT_EQ(dataset_error(csv, options("y", {}, {"a"}, {"b"})),
            "t.csv:1:3: column \"b\" is declared categorical but is not a feature");
  EXPECT_EQ(dataset_error(csv, options("y", {}, {}, {"z"})),
            "t.csv:1:1: no categorical column \"z\"; the columns are \"a\", \"b\", \"y\"");
  EXPECT_EQ(dataset_error(csv, options("y", {}, {}, {"a", "a"})),
            "t.csv:1:1: categorical column \"a\" is listed twice");
}

// ---- row 7: a text column with a value per row

std::string id_csv(std::size_t rows) {
  std::string csv = "id,x,y\n";
  for (std::size_t i = 0; i < rows; ++i) {
    csv += 'P';
    csv += std::to_string(i);
    csv += ',';
    csv += std::to_string(i % 7);
    csv += i % 2 == 0 ? ",0\n" : ",1\n";
  }
  return csv;
}

TEST(DatasetTypingTest, IdentifierColumnIsLeftOutUnderImplicitFeatures) {
  const Dataset d = from_text(id_csv(15000), options("y", "1"));
  EXPECT_THAT(d.feature_names, ElementsAre("x"));
  ASSERT_EQ(d.skipped_columns.size(), 1U);
  EXPECT_EQ(d.skipped_columns[0].name, "id");
  EXPECT_EQ(d.skipped_columns[0].levels, 15000U);
  EXPECT_EQ(d.rows(), 15000);
}

TEST(DatasetTypingTest, IdentifierColumnNamedAsAFeatureIsRefused) {
  EXPECT_EQ(dataset_error(id_csv(15000), options("y", "1", {"x", "id"})),
            "t.csv:1:1: categorical column \"id\" has 15000 distinct values, more than the limit "
            "of 100 (an identifier or free text, not a category: one-hot encoding would make a "
            "column per value); leave it out of --features");
  EXPECT_THAT(dataset_error(id_csv(200), options("y", "1", {}, {"id"})),
              HasSubstr("has 200 distinct values, more than the limit of 100 (an identifier or "
                        "free text, not a category: one-hot encoding would make a column per "
                        "value); leave it out of --categorical and --features"));
}

TEST(DatasetTypingTest, LevelLimitIsInclusive) {
  EXPECT_THAT(from_text(id_csv(100), options("y", "1")).features(), 1 + 99);
  EXPECT_THAT(from_text(id_csv(101), options("y", "1")).feature_names, ElementsAre("x"));
  DatasetOptions o = options("y", "1");
  o.max_levels = 2;
  const Dataset d = from_text("c,y\na,1\nb,0\na,1\n", o);
  EXPECT_THAT(d.feature_names, ElementsAre("c=b"));
  EXPECT_TRUE(d.skipped_columns.empty());
}

TEST(DatasetTypingTest, ALeftOutColumnDropsNoRows) {
  std::string csv = id_csv(120);
  csv += "NA,3,1\n";
  const Dataset d = from_text(csv, options("y", "1"));
  EXPECT_EQ(d.rows(), 121);
  EXPECT_EQ(d.dropped_rows, 0U);
}

TEST(DatasetTypingTest, NoFeatureLeft) {
  EXPECT_EQ(dataset_error("id,y\nA,1\nB,0\nC,1\n",
                          [] {
                            DatasetOptions o = options("y", "1");
                            o.max_levels = 2;
                            return o;
                          }()),
            "t.csv:1:1: no feature columns left: every one has more than 2 distinct text values; "
            "name the features with --features");
}

TEST(DatasetTypingTest, AColumnWithOneLevelGivesNoFeatureColumns) {
  // Found by the CSV fuzzer: the empty design matrix has no storage, and copying its rows
  // offset a null pointer (UBSan). Now the rows are selected without touching it.
  const Dataset d = from_text("c,y\na,1\na,0\na,1\n", options("y", "1"));
  EXPECT_EQ(d.features(), 0);
  EXPECT_EQ(d.rows(), 3);
  const TrainTestSplit split = train_test_split(d, 0.34, 2);
  EXPECT_EQ(split.train.rows() + split.test.rows(), 3);
  EXPECT_EQ(split.train.features(), 0);
}

// ---- row 9: a target with one class

TEST(DatasetTypingTest, OneClassInTheTargetIsRefused) {
  EXPECT_EQ(dataset_error("x,y\n1,Yes\n2,Yes\n3,Yes\n", options("y", "Yes")),
            "t.csv:1:3: only one class in target column \"y\": all 3 rows used are \"Yes\"; a "
            "classifier needs rows of both classes");
}

TEST(DatasetTypingTest, OneClassLeftAfterDroppingMissingValues) {
  EXPECT_EQ(dataset_error("x,y\n1,Yes\nNA,No\n2,Yes\n", options("y", "Yes")),
            "t.csv:1:3: only one class in target column \"y\": all 2 rows used (after dropping 1 "
            "with a missing value) are \"Yes\"; a classifier needs rows of both classes");
}

TEST(DatasetTypingTest, TrainingSplitWithOneClassIsRefused) {
  const Dataset d = from_text("x,y\n1,Yes\n2,No\n", options("y", "Yes"));
  try {
    train_test_split(d, 0.5, 0);
    ADD_FAILURE() << "a training split of one row was accepted";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("only one class in target column \"y\": all 1 training rows "
                                    "(test fraction 0.5, seed 0) are \""));
    EXPECT_THAT(e.what(), HasSubstr("hold out fewer rows or choose another seed"));
  }
  // The check follows the split exactly: it fires iff the held-out rows take a whole class.
  const Dataset three = from_text("x,y\n1,Yes\n2,Yes\n3,No\n", options("y", "Yes"));
  Dataset regression = three;
  regression.classes.clear();
  int refused = 0;
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    const bool no_held_out =
        train_test_split(regression, 0.34, seed).test_rows == std::vector<std::size_t>{2};
    bool threw = false;
    try {
      train_test_split(three, 0.34, seed);
    } catch (const InputError&) {
      threw = true;
    }
    EXPECT_EQ(threw, no_held_out) << "seed " << seed;
    refused += threw ? 1 : 0;
  }
  EXPECT_GT(refused, 0);
  EXPECT_LT(refused, 30);
}

TEST(DatasetTypingTest, RequireBothClasses) {
  Dataset d = from_text("x,y\n1,Yes\n2,No\n", options("y", "Yes"));
  EXPECT_NO_THROW(require_both_classes(d, "rows"));
  const Dataset yes = select_rows(d, std::vector<std::size_t>{0});
  EXPECT_THROW(require_both_classes(yes, "rows"), InputError);
  d.classes.clear();  // a regression target: nothing to check
  EXPECT_NO_THROW(require_both_classes(select_rows(d, std::vector<std::size_t>{0}), "rows"));
}

// ---- row 20: escapes in names and cells; row 21: long cells cut

TEST(DatasetTypingTest, EscapesInNamesAreShownEscaped) {
  const std::string message = dataset_error("\x1b]0;pwned\x07,y\n1,1\nx,2\n3,3\n", options("y"));
  EXPECT_THAT(message, HasSubstr("column \"\\x1b]0;pwned\\x07\" mixes numbers and text"));
  EXPECT_THAT(message, Not(HasSubstr("\x1b")));
  EXPECT_THAT(message, Not(HasSubstr("\x07")));
}

TEST(DatasetTypingTest, LongCellsAreCut) {
  const std::string cell = std::string(5000, '9') + "x";
  const std::string message = dataset_error("x,y\n1,1\n" + cell + ",2\n3,3\n", options("y"));
  EXPECT_LT(message.size(), 400U) << message;
  EXPECT_THAT(message, HasSubstr("\"" + std::string(26, '9') + "…" + std::string(12, '9') +
                                 "x\" is not a number"));
}

// ---- row 21: values whose spread overflows

TEST(DatasetTypingTest, StandardizerNamesTheColumnWhoseSpreadOverflows) {
  Eigen::MatrixXd X(4, 2);
  X << 1, -1.7e308, 2, 1.7e308, 3, 1.7e308, 4, 1.0;
  try {
    Standardizer::fit(X, {"a", "big"});
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "feature \"big\": its values (from -1.7e+308 to 1.7e+308) overflow when "
                 "standardised: their spread is not a finite number; rescale the column");
  }
}

TEST(DatasetTypingTest, StandardizerHandlesHugeButRepresentableValues) {
  Eigen::MatrixXd X(4, 2);
  X << 1e308, 1e200, 1.5e308, -1e200, 1.7e308, 1e200, 1.7e308, -1e200;
  const Standardizer s = Standardizer::fit(X, {"a", "b"});
  EXPECT_TRUE(s.mean().allFinite());
  EXPECT_TRUE(s.scale().allFinite());
  EXPECT_DOUBLE_EQ(s.mean()(1), 0.0);
  EXPECT_DOUBLE_EQ(s.scale()(1), 1e200);
  EXPECT_NEAR(s.mean()(0), 1.475e308, 1e295);
  const Eigen::MatrixXd Z = s.transform(X);
  EXPECT_TRUE(Z.allFinite());
  EXPECT_NEAR(Z.col(1).squaredNorm() / 4.0, 1.0, 1e-12);
}

TEST(DatasetTypingTest, StandardizerRefusesNonFiniteValues) {
  Eigen::MatrixXd X(2, 1);
  X << 1.0, std::numeric_limits<double>::infinity();
  EXPECT_THROW(Standardizer::fit(X, {"x"}), InputError);
  EXPECT_THROW(Standardizer::fit(X, {"x", "y"}), ShapeError);
}

}  // namespace
}  // namespace xi::models
