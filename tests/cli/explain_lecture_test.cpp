// xigrad explain with vectors, constants and data: the lecture's L^A and L^B tables row for row
// (seeds/001), the sweep reaching the vector W, JSON arrays, Graphviz vectors and --row.

#include <cmath>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_app.hpp"

namespace xi::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using test::Result;
Result xigrad(std::vector<std::string> args) {
  return test::run_app(std::move(args));
}

const std::string kHeart = std::string(XIGRAD_SHARED_DATA_DIR) + "/Heart.csv";
const char* kLA = "-y*log(1/(1+exp(-dot(W,X))))";
const char* kLB = "-(1-y)*log(1-1/(1+exp(-dot(W,X))))";

// The seed's L^A table: ξ1 = −WᵀX, ξ2 = e^ξ1, ξ3 = 1 + ξ2, ξ4 = 1/ξ3, ξ5 = log ξ4, L = −y·ξ5.
TEST(ExplainLecture, TableLAIsSixRows) {
  const Result r = xigrad({"explain", kLA, "--at", "W=[0.5,-1.2]", "--const", "X=[2,1],y=1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "ξ table of L = -y*log(1/(1+exp(-dot(W,X))))\n"
      "at W = [0.5, -1.2]; constants X = [2, 1], y = 1\n"
      "\n"
      "node  definition    value        local partials                 ∂L/∂node\n"
      "W     leaf          [0.5, -1.2]                                 [-1.09967, -0.549834]\n"
      "ξ1    ξ1 = W·(-X)   0.2          ∂ξ1/∂W = -X = [-2, -1]         0.549834\n"
      "ξ2    ξ2 = exp(ξ1)  1.2214       ∂ξ2/∂ξ1 = exp(ξ1) = 1.2214     0.450166\n"
      "ξ3    ξ3 = 1 + ξ2   2.2214       ∂ξ3/∂ξ2 = 1                    0.450166\n"
      "ξ4    ξ4 = 1/ξ3     0.450166     ∂ξ4/∂ξ3 = -1/ξ3^2 = -0.202649  -2.2214\n"
      "ξ5    ξ5 = log(ξ4)  -0.798139    ∂ξ5/∂ξ4 = 1/ξ4 = 2.2214        -1\n"
      "ξ6    ξ6 = -y·ξ5    0.798139     ∂ξ6/∂ξ5 = -y = -1              1\n"
      "\n"
      "L = ξ6 = 0.798139\n");
  // ∂L/∂W = −y·X·(1 − p) with p = 1/(1 + e^{−W·X}) (the seed's last row).
  const double p = 1 / (1 + std::exp(-(0.5 * 2 - 1.2 * 1)));
  EXPECT_NEAR(-(1 - p) * 2, -1.09967, 1e-5);
}

// The seed's L^B table (rows ξ1..ξ6 and L^B), with y = 0 so that it is not zero. The seed writes
// L^B = (1 − y)ξ6 with ∂L/∂ξ6 = 1 − y; the loss is −(1 − y)·ξ6, so the engine's partial is −(1−y).
TEST(ExplainLecture, TableLBIsSevenRows) {
  const Result r = xigrad({"explain", kLB, "--at", "W=[0.5,-1.2]", "--const", "X=[2,1],y=0"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ξ1    ξ1 = W·(-X)     0.2          ∂ξ1/∂W = -X = [-2, -1]"));
  EXPECT_THAT(r.out, HasSubstr("ξ5    ξ5 = 1 - ξ4     0.549834     ∂ξ5/∂ξ4 = -1"));
  EXPECT_THAT(r.out, HasSubstr("ξ6    ξ6 = log(ξ5)    -0.598139    ∂ξ6/∂ξ5 = 1/ξ5 = 1.81873"));
  EXPECT_THAT(r.out, HasSubstr("ξ7    ξ7 = -(1-y)·ξ6  0.598139     ∂ξ7/∂ξ6 = -(1-y) = -1"));
  EXPECT_THAT(r.out, HasSubstr("W     leaf            [0.5, -1.2]  "));
  EXPECT_THAT(r.out, HasSubstr("[0.900332, 0.450166]"));  // (1 − y)·X·p
  EXPECT_THAT(r.out, Not(HasSubstr("ξ8")));
}

TEST(ExplainLecture, StepsReachTheVectorW) {
  const Result r =
      xigrad({"explain", kLA, "--at", "W=[0.5,-1.2]", "--const", "X=[2,1],y=1", "--steps"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("6     ∂L/∂W += ∂L/∂ξ1 · ∂ξ1/∂W    0.549834 · [-2, -1] = "
                               "[-1.09967, -0.549834]  [0, 0] → [-1.09967, -0.549834]"));
  EXPECT_THAT(r.out, HasSubstr("∂L/∂W = [-1.09967, -0.549834]"));
  // Without --const, X and y are variables: one leaf row each, X's adjoint a vector too.
  const Result v = xigrad({"explain", kLA, "--at", "W=[0.5,-1],X=[2,1],y=1", "--steps"});
  ASSERT_EQ(v.status, 0) << v.err;
  EXPECT_THAT(v.out, HasSubstr("∂L/∂W += ∂L/∂ξ1 · ∂ξ1/∂W    -0.5 · [2, 1] = [-1, -0.5]"));
  EXPECT_THAT(v.out, HasSubstr("∂L/∂W = [-1, -0.5], ∂L/∂X = [-0.25, 0.5], ∂L/∂y = 0.693147"));
}

TEST(ExplainLecture, JsonCarriesVectors) {
  const Result r = xigrad(
      {"explain", kLA, "--at", "W=[0.5,-1.2]", "--const", "X=[2,1],y=1", "--json", "--steps"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["leaves"][0]["name"], "W");
  EXPECT_EQ(j["leaves"][0]["value"], nlohmann::json::parse("[0.5, -1.2]"));
  ASSERT_EQ(j["leaves"][0]["adjoint"].size(), 2u);
  EXPECT_NEAR(j["leaves"][0]["adjoint"][1].get<double>(), -0.549834, 1e-6);
  EXPECT_EQ(j["nodes"].size(), 6u);
  EXPECT_EQ(j["nodes"][0]["partials"][0]["formula"], "-X");
  EXPECT_EQ(j["nodes"][0]["partials"][0]["value"], nlohmann::json::parse("[-2.0, -1.0]"));
  const auto& last = j["steps"].back();
  EXPECT_EQ(last["to"], "W");
  EXPECT_EQ(last["partial"], nlohmann::json::parse("[-2.0, -1.0]"));
  ASSERT_EQ(last["after"].size(), 2u);
  EXPECT_NEAR(last["contribution"][0].get<double>(), -1.09967, 1e-5);
}

TEST(ExplainLecture, DotShowsWholeVectors) {
  const Result r =
      xigrad({"explain", kLA, "--at", "W=[0.5,-1.2]", "--const", "X=[2,1],y=1", "--dot"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("W = [0.5, -1.2]\\n∂L/∂W = [-1.09967, -0.549834]"));
  EXPECT_THAT(r.out, HasSubstr("label=\"-X = [-2, -1]\""));
  EXPECT_THAT(r.out, HasSubstr("label=\"-y = -1\""));
  EXPECT_THAT(r.out, HasSubstr("ξ6 = -y·ξ5"));
}

// One example of the loss written over the heart data: row 1 (Age 67, MaxHR 108, AHD Yes).
TEST(ExplainLecture, RowExplainsOneDataRow) {
  const std::vector<std::string> common = {"--data",    kHeart,          "--positive",
                                           "y=AHD:Yes", "--matrix",      "X=Age,MaxHR",
                                           "--at",      "W=[0.01,-0.02]"};
  std::vector<std::string> args = {"explain", "sum(-y*log(1/(1+exp(-(X@W)))))"};
  args.insert(args.end(), common.begin(), common.end());
  args.insert(args.end(), {"--row", "1"});
  const Result r = xigrad(args);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("data row 1 of"));
  EXPECT_THAT(r.out, HasSubstr("ξ1    ξ1 = (-X)·W   1.49  "));
  EXPECT_THAT(r.out, HasSubstr("∂ξ1/∂W = -X = [-67, -108]"));
  EXPECT_THAT(r.out, HasSubstr("ξ6    ξ6 = -y·ξ5"));
  // ∂L/∂W = −y·(1 − p)·X at that row, p = 1/(1 + e^{−(0.67 − 2.16)}).
  const double p = 1 / (1 + std::exp(-(0.01 * 67 - 0.02 * 108)));
  EXPECT_NEAR(-(1 - p) * 67, -54.6772, 1e-4);
  EXPECT_THAT(r.out, HasSubstr("[-54.6772, -88.1365]"));
  // The same row through grad with --const gives the same gradient.
  const Result g = xigrad({"grad", kLA, "--at", "W=[0.01,-0.02]", "--const", "X=[67,108],y=1"});
  ASSERT_EQ(g.status, 0) << g.err;
  EXPECT_THAT(g.out, HasSubstr("-54.6772"));
  EXPECT_THAT(g.out, HasSubstr("-88.1365"));
}

// The whole batch: data columns by name, the negation folded into -y, long vectors abbreviated.
TEST(ExplainLecture, BatchOverTheData) {
  const Result r =
      xigrad({"explain", "sum(-y*log(1/(1+exp(-(X@W)))))", "--data", kHeart, "--positive",
              "y=AHD:Yes", "--matrix", "X=Age,MaxHR", "--at", "W=[0,0]"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ξ1    ξ1 = (-X)·W   [0, 0, 0, …, 0] (303)"));
  EXPECT_THAT(r.out, HasSubstr("∂ξ1/∂W = -X = [[-63, -150], [-67, -108], [-67, -129], …, "
                               "[-38, -173]] (303, 2)"));
  EXPECT_THAT(r.out, HasSubstr("ξ6    ξ6 = (-y)·ξ5"));
  EXPECT_THAT(r.out, HasSubstr("∂ξ6/∂ξ5 = -y = [0, -1, -1, …, 0] (303)"));
  EXPECT_THAT(r.out, HasSubstr("ξ7    ξ7 = sum(ξ6)"));
}

TEST(ExplainLecture, BadRowAndConstExit2) {
  std::vector<std::string> args = {"explain",    "sum(-y*log(1/(1+exp(-(X@W)))))",
                                   "--data",     kHeart,
                                   "--positive", "y=AHD:Yes",
                                   "--matrix",   "X=Age,MaxHR",
                                   "--at",       "W=[0.01,-0.02]",
                                   "--row",      "303"};
  const Result far = xigrad(args);
  EXPECT_EQ(far.status, 2);
  EXPECT_THAT(far.err, HasSubstr("--row 303:"));
  EXPECT_THAT(far.err, HasSubstr("has 303 rows in use"));
  const Result no_data =
      xigrad({"explain", kLA, "--at", "W=[1,2]", "--const", "X=[1,2],y=1", "--row", "0"});
  EXPECT_EQ(no_data.status, 2);
  EXPECT_THAT(no_data.err, HasSubstr("--row K explains one row of the data: it needs --data"));
  const Result twice = xigrad({"explain", kLA, "--at", "W=[1,2],y=1", "--const", "X=[1,2],y=1"});
  EXPECT_EQ(twice.status, 2);
  EXPECT_THAT(twice.err, HasSubstr("'y' is given both with --at (a variable) and with --const"));
  // A row whose loss overflows stops with the node (exit 3), as every subcommand does.
  std::vector<std::string> inf = args;
  inf[9] = "W=[1000,-1000]";
  inf[11] = "1";
  const Result overflow = xigrad(inf);
  EXPECT_EQ(overflow.status, 3);
  EXPECT_THAT(overflow.err, HasSubstr("ξ2 = exp(ξ1) is inf: exp(41000)"));
  const Result bad = xigrad({"grad", kLA, "--at", "W=[1,2]", "--const", "X=[1,2],y=oops"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(bad.err, HasSubstr("--const y=oops"));
}

}  // namespace
}  // namespace xi::cli
