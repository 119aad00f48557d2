// The validated option layer (cli/options.hpp) and the output-path policy as the subcommands
// use them: counts, seeds and real numbers out of range or not finite exit 2 naming the option
// and its range; output files are checked before any work (missing directory, empty name, the
// same file twice, a FIFO or a symbolic link to one); an expression that starts with '-' or
// '--' is an expression; minimize's divergence is reported on stderr; long inputs are cut in
// messages. Every file is made inside a fresh temporary directory.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "options.hpp"
#include "run_app.hpp"
#include "run_xigrad.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using xi::cli::test::Result;
using xi::cli::test::run_app;

const char* const kUsageHint = "Run 'xigrad --help' (or 'xigrad SUBCOMMAND --help') for usage.\n";

/// The first line of stderr, which carries the message.
std::string first_line(const std::string& err) {
  return err.substr(0, err.find('\n'));
}

class OutputPathTest : public xi::test::TempDirTest {
 protected:
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

// ---------------------------------------------------------------- counts and seeds (row 2)

TEST(Options, CountsOutOfRangeExit2NamingTheOptionAndTheRange) {
  std::string layers = "1";
  for (int i = 0; i < 100; ++i) layers += ",1";
  const char* kHundredAndOneLayers = layers.c_str();
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"minimize", "x^2", "--from", "x=1", "--iters", "-5"},
       "--iters: -5 is not in the range 0 to 100000000"},
      {{"minimize", "x^2", "--from", "x=1", "--iters", "99999999999999999999999"},
       "--iters: 99999999999999999999999 is not in the range 0 to 100000000"},
      {{"minimize", "x^2", "--from", "x=1", "--iters", "100000001"},
       "--iters: 100000001 is not in the range 0 to 100000000"},
      {{"minimize", "x^2", "--from", "x=1", "--iters", "1e3"},
       "--iters: '1e3' is not a whole number (the range is 0 to 100000000)"},
      {{"minimize", "x^2", "--from", "x=1", "--seed", "-1"},
       "--seed: -1 is not in the range 0 to 18446744073709551615"},
      {{"minimize", "x^2", "--from", "x=1", "--seed", "18446744073709551616"},
       "--seed: 18446744073709551616 is not in the range 0 to 18446744073709551615"},
      {{"minimize", "x^2", "--from", "x=1", "--restarts", "10001"},
       "--restarts: 10001 is not in the range 0 to 10000"},
      {{"train", "--epochs", "-1"}, "--epochs: -1 is not in the range 1 to 100000000"},
      {{"train", "--epochs", "0"}, "--epochs: 0 is not in the range 1 to 100000000"},
      {{"train", "--batch", "-32"}, "--batch: -32 is not in the range 0 to 1000000000"},
      {{"train", "--patience", "-1"}, "--patience: -1 is not in the range 0 to 100000000"},
      {{"train", "--seed", "-1"}, "--seed: -1 is not in the range 0 to 18446744073709551615"},
      {{"train", "--model", "mlp", "--hidden", "16,0"},
       "--hidden: 0 is not in the range 1 to 1000000"},
      {{"train", "--model", "mlp", "--hidden", "4000000000"},
       "--hidden: 4000000000 is not in the range 1 to 1000000"},
      {{"train", "--model", "mlp", "--hidden", "8,x"},
       "--hidden: 'x' is not a whole number (the range is 1 to 1000000)"},
      {{"train", "--model", "mlp", "--hidden", kHundredAndOneLayers},
       "--hidden: '" + std::string(kHundredAndOneLayers).substr(0, 60) +
           "… (201 bytes)' has more "
           "than 100 items"},
  };
  for (const Case& c : cases) {
    const Result r = run_app(c.args);
    EXPECT_EQ(r.status, 2) << c.message;
    EXPECT_EQ(r.err, "xigrad: error: " + c.message + "\n" + kUsageHint);
    EXPECT_EQ(r.out, "") << c.message;
  }
}

TEST(Options, ItersZeroOnlyEvaluatesTheStartingPoint) {
  const Result r = run_app({"minimize", "(x-3)^2", "--from", "x=1", "--iters", "0", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"iterations\": 0"));
  EXPECT_THAT(r.out, HasSubstr("\"value\": 4.0"));
  EXPECT_THAT(r.out, HasSubstr("\"stop_reason\": \"max_iterations\""));
}

