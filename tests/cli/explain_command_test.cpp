// xigrad explain: the lecture's ξ table, --steps, --dot, --json, kinks and shared nodes.

#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_app.hpp"

namespace xi::cli {
namespace {

using ::testing::HasSubstr;

using test::Result;
Result xigrad(std::vector<std::string> args) {
  return test::run_app(std::move(args));
}

const char* kLecture = "-y*log(1/(1+exp(-w*x)))";

TEST(ExplainCommand, LectureTable) {
  const Result r = xigrad({"explain", kLecture, "--at", "w=0.5,x=2,y=1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "ξ table of L = -y*log(1/(1+exp(-w*x)))\n"
            "at w = 0.5, x = 2, y = 1\n"
            "\n"
            "node  definition    value      local partials                 ∂L/∂node\n"
            "w     leaf          0.5                                       -0.537883\n"
            "x     leaf          2                                         -0.134471\n"
            "y     leaf          1                                         0.313262\n"
            "ξ1    ξ1 = w·x      1          ∂ξ1/∂w = x = 2                 -0.268941\n"
            "                               ∂ξ1/∂x = w = 0.5\n"
            "ξ2    ξ2 = -ξ1      -1         ∂ξ2/∂ξ1 = -1                   0.268941\n"
            "ξ3    ξ3 = exp(ξ2)  0.367879   ∂ξ3/∂ξ2 = exp(ξ2) = 0.367879   0.731059\n"
            "ξ4    ξ4 = 1 + ξ3   1.36788    ∂ξ4/∂ξ3 = 1                    0.731059\n"
            "ξ5    ξ5 = 1/ξ4     0.731059   ∂ξ5/∂ξ4 = -1/ξ4^2 = -0.534447  -1.36788\n"
            "ξ6    ξ6 = log(ξ5)  -0.313262  ∂ξ6/∂ξ5 = 1/ξ5 = 1.36788       -1\n"
            "ξ7    ξ7 = y·ξ6     -0.313262  ∂ξ7/∂y = ξ6 = -0.313262        -1\n"
            "                               ∂ξ7/∂ξ6 = y = 1\n"
            "ξ8    ξ8 = -ξ7      0.313262   ∂ξ8/∂ξ7 = -1                   1\n"
            "\n"
            "L = ξ8 = 0.313262\n");
}

TEST(ExplainCommand, LectureJson) {
  const Result r = xigrad({"explain", kLecture, "--at", "w=0.5,x=2,y=1", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["value"].get<double>(), std::log1p(std::exp(-1.0)), 1e-15);
  const auto& nodes = j["nodes"];
  ASSERT_EQ(nodes.size(), 8u);
  const std::vector<std::string> defs = {"ξ1 = w·x",  "ξ2 = -ξ1",     "ξ3 = exp(ξ2)", "ξ4 = 1 + ξ3",
                                         "ξ5 = 1/ξ4", "ξ6 = log(ξ5)", "ξ7 = y·ξ6",    "ξ8 = -ξ7"};
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    EXPECT_EQ(nodes[i]["id"].get<int>(), static_cast<int>(i + 1));
    EXPECT_EQ(nodes[i]["definition"].get<std::string>(), defs[i]);
    for (const char* key : {"id", "op", "inputs", "value", "partials", "adjoint"}) {
      EXPECT_TRUE(nodes[i].contains(key)) << key;
    }
  }
  EXPECT_EQ(nodes[0]["inputs"], nlohmann::json::parse(R"(["w", "x"])"));
  EXPECT_EQ(nodes[4]["inputs"], nlohmann::json::parse(R"(["ξ4"])"));
  EXPECT_EQ(nodes[4]["partials"][0]["formula"].get<std::string>(), "-1/ξ4^2");
  const double p = 1.0 / (1.0 + std::exp(-1.0));
  EXPECT_NEAR(nodes[4]["partials"][0]["value"].get<double>(), -p * p, 1e-15);
  EXPECT_NEAR(nodes[4]["adjoint"].get<double>(), -1.0 / p, 1e-14);
  EXPECT_DOUBLE_EQ(nodes[7]["adjoint"].get<double>(), 1.0);
  EXPECT_FALSE(j.contains("steps"));
  ASSERT_EQ(j["leaves"].size(), 3u);
  EXPECT_EQ(j["leaves"][0]["name"].get<std::string>(), "w");
  EXPECT_NEAR(j["leaves"][0]["adjoint"].get<double>(), -2.0 * (1 - p), 1e-15);
}

TEST(ExplainCommand, StepsShowEachChainRuleStep) {
  const Result r = xigrad({"explain", kLecture, "--at", "w=0.5,x=2,y=1", "--steps"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("reverse sweep from L = ξ8, seeded with ∂L/∂ξ8 = 1\n"));
  EXPECT_THAT(
      r.out,
      HasSubstr(
          "5     ∂L/∂ξ4 += ∂L/∂ξ5 · ∂ξ5/∂ξ4  -1.36788 · -0.534447 = 0.731059  0 → 0.731059\n"));
  EXPECT_THAT(r.out, HasSubstr("\n∂L/∂w = -0.537883, ∂L/∂x = -0.134471, ∂L/∂y = 0.313262\n"));
  const Result j = xigrad({"explain", kLecture, "--at", "w=0.5,x=2,y=1", "--steps", "--json"});
  ASSERT_EQ(j.status, 0) << j.err;
  const auto steps = nlohmann::json::parse(j.out)["steps"];
  ASSERT_EQ(steps.size(), 10u);
  EXPECT_EQ(steps[0]["from"].get<std::string>(), "ξ8");
  EXPECT_EQ(steps[0]["to"].get<std::string>(), "ξ7");
}

TEST(ExplainCommand, NodeUsedTwiceSumsBothContributions) {
  // exp(x) is written twice but recorded once: ξ1 is used twice by ξ2.
  const Result r = xigrad({"explain", "exp(x)*exp(x)", "--at", "x=0", "--steps"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("∂L/∂ξ1 += ∂L/∂ξ2 · ∂ξ2/∂ξ1  1 · 1 = 1"));
  EXPECT_THAT(r.out, HasSubstr("0 → 1  (contribution 1 of 2)"));
  EXPECT_THAT(r.out, HasSubstr("1 → 2  (contribution 2 of 2)"));
  const Result t = xigrad({"explain", "exp(x)*exp(x)", "--at", "x=0"});
  EXPECT_THAT(t.out, HasSubstr("ξ2    ξ2 = ξ1·ξ1"));
}

TEST(ExplainCommand, KinksSayWhichSubgradient) {
  const Result r =
      xigrad({"explain", "abs(x) + relu(y) + max(x, y) + min(x, y)", "--at", "x=0,y=0"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("kink: abs at 0: subgradient 0 taken"));
  EXPECT_THAT(r.out, HasSubstr("kink: relu at 0: subgradient 0 taken"));
  EXPECT_THAT(r.out, HasSubstr("kink: max at a tie: subgradient 1/2 to each side taken"));
  EXPECT_THAT(r.out, HasSubstr("kink: min at a tie: subgradient 1/2 to each side taken"));
  const Result j = xigrad({"explain", "abs(x)", "--at", "x=0", "--json"});
  EXPECT_EQ(nlohmann::json::parse(j.out)["nodes"][0]["kink"].get<std::string>(),
            "abs at 0: subgradient 0 taken");
  const Result away = xigrad({"explain", "abs(x)", "--at", "x=1", "--json"});
  EXPECT_FALSE(nlohmann::json::parse(away.out)["nodes"][0].contains("kink"));
}

TEST(ExplainCommand, Dot) {
  const Result r = xigrad({"explain", kLecture, "--at", "w=0.5,x=2,y=1", "--dot"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::StartsWith("digraph"));
  EXPECT_THAT(r.out, HasSubstr("ξ5 = 1/ξ4"));
  EXPECT_THAT(r.out, HasSubstr("fillcolor"));
  EXPECT_THAT(r.out, HasSubstr("∂L/∂w"));
}

TEST(ExplainCommand, ConstantExpressionHasNoTable) {
  const Result r = xigrad({"explain", "2 + 3", "--at", "x=1"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("depends on none of the variables"));
}

TEST(ExplainCommand, NonFiniteStopsWithTheNode) {
  const Result r = xigrad({"explain", "-y*log(1/(1+exp(-w*x)))", "--at", "w=-1000,x=1,y=1"});
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("ξ3"));
}

}  // namespace
}  // namespace xi::cli
