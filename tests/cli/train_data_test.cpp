// `xigrad train --data` on hostile files, through the built binary: FIFOs and links to them,
// stray cells, identifier columns, a target with one class, overflowing values and terminal
// escapes in the file's text. Every file lives in a temporary folder made by the test.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_xigrad.hpp"

namespace xi::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class TrainData : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("xigrad-train-data-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string file(const std::string& name, const std::string& text) const {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  /// `xigrad train ARGS --no-plot` run in the temporary folder.
  Outcome train(const std::string& args) const {
    return run_xigrad("train " + args + " --no-plot");
  }

  fs::path dir_;
};

TEST_F(TrainData, FifoIsRefusedWithoutWaiting) {
  const fs::path fifo = dir_ / "data.csv";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const Outcome r = train("--data '" + fifo.string() + "' --target y");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "xigrad: error: " + fifo.string() +
                       ": not a regular file (a FIFO): refusing to read it as a CSV file\n");
  EXPECT_EQ(r.out, "");
}

TEST_F(TrainData, LinkToFifoIsRefused) {
  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const fs::path link = dir_ / "link.csv";
  fs::create_symlink(fifo, link);
  const Outcome r = train("--data '" + link.string() + "' --target y --positive 1");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "xigrad: error: " + link.string() +
                       ": not a regular file (a FIFO): refusing to read it as a CSV file\n");
  // Without --target the header is read to list the columns: refused the same way.
  EXPECT_EQ(train("--data '" + link.string() + "'").status, 2);
}

TEST_F(TrainData, StrayCellInANumericColumn) {
  const std::string csv = file("a.csv", "x,y\n1,1\n2,0\nnan,1\n4,0\n5,1\n");
  const Outcome r = train("--data '" + csv + "' --target y --positive 1");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, StartsWith("xigrad: error: " + csv +
                                ":4:1: column \"x\" mixes numbers and text: \"nan\" is not a "
                                "number"));
  EXPECT_THAT(r.err, HasSubstr("(--categorical x)"));
  // Declared categorical, the same file trains.
  const Outcome ok = train("--data '" + csv + "' --target y --positive 1 --categorical x --json");
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(nlohmann::json::parse(ok.out)["weights"].size(), 4U);  // x=2, x=4, x=5, x=nan
}

TEST_F(TrainData, CategoricalNeedsData) {
  const Outcome r = train("--categorical Age");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--categorical needs --data FILE"));
}

std::string id_csv(int rows) {
  std::string csv = "id,x,y\n";
  for (int i = 0; i < rows; ++i) {
    csv += 'P';
    csv += std::to_string(i);
    csv += ',';
    csv += std::to_string((i * 7) % 11);
    csv += i % 3 == 0 ? ",1\n" : ",0\n";
  }
  return csv;
}

TEST_F(TrainData, IdentifierColumnLeftOutWithAWarning) {
  const std::string csv = file("ids.csv", id_csv(300));
  const Outcome r = train("--data '" + csv + "' --target y --positive 1 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err,
            "xigrad: warning: left out column \"id\": 300 distinct text values, more than 100 (an "
            "identifier or free text, not a category); --features COL,... chooses the "
            "features\n");
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["weights"].size(), 1U);
  EXPECT_EQ(j["skipped_columns"][0]["column"], "id");
  EXPECT_EQ(j["skipped_columns"][0]["levels"], 300);
}

TEST_F(TrainData, IdentifierColumnNamedAsAFeatureIsRefused) {
  const std::string csv = file("ids.csv", id_csv(300));
  const Outcome r = train("--data '" + csv + "' --target y --positive 1 --features x,id");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "xigrad: error: " + csv +
                       ":1:1: categorical column \"id\" has 300 distinct values, more than the "
                       "limit of 100 (an identifier or free text, not a category: one-hot "
                       "encoding would make a column per value); leave it out of --features\n");
}

TEST_F(TrainData, OneClassInTheTarget) {
  const std::string csv = file("yes.csv", "x,AHD\n1,Yes\n2,Yes\n3,Yes\n4,Yes\n");
  const Outcome r = train("--data '" + csv + "' --target AHD --positive Yes");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "xigrad: error: " + csv +
                       ":1:3: only one class in target column \"AHD\": all 4 rows used are "
                       "\"Yes\"; a classifier needs rows of both classes\n");
  for (const char* model : {"neuron", "mlp"}) {
    EXPECT_EQ(train("--data '" + csv + "' --target AHD --positive Yes --model " + model).status, 2);
  }
}

TEST_F(TrainData, OneClassInTheTrainingSplit) {
  const std::string csv = file("two.csv", "x,y\n1,Yes\n2,No\n");
  const Outcome r = train("--data '" + csv + "' --target y --positive Yes --test-fraction 0.5");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("only one class in target column \"y\": all 1 training rows "
                               "(test fraction 0.5, seed 0) are"));
}

TEST_F(TrainData, OverflowingValuesNameTheColumn) {
  const std::string csv =
      file("big.csv", "small,big,y\n1,1e308,1\n2,-1.7e308,0\n3,1.7e308,1\n4,1,0\n");
  const Outcome r = train("--data '" + csv + "' --target y --positive 1");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "xigrad: error: feature \"big\": its values (from -1.7e+308 to 1.7e+308) overflow "
            "when standardised: their spread is not a finite number; rescale the column\n");
}

TEST_F(TrainData, TerminalEscapesInTheFileAreShownEscaped) {
  const std::string csv = file("esc.csv",
                               "x,\x1b]0;owned\x07\x1b[2J,y\n1,a,Yes\n2,b,No\n3,a,No\n4,b,Yes\n"
                               "5,a,Yes\n6,b,No\n");
  const Outcome r = train("--data '" + csv + "' --target y --positive Yes");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\\x1b]0;owned\\x07\\x1b[2J=b"));
  EXPECT_THAT(r.out, Not(HasSubstr("\x1b")));
  EXPECT_THAT(r.out, Not(HasSubstr("\x07")));
  // Labels too (confusion matrix, target), and messages.
  const std::string labels = file("lab.csv", "x,y\n1,\x1b[5mYes\n2,No\n3,No\n4,\x1b[5mYes\n");
  const Outcome l = train("--data '" + labels + "' --target y --positive No");
  ASSERT_EQ(l.status, 0) << l.err;
  EXPECT_THAT(l.out, HasSubstr("\\x1b[5mYes"));
  EXPECT_THAT(l.out + l.err, Not(HasSubstr("\x1b")));
  const Outcome e = train("--data '" + labels + "' --target y --positive Maybe");
  EXPECT_EQ(e.status, 2);
  EXPECT_THAT(e.err, HasSubstr("the labels found are \"\\x1b[5mYes\", \"No\""));
  EXPECT_THAT(e.err, Not(HasSubstr("\x1b")));
}

TEST_F(TrainData, InvalidUtf8InJsonOutput) {
  const std::string csv = file("bad.csv", "x,c\xFF,y\n1,a,1\n2,b,0\n3,a,0\n4,b,1\n");
  const Outcome r = train("--data '" + csv + "' --target y --positive 1 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["weights"].contains("c\xEF\xBF\xBD=b"));  // U+FFFD in place of the stray byte
}

}  // namespace
}  // namespace xi::test