TEST(Options, LargestSeedIsAccepted) {
  const Result r = run_app({"minimize", "x^2", "--from", "x=1", "--iters", "2", "--restarts", "1",
                            "--seed", "18446744073709551615", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
}

// ---------------------------------------------------------------- real numbers (rows 14, 21)

TEST(Options, RealsNotFiniteOrOutOfRangeExit2NamingTheOption) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"hessian", "x^2", "--at", "x=1", "--tol", "nan"},
       "--tol: nan is not a finite number (it must be at least 0)"},
      {{"hessian", "x^2", "--at", "x=1", "--tol", "-1"},
       "--tol: -1 is out of range (it must be at least 0)"},
      {{"check", "x^2", "--at", "x=1", "--grad", "x=2*x", "--tol", "nan"},
       "--tol: nan is not a finite number (it must be greater than 0)"},
      {{"check", "x^2", "--at", "x=1", "--grad", "x=2*x", "--tol", "0"},
       "--tol: 0 is out of range (it must be greater than 0)"},
      {{"check", "x^2", "--at", "x=1", "--grad", "x=2*x", "--tol", "abc"},
       "--tol: 'abc' is not a number (it must be greater than 0)"},
      {{"minimize", "x^2", "--from", "x=1", "--tol", "inf"},
       "--tol: inf is not a finite number (it must be at least 0)"},
      {{"minimize", "x^2", "--from", "x=1", "--lr", "nan"},
       "--lr: nan is not a finite number (it must be at least 0)"},
      {{"minimize", "x^2", "--from", "x=1", "--lr", "1e999"},
       "--lr: 1e999 is too large for a double (it must be at least 0)"},
      {{"minimize", "x^2", "--from", "x=1", "--optimizer", "sgd", "--momentum", "-0.5"},
       "--momentum: -0.5 is out of range (it must be at least 0)"},
      {{"minimize", "x^2", "--from", "x=1", "--optimizer", "adam", "--eps", "-inf"},
       "--eps: -inf is not a finite number (it must be at least 0)"},
      {{"minimize", "x^2", "--from", "x=1", "--weight-decay", "0x10"},
       "--weight-decay: '0x10' is not a number (it must be at least 0)"},
      {{"minimize", "x^2", "--from", "x=1", "--noise", "nan"},
       "--noise: nan is not a finite number (it must be at least 0)"},
      {{"train", "--test-fraction", "1"},
       "--test-fraction: 1 is out of range (it must be at least 0 and less than 1)"},
      {{"train", "--test-fraction", "nan"},
       "--test-fraction: nan is not a finite number (it must be at least 0 and less than 1)"},
      {{"train", "--l2", "-1"}, "--l2: -1 is out of range (it must be at least 0)"},
      {{"train", "--lr", "inf"}, "--lr: inf is not a finite number (it must be at least 0)"},
  };
  for (const Case& c : cases) {
    const Result r = run_app(c.args);
    EXPECT_EQ(r.status, 2) << c.message;
    EXPECT_EQ(r.err, "xigrad: error: " + c.message + "\n" + kUsageHint);
    EXPECT_EQ(r.out, "") << c.message;
  }
  // Values inside an option's text go through the same checks.
  const Result betas =
      run_app({"minimize", "x^2", "--from", "x=1", "--optimizer", "adam", "--betas", "0.9,nan"});
  EXPECT_EQ(betas.status, 2);
  EXPECT_EQ(betas.err,
            "xigrad: error: --betas: nan is not a finite number (it must be at least 0 and less "
            "than 1)\n");
  const Result box =
      run_app({"minimize", "x^2", "--from", "x=1", "--restarts", "1", "--box", "-inf:2"});
  EXPECT_EQ(box.status, 2);
  EXPECT_EQ(box.err,
            "xigrad: error: --box: -inf is not a finite number (it must be a finite "
            "number)\n");
}

