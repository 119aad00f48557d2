// xigrad minimize, through the built binary: the JSON result, exact iteration budgets,
// divergence (exit 4), random restarts on the double well, bad input (exit 2), a non-finite start
// (exit 3), and the trace and plot files.

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_xigrad.hpp"

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace fs = std::filesystem;

using xi::test::Outcome;
Outcome xigrad(const std::string& args) {
  return xi::test::run_xigrad(args);
}

nlohmann::ordered_json parse_json(const Outcome& r) {
  return nlohmann::ordered_json::parse(r.out);
}

std::vector<std::string> keys_of(const nlohmann::ordered_json& j) {
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  return keys;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(MinimizeCommand, GradientDescentOnAShiftedParabolaJson) {
  const Outcome r = xigrad("minimize '(x-3)^2' --from x=0 --optimizer gd --lr 0.1 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const auto j = parse_json(r);
  EXPECT_EQ(keys_of(j),
            (std::vector<std::string>{"optimizer", "converged", "stop_reason", "iterations",
                                      "value", "argmin", "gradient_norm"}));
  EXPECT_EQ(j["optimizer"], "gd");
  EXPECT_TRUE(j["converged"].get<bool>());
  EXPECT_EQ(j["stop_reason"], "gradient_tolerance");
  EXPECT_GT(j["iterations"].get<int>(), 10);
  EXPECT_NEAR(j["argmin"]["x"].get<double>(), 3.0, 1e-6);
  EXPECT_NEAR(j["value"].get<double>(), 0.0, 1e-12);
  EXPECT_LE(j["gradient_norm"].get<double>(), 1e-6);
}

TEST(MinimizeCommand, LbfgsOnRosenbrock) {
  const Outcome r = xigrad(
      "minimize '(1-x)^2+100*(y-x^2)^2' --from x=-1.2,y=1 --optimizer lbfgs --tol 1e-10 "
      "--json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = parse_json(r);
  EXPECT_EQ(j["optimizer"], "lbfgs");
  EXPECT_TRUE(j["converged"].get<bool>()) << r.out;
  EXPECT_NEAR(j["argmin"]["x"].get<double>(), 1.0, 1e-6);
  EXPECT_NEAR(j["argmin"]["y"].get<double>(), 1.0, 1e-6);
  EXPECT_LT(j["iterations"].get<int>(), 100);
}

TEST(MinimizeCommand, ItersWithZeroTolRunsExactlyThatMany) {
  for (const char* opt : {"gd", "adam", "lbfgs", "newton"}) {
    const Outcome r = xigrad(std::string("minimize '(1-x)^2+100*(y-x^2)^2' --from x=-1.2,y=1 ") +
                             "--iters 5 --tol 0 --json --optimizer " + opt +
                             (std::string(opt) == "gd" ? " --lr 0.001" : ""));
    ASSERT_EQ(r.status, 0) << opt << ": " << r.err;
    const auto j = parse_json(r);
    EXPECT_EQ(j["iterations"].get<int>(), 5) << opt;
    EXPECT_EQ(j["stop_reason"], "max_iterations") << opt;
    EXPECT_FALSE(j["converged"].get<bool>()) << opt;
  }
}

TEST(MinimizeCommand, TextOutputIsATable) {
  const Outcome r = xigrad("minimize '(x-3)^2' --from x=0 --lr 0.1");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("f = (x-3)^2\nfrom x = 0\n\n"));
  EXPECT_THAT(r.out, HasSubstr("optimizer      gd (lr = 0.1)\n"));
  EXPECT_THAT(r.out, HasSubstr("stop reason    gradient_tolerance\n"));
  EXPECT_THAT(r.out, HasSubstr("converged      yes\n"));
  EXPECT_THAT(r.out, HasSubstr("argmin x       3\n"));
  EXPECT_THAT(r.out, HasSubstr("gradient norm  "));
}

TEST(MinimizeCommand, BudgetRunningOutIsNotAnErrorButSaysSo) {
  const Outcome r = xigrad("minimize 'x^2' --from x=1 --lr 0.01 --iters 20");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("stop reason    max_iterations\n"));
  EXPECT_THAT(r.out, HasSubstr("converged      no\n"));
  EXPECT_THAT(r.out, HasSubstr("Not converged"));
}

TEST(MinimizeCommand, DivergenceExits4AndStillPrintsTheResult) {
  const Outcome r = xigrad("minimize 'x^2' --from x=1 --lr 1.5 --json");
  EXPECT_EQ(r.status, 4) << r.err;
  const auto j = parse_json(r);
  EXPECT_FALSE(j["converged"].get<bool>());
  EXPECT_THAT(j["stop_reason"].get<std::string>(), StartsWith("diverged: "));
  const Outcome t = xigrad("minimize 'x^2' --from x=1 --lr 1.5");
  EXPECT_EQ(t.status, 4);
  EXPECT_THAT(t.out, HasSubstr("stop reason    diverged: "));
  EXPECT_THAT(t.out, HasSubstr("The optimizer diverged"));
}

TEST(MinimizeCommand, RestartsFindTheGlobalMinimumOfTheDoubleWell) {
  const Outcome r = xigrad(
      "minimize 'x^4-3*x^2+x' --from x=1 --lr 0.01 --restarts 10 --seed 1 --box -2:2 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = parse_json(r);
  EXPECT_EQ(keys_of(j),
            (std::vector<std::string>{"optimizer", "converged", "stop_reason", "iterations",
                                      "value", "argmin", "gradient_norm", "runs", "best"}));
  ASSERT_EQ(j["runs"].size(), 11U);
  EXPECT_EQ(keys_of(j["runs"][0]),
            (std::vector<std::string>{"start", "converged", "stop_reason", "iterations", "value",
                                      "argmin", "gradient_norm"}));
  // The first run starts at --from and ends in the local minimum near 1.13.
  EXPECT_EQ(j["runs"][0]["start"]["x"].get<double>(), 1.0);
  EXPECT_NEAR(j["runs"][0]["argmin"]["x"].get<double>(), 1.1309, 1e-3);
  const auto best = j["best"].get<std::size_t>();
  ASSERT_LT(best, 11U);
  EXPECT_NE(best, 0U);
  EXPECT_EQ(j["runs"][best]["argmin"], j["argmin"]);
  EXPECT_NEAR(j["argmin"]["x"].get<double>(), -1.3008, 1e-3);
  for (const auto& run : j["runs"]) {
    EXPECT_LE(j["value"].get<double>(), run["value"].get<double>());
    const double s = run["start"]["x"].get<double>();
    EXPECT_TRUE(s >= -2 && s <= 2);
  }
  const Outcome t =
      xigrad("minimize 'x^4-3*x^2+x' --from x=1 --lr 0.01 --restarts 10 --seed 1 --box -2:2");
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_THAT(t.out, HasSubstr("← best"));
  EXPECT_THAT(t.out, HasSubstr("run  start x"));
}

TEST(MinimizeCommand, BadInputExits2NamingTheProblem) {
  struct Case {
    const char* args;
    const char* message;
  };
  const Case cases[] = {
      {"minimize x^2 --from x=1 --optimizer adamm", "unknown optimizer 'adamm'"},
      {"minimize x^2 --from x=1 --optimizer adamm", "gd, sgd, momentum"},
      {"minimize x^2 --from x=one", "--from x=one: 'one' is not a number"},
      {"minimize x^2 --from x", "--from 'x': expected NAME=VALUE"},
      {"minimize '(x-y)^2' --from x=1", "variable 'y' is missing from --from"},
      {"minimize x^2 --from x=1 --optimizer gd --momentum 0.9", "--momentum"},
      {"minimize x^2 --from x=1 --optimizer gd --momentum 0.9", "'momentum'"},
      {"minimize x^2 --from x=1 --optimizer lbfgs --betas 0.9,0.99", "--betas"},
      {"minimize x^2 --from x=1 --optimizer adam --betas 0.9", "--betas '0.9': expected B1,B2"},
      {"minimize x^2 --from x=1 --restarts 2 --box 2:1", "--box '2:1'"},
      {"minimize x^2 --from x=1 --restarts 2 --box a:b", "--box"},
      {"minimize x^2 --from x=1 --optimizer lbfgs --noise 0.1", "--noise"},
      {"minimize x^2", "--from"},
      {"minimize '(x+' --from x=1", "column"},
  };
  for (const Case& c : cases) {
    const Outcome r = xigrad(c.args);
    EXPECT_EQ(r.status, 2) << c.args;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << c.args;
    EXPECT_EQ(r.out, "") << c.args;
  }
}

TEST(MinimizeCommand, NonFiniteStartExits3NamingTheNode) {
  const Outcome r = xigrad("minimize 'log(x)' --from x=0");
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_THAT(r.err, HasSubstr("ξ"));
  EXPECT_THAT(r.err, HasSubstr("log"));
  EXPECT_EQ(r.out, "");
}

TEST(MinimizeCommand, TraceAndPlotFilesAreWritten) {
  const fs::path dir = fs::path(::testing::TempDir()) / "xigrad_minimize_files";
  fs::create_directories(dir);
  const fs::path csv = dir / "trace.csv";
  const fs::path svg1 = dir / "loss.svg";
  const fs::path svg2 = dir / "contour.svg";
  fs::remove(csv);
  fs::remove(svg1);
  fs::remove(svg2);

  const Outcome one = xigrad("minimize '(x-3)^2' --from x=0 --lr 0.1 --iters 5 --tol 0 --trace '" +
                             csv.string() + "' --plot '" + svg1.string() + "' --json");
  ASSERT_EQ(one.status, 0) << one.err;
  const std::string text = read_text(csv);
  EXPECT_THAT(text, StartsWith("iteration,loss,grad_norm,lr,x\n0,9,6,0.1,0\n"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 7);  // header and iterates 0..5
  const std::string loss_svg = read_text(svg1);
  EXPECT_THAT(loss_svg, HasSubstr("<svg"));
  EXPECT_EQ(std::system(("xmllint --noout '" + svg1.string() + "'").c_str()), 0);

  const Outcome two =
      xigrad("minimize '(1-x)^2+100*(y-x^2)^2' --from x=-1.2,y=1 --optimizer lbfgs --plot '" +
             svg2.string() + "' --restarts 2 --seed 3 --box -2:2");
  ASSERT_EQ(two.status, 0) << two.err;
  EXPECT_THAT(two.out, HasSubstr(svg2.string()));
  const std::string contour = read_text(svg2);
  EXPECT_THAT(contour, HasSubstr("<svg"));
  EXPECT_THAT(contour, HasSubstr("<path"));
  EXPECT_EQ(std::system(("xmllint --noout '" + svg2.string() + "'").c_str()), 0);
}

}  // namespace
