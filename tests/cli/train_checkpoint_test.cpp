// `xigrad train --resume` on hostile checkpoints (every field checked by type and range, exit 2
// naming the file and the field), CR LF line ends, and the divergence verdict of a run whose loss
// climbs far above its best (exit 4).

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <xigrad/models/checkpoint.hpp>

#include "run_app.hpp"

namespace xi::cli::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class TrainCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("xigrad-train-checkpoint-{}-{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// Saves a short run of `model` (embedded data) and returns the checkpoint's bytes.
  std::string saved_run(const std::string& model, const std::string& epochs = "3") {
    const std::string file = path("run.ckpt");
    const Result r = run_app(
        {"train", "--model", model, "--epochs", epochs, "--no-plot", "--json", "--save", file});
    EXPECT_EQ(r.status, 0) << r.err;
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  /// Writes `text` with the payload line starting with `prefix` replaced by `line` and the
  /// checksum recomputed (what a hostile file looks like); returns its path.
  std::string tampered(const std::string& text, const std::string& prefix,
                       const std::string& line) {
    std::string payload = text.substr(text.find('\n', text.find('\n') + 1) + 1);
    const std::size_t at = payload.find("\n" + prefix) + 1;
    EXPECT_NE(at, 0u) << "no line " << prefix;
    payload.replace(at, payload.find('\n', at) - at, line);
    return write("bad.ckpt", fmt::format("xigrad-checkpoint 1\npayload {} fnv1a64 {:016x}\n",
                                         payload.size(), models::fnv1a64(payload)) +
                                 payload);
  }

  std::string write(const std::string& name, const std::string& bytes) {
    const std::string file = path(name);
    std::ofstream(file, std::ios::binary) << bytes;
    return file;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  /// Resumes from `file` and expects exit 2 with a message naming the file and containing `what`.
  void expect_refused(const std::string& file, const std::string& what) {
    const Result r = run_app({"train", "--resume", file, "--epochs", "5", "--no-plot"});
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_THAT(r.err, HasSubstr("xigrad: error: " + file));
    EXPECT_THAT(r.err, HasSubstr(what));
    EXPECT_THAT(r.err, Not(HasSubstr("internal error")));
  }

 private:
  std::filesystem::path dir_;
};

TEST_F(TrainCheckpoint, RefusesLbfgsCountersThatAreNotCounts) {
  const std::string text = saved_run("logistic");
  ASSERT_THAT(text, HasSubstr("optimizer.buffer \"n_iter\" 1 0x1.8p+1\n"));
  expect_refused(
      tampered(text, "optimizer.buffer \"func_evals\"", "optimizer.buffer \"func_evals\" 1 inf"),
      "field 'optimizer.buffer' holds a non-finite value (inf)");
  expect_refused(
      tampered(text, "optimizer.buffer \"n_iter\"", "optimizer.buffer \"n_iter\" 1 0x1p+1000"),
      "the buffer 'n_iter' holds 1.0715086071862673e+301, which is not a count (a whole number "
      "from 0 to 2^53)");
  expect_refused(
      tampered(text, "optimizer.buffer \"n_iter\"", "optimizer.buffer \"n_iter\" 1 0x1.4p+1"),
      "the buffer 'n_iter' holds 2.5, which is not a count");
}

TEST_F(TrainCheckpoint, RefusesSettingsOutsideTheirOptionsRange) {
  const std::string text = saved_run("mlp", "1");
  expect_refused(tampered(text, "setting \"test_fraction\"", "setting \"test_fraction\" \"abc\""),
                 "setting 'test_fraction': \"abc\" is not a number from 0 to less than 1");
  expect_refused(tampered(text, "setting \"lr\"", "setting \"lr\" \"1e999\""),
                 "setting 'lr': \"1e999\" is not a finite number > 0");
  expect_refused(tampered(text, "setting \"batch\"", "setting \"batch\" \"1e20\""),
                 "setting 'batch': \"1e20\" is not a whole number from 0 to 1000000000");
  expect_refused(tampered(text, "setting \"hidden\"", "setting \"hidden\" \"4000000000\""),
                 "layer sizes: '4000000000' is not a whole number from 1 to 1000000");
  expect_refused(tampered(text, "model.hidden", "model.hidden 4000000000"),
                 "field 'model.hidden': \"4000000000\" is not a whole number from 0 to 1000000");
  // Each size within bounds, together 10^12 parameters: refused before anything is allocated.
  expect_refused(tampered(text, "model.hidden", "model.hidden 1000000 1000000"),
                 "the model (fields model.*): model 'mlp': 1000006000001 parameters exceed the "
                 "limit of 50000000");
}

TEST_F(TrainCheckpoint, RefusesNonFiniteParametersAsBadInputNotDivergence) {
  const std::string text = saved_run("logistic");
  const std::size_t at = text.find("\nparam ") + 1;
  const std::string line = text.substr(at, text.find('\n', at) - at);  // "param 3 1 v1 v2 v3"
  const std::string nan_line = line.substr(0, line.rfind(' ')) + " nan";
  const std::string file = tampered(text, "param ", nan_line);
  const Result r = run_app({"train", "--resume", file, "--epochs", "5", "--no-plot"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr(fmt::format("xigrad: error: {}:", file)));
  EXPECT_THAT(r.err, HasSubstr("field 'param' holds a non-finite value (nan)"));
  EXPECT_THAT(r.err, Not(HasSubstr("diverged")));
  expect_refused(tampered(text, "optimizer.buffer \"d\"", "optimizer.buffer \"d\" 1 -inf"),
                 "field 'optimizer.buffer' holds a non-finite value (-inf)");
}

TEST_F(TrainCheckpoint, ResumesACheckpointWithCrLfLineEnds) {
  const std::string text = saved_run("logistic");
  std::string crlf;
  for (const char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  const std::string file = write("crlf.ckpt", crlf);
  const Result r = run_app({"train", "--resume", file, "--epochs", "5", "--no-plot", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"epochs\": 5"));
  // Mixed line ends are a changed file.
  std::string mixed = crlf;
  mixed.erase(mixed.rfind("\r\n"), 1);
  expect_refused(write("mixed.ckpt", mixed), "line ends are mixed");
}

TEST_F(TrainCheckpoint, CutsLongValuesInMessages) {
  const std::string text = saved_run("logistic");
  const std::string file =
      tampered(text, "setting \"l2\"", "setting \"l2\" \"" + std::string(5000, '7') + "\"");
  const Result r = run_app({"train", "--resume", file, "--epochs", "5", "--no-plot"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("… (5000 bytes) is not a finite number >= 0"));
  EXPECT_LT(r.err.size(), 400u) << r.err;
}

TEST_F(TrainCheckpoint, ALossFarAboveItsBestIsDivergenceNotEarlyStopping) {
  // The lecture's neuron with an absurd learning rate: the loss jumps from 0.64 to 8e4.
  const Result r = run_app({"train", "--model", "neuron", "--lr", "1e6", "--no-plot"});
  EXPECT_EQ(r.status, 4) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("xigrad: error: training diverged: the loss 8.033e+04 after epoch "
                               "1 exceeds 10 × max(|best loss 0.6394|, 1); try a smaller --lr "
                               "(it was 1e+06)"));
  EXPECT_THAT(r.out, Not(HasSubstr("early stopping: no improvement")));
  EXPECT_THAT(r.out, Not(HasSubstr("coefficients")));  // the diverged weights are not reported
}

}  // namespace
}  // namespace xi::cli::test