TEST(Options, MessagesAreShortAndCutLongValues) {
  const Result r =
      run_app({"hessian", "x^2", "--at", "x=1", "--tol", std::string(5000, '7') + "a"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(first_line(r.err), "xigrad: error: --tol: '" + std::string(60, '7') +
                                   "… (5001 bytes)' is not a number (it must be at least 0)");

  const Result at = run_app({"grad", "x", "--at", "x=1e999"});
  EXPECT_EQ(at.status, 2);
  EXPECT_EQ(at.err,
            "xigrad: error: --at x=1e999: '1e999' is beyond the range of a double (at most about "
            "1.8e308 in magnitude)\n");
}

// A 130 KB expression is not echoed whole: a window of 100 characters around the error, with
// the caret under the offending name.
TEST(Options, ALongExpressionIsCutAroundTheError) {
  std::string expr;
  for (int i = 0; i < 32500; ++i) expr += "x+";
  const std::size_t at = expr.size();
  expr += "foo(x)";
  for (int i = 0; i < 32500; ++i) expr += "+x";
  const Result r = run_app({"grad", expr, "--at", "x=1"});
  EXPECT_EQ(r.status, 2);
  EXPECT_LT(r.err.size(), 1000u) << "the whole expression was echoed";
  std::istringstream lines(r.err);
  std::string message, shown, caret, note;
  std::getline(lines, message);
  std::getline(lines, shown);
  std::getline(lines, caret);
  std::getline(lines, note);
  EXPECT_THAT(message, HasSubstr("at column 65001: unknown function 'foo'"));
  EXPECT_EQ(shown, "  …" + expr.substr(at - 33, 100) + "…");
  EXPECT_EQ(caret, "  " + std::string(1 + 33, ' ') + "^~~");
  EXPECT_EQ(note, "  (cut: characters 64968 to 65067 of 130006 shown)");
}

// ---------------------------------------------------------------- expressions starting with '-'
// (row 15)

TEST(Options, AnExpressionStartingWithDashIsAnExpression) {
  struct Case {
    const char* expr;
    const char* at;
    const char* value;
  };
  const Case cases[] = {
      {"-h*2", "h=1", "\"value\": -2.0"},
      {"-hx", "hx=3", "\"value\": -3.0"},
      {"--x", "x=4", "\"value\": 4.0"},
      {"-x", "x=5", "\"value\": -5.0"},
      {"--help*0+h", "help=1,h=2", "\"value\": 2.0"},
  };
  for (const Case& c : cases) {
    const Result r = run_app({"grad", c.expr, "--at", c.at, "--json"});
    EXPECT_EQ(r.status, 0) << c.expr << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr(c.value)) << c.expr;
    EXPECT_THAT(r.out, Not(HasSubstr("Usage"))) << c.expr;
  }
  for (const char* help : {"-h", "--help"}) {
    const Result r = run_app({"grad", help});
    EXPECT_EQ(r.status, 0) << help;
    EXPECT_THAT(r.out, HasSubstr("Usage: xigrad grad [OPTIONS] EXPR")) << help;
    const Result top = run_app({help});
    EXPECT_EQ(top.status, 0) << help;
    EXPECT_THAT(top.out, HasSubstr("Usage: xigrad [OPTIONS] SUBCOMMAND")) << help;
  }
  // --NAME=VALUE is still an option.
  const Result eq = run_app({"grad", "x", "--at=x=2", "--json"});
  EXPECT_EQ(eq.status, 0) << eq.err;
  EXPECT_THAT(eq.out, HasSubstr("\"value\": 2.0"));
}

TEST(Options, AMisspeltOptionIsNamedWithTheClosestOne) {
  const Result iters = run_app({"minimize", "x^2", "--from", "x=1", "--itres", "5"});
  EXPECT_EQ(iters.status, 2);
  EXPECT_THAT(iters.err, HasSubstr("unknown option '--itres' for 'minimize' (did you mean "
                                   "--iters?)"));
  const Result json = run_app({"grad", "x", "--at", "x=1", "--jsn"});
  EXPECT_EQ(json.status, 2);
  EXPECT_THAT(json.err, HasSubstr("unknown option '--jsn' for 'grad' (did you mean --json?)"));
  const Result train = run_app({"train", "--epoch", "3"});
  EXPECT_EQ(train.status, 2);
  EXPECT_THAT(train.err, HasSubstr("unknown option '--epoch' for 'train' (did you mean "
                                   "--epochs?)"));
  const Result far = run_app({"grad", "x", "--at", "x=1", "--zzzzzz"});
  EXPECT_EQ(far.status, 2);
  EXPECT_THAT(far.err, HasSubstr("unknown option '--zzzzzz' for 'grad'\n"));
  // In the EXPR position, after an option's value, and after "--", it is an expression.
  const Result first = run_app({"grad", "--at", "x=3", "--x", "--json"});
  EXPECT_EQ(first.status, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("\"value\": 3.0"));
  const Result separated = run_app({"grad", "--at", "x=3", "--", "-x"});
  EXPECT_EQ(separated.status, 0) << separated.err;
}

// ---------------------------------------------------------------- divergence on stderr (row 17)

TEST(Options, MinimizeDivergenceIsReportedOnStderr) {
  const Result r = run_app({"minimize", "x^2", "--from", "x=1", "--lr", "1.1"});
  EXPECT_EQ(r.status, 4);
  EXPECT_EQ(r.err,
            "xigrad: error: the optimizer diverged: loss 1.04178e+06 exceeds 1e+06 × max(|initial "
            "loss|, 1) at iteration 38; try a smaller --lr (it was 1.1)\n");
  const Result all = run_app({"minimize", "x^2", "--from", "x=1", "--lr", "5", "--restarts", "2",
                              "--iters", "10", "--json"});
  EXPECT_EQ(all.status, 4);
  EXPECT_THAT(all.err, HasSubstr("xigrad: error: the optimizer diverged in all 3 runs: "));
  EXPECT_THAT(all.err, HasSubstr("try a smaller --lr (it was 5)"));
}

// ---------------------------------------------------------------- output paths (rows 1, 16, 23)

TEST_F(OutputPathTest, EmptyOutputNamesExit2) {
  const Result trace = run_app({"minimize", "x^2", "--from", "x=1", "--trace", ""});
  EXPECT_EQ(trace.status, 2);
  EXPECT_EQ(trace.err,
            "xigrad: error: --trace: the file name is empty (give a FILE.csv, or leave --trace "
            "out)\n" +
                std::string(kUsageHint));
  const Result save = run_app({"train", "--save", "", "--no-plot"});
  EXPECT_EQ(save.status, 2);
  EXPECT_EQ(first_line(save.err),
            "xigrad: error: --save: the file name is empty (give a FILE, or leave --save out)");
}

TEST_F(OutputPathTest, TrainChecksSaveAndPlotBeforeTraining) {
  const fs::path missing = dir_ / "nonexistent" / "x.ckpt";
  const Result r = run_app({"train", "--save", missing.string(), "--no-plot"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "xigrad: error: --save: " + missing.string() + ": the directory " +
                       (dir_ / "nonexistent").string() + " does not exist\n");
  EXPECT_EQ(r.out, "") << "training ran before the path was checked";

  const fs::path plot_dir = dir_ / "plots";
  fs::create_directory(plot_dir);
  const Result p = run_app({"train", "--plot", plot_dir.string(), "--epochs", "3"});
  EXPECT_EQ(p.status, 2);
  EXPECT_EQ(p.err,
            "xigrad: error: --plot: " + plot_dir.string() + ": is a directory; give a file name\n");
  EXPECT_EQ(p.out, "");
}

TEST_F(OutputPathTest, TheSameFileForTwoOutputsExit2NamingBoth) {
  const fs::path svg = dir_ / "out.svg";
  const Result r = run_app(
      {"minimize", "x^2", "--from", "x=1", "--trace", svg.string(), "--plot", svg.string()});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "xigrad: error: --trace and --plot name the same file (" + svg.string() +
                       "): give each output its own file\n");

  // Through a symbolic link and a relative path.
  fs::create_symlink("out.svg", dir_ / "link.csv");
  const fs::path old_cwd = fs::current_path();
  fs::current_path(dir_);
  const Result l = run_app({"minimize", "x^2", "--from", "x=1", "--trace",
                            (dir_ / "link.csv").string(), "--plot", "./out.svg"});
  const Result t = run_app({"train", "--save", "model.ckpt", "--plot", "./model.ckpt"});
  fs::current_path(old_cwd);
  EXPECT_EQ(l.status, 2);
  EXPECT_EQ(l.err, "xigrad: error: --trace and --plot name the same file (" +
                       (dir_ / "link.csv").string() +
                       " and ./out.svg): give each output its own file\n");
  EXPECT_EQ(t.status, 2);
  EXPECT_EQ(t.err,
            "xigrad: error: --save and --plot name the same file (model.ckpt and ./model.ckpt): "
            "give each output its own file\n");
  EXPECT_EQ(entries(), std::vector<std::string>{"link.csv"}) << "something was written";
}

// Never a real device: our own FIFO, and a symbolic link to it, stand for /dev/null.
TEST_F(OutputPathTest, NonRegularDestinationsAreRefusedAndLeftAlone) {
  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  fs::create_symlink("fifo", dir_ / "null.svg");
  const Result trace = run_app({"minimize", "x^2", "--from", "x=1", "--trace", fifo.string()});
  EXPECT_EQ(trace.status, 2);
  EXPECT_EQ(trace.err, "xigrad: error: --trace: " + fifo.string() +
                           ": not a regular file (a FIFO): refusing to replace it with an output "
                           "file\n");
  EXPECT_EQ(trace.out, "");
  const Result plot = run_app({"train", "--plot", (dir_ / "null.svg").string(), "--epochs", "2"});
  EXPECT_EQ(plot.status, 2);
  EXPECT_EQ(plot.err, "xigrad: error: --plot: " + (dir_ / "null.svg").string() +
                          ": not a regular file (a FIFO) (the symbolic link leads to " +
                          fifo.string() + "): refusing to replace it with an output file\n");
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir_ / "null.svg")));
}

TEST_F(OutputPathTest, ASymlinkedOutputIsWrittenThroughToItsTarget) {
  fs::create_directory(dir_ / "real");
  fs::create_symlink("real/trace.csv", dir_ / "trace.csv");
  const Result r = run_app({"minimize", "(x-3)^2", "--from", "x=0", "--lr", "0.1", "--iters", "2",
                            "--tol", "0", "--trace", (dir_ / "trace.csv").string(), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir_ / "trace.csv")));
  EXPECT_EQ(read(dir_ / "real" / "trace.csv"),
            "iteration,loss,grad_norm,lr,x\n0,9,6,0.1,0\n1,5.76,4.8,0.1,0.6000000000000001\n2,3."
            "6864,3.84,0.1,"
            "1.08\n");
}

// The binary end to end: stderr, exit status, nothing written.
TEST_F(OutputPathTest, BinaryRefusesAFifoWithExit2) {
  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const xi::test::Outcome r =
      xi::test::run_xigrad("minimize x^2 --from x=1 --plot '" + fifo.string() + "'");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("not a regular file (a FIFO)"));
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));
  EXPECT_EQ(entries(), std::vector<std::string>{"fifo"});
}

}  // namespace

// ---------------------------------------------------------------- memory cap and trace (row 24)

TEST(Options, MaxMemoryCapsTheRecordingWithExit2NamingTheOption) {
  std::string w = "W=[1";
  for (int i = 1; i < 20000; ++i) w += ",1";
  w += "]";
  const Result capped = run_app({"grad", "sum(W*W)", "--at", w, "--max-memory", "100K"});
  EXPECT_EQ(capped.status, 2);
  EXPECT_THAT(capped.err, HasSubstr("the tape's memory limit is reached"));
  EXPECT_THAT(capped.err, HasSubstr("--max-memory"));
  EXPECT_EQ(capped.out, "");
  for (const char* cap : {"0", "1G", "4g", "67108864"}) {
    const Result ok = run_app({"grad", "sum(W*W)", "--at", w, "--max-memory", cap, "--json"});
    EXPECT_EQ(ok.status, 0) << cap << ": " << ok.err;
  }
  for (const char* bad : {"-1", "12Q", "1.5G", "", "2000000T"}) {
    const Result r = run_app({"grad", "x", "--at", "x=1", "--max-memory", bad});
    EXPECT_EQ(r.status, 2) << bad;
    EXPECT_THAT(r.err, HasSubstr("--max-memory")) << bad;
    EXPECT_THAT(r.err, HasSubstr("is not a size of at most 2^60 bytes")) << bad;
  }
}

TEST_F(OutputPathTest, ALongMinimizeRunWritesABoundedTrace) {
  const std::string trace = (dir_ / "t.csv").string();
  const Result r = run_app({"minimize", "x^2", "--from", "x=1", "--lr", "1e-9", "--iters", "300000",
                            "--tol", "0", "--trace", trace});
  ASSERT_EQ(r.status, 0) << r.err;
  std::ifstream in(trace);
  std::size_t lines = 0;
  std::string line, last;
  while (std::getline(in, line)) ++lines, last = line;
  EXPECT_LE(lines, 100'002u);  // the header, at most 100,000 rows and the last iterate
  EXPECT_GT(lines, 50'000u);
  EXPECT_EQ(last.substr(0, last.find(',')), "300000");
}
