// xigrad check: hand-derived components beside the engine and finite differences.

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
// The lecture's hand-derived ∂L/∂W for this term: -y X e^{-WX} / (1 + e^{-WX}).
const char* kHandW = "w=-y*x*exp(-w*x)/(1+exp(-w*x))";

TEST(CheckCommand, LectureDerivationAgrees) {
  const Result r = xigrad({"check", kLecture, "--at", "w=0.5,x=2,y=1", "--grad", kHandW});
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_THAT(r.out,
              HasSubstr("variable  hand       autodiff   finite difference  rel error  verdict\n"
                        "w         -0.537883  -0.537883  -0.537883"));
  EXPECT_THAT(r.out, HasSubstr("  ok\n"));
  EXPECT_THAT(r.out, HasSubstr("all 1 components agree"));
}

TEST(CheckCommand, JsonKeys) {
  const Result r = xigrad({"check", kLecture, "--at", "w=0.5,x=2,y=1", "--grad", kHandW, "--grad",
                           "x=-y*w*exp(-w*x)/(1+exp(-w*x))", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["ok"].get<bool>());
  ASSERT_EQ(j["components"].size(), 2u);
  const auto& c = j["components"][0];
  EXPECT_EQ(c["variable"].get<std::string>(), "w");
  for (const char* key : {"variable", "hand", "autodiff", "finite_difference", "rel_error", "ok"}) {
    EXPECT_TRUE(c.contains(key)) << key;
  }
  EXPECT_NEAR(c["hand"].get<double>(), c["autodiff"].get<double>(), 1e-15);
  EXPECT_NEAR(c["finite_difference"].get<double>(), c["autodiff"].get<double>(), 1e-8);
  EXPECT_EQ(j["components"][1]["variable"].get<std::string>(), "x");
}

TEST(CheckCommand, WrongDerivationExits1) {
  // A classic slip: the factor e^{-wx} dropped.
  const Result r =
      xigrad({"check", kLecture, "--at", "w=0.5,x=2,y=1", "--grad", "w=-y*x/(1+exp(-w*x))"});
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.out, HasSubstr("DISAGREE"));
  EXPECT_THAT(r.out, HasSubstr("1 of 1 components DISAGREE"));
  const Result j = xigrad(
      {"check", kLecture, "--at", "w=0.5,x=2,y=1", "--grad", "w=-y*x/(1+exp(-w*x))", "--json"});
  EXPECT_EQ(j.status, 1);
  EXPECT_FALSE(nlohmann::json::parse(j.out)["ok"].get<bool>());
}

TEST(CheckCommand, RegressionGradient) {
  const char* L = "(1-b0)^2 + (2-b0-b1)^2 + (3-b0-3*b1)^2";
  const Result r = xigrad({"check", L, "--at", "b0=0.3,b1=-0.7", "--grad",
                           "b0=-2*(1-b0) - 2*(2-b0-b1) - 2*(3-b0-3*b1)", "--grad",
                           "b1=-2*(2-b0-b1) - 6*(3-b0-3*b1)"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
}

TEST(CheckCommand, HandExpressionErrorsPointIntoIt) {
  const Result r = xigrad({"check", "x^2", "--at", "x=1", "--grad", "x=2*q"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--grad x=...: at column 3: unknown variable 'q'"));
  EXPECT_THAT(r.err, HasSubstr("\n  2*q\n    ^\n"));
  EXPECT_EQ(xigrad({"check", "x^2", "--at", "x=1", "--grad", "z=1"}).status, 2);
  EXPECT_EQ(xigrad({"check", "x^2", "--at", "x=1", "--grad", "x2"}).status, 2);
  EXPECT_EQ(xigrad({"check", "x^2", "--at", "x=1", "--grad", "x=1", "--grad", "x=2"}).status, 2);
}

TEST(CheckCommand, NonFiniteHandValueExits3) {
  const Result r = xigrad({"check", "x^2", "--at", "x=0", "--grad", "x=2*x/log(x+1)"});
  EXPECT_EQ(r.status, 3);
  EXPECT_THAT(r.err, HasSubstr("hand-derived ∂L/∂x"));
}

// The finite-difference step is relative to |x|: near the pole of 1/x and the edge of log's
// domain a right hand gradient agrees (it was DISAGREE at 1e-3, 13 % off at 1e-5, nan below).
TEST(CheckCommand, RightGradientNearZeroAgrees) {
  for (const char* at : {"x=1e-3", "x=1e-5", "x=1e-8", "x=1e-12"}) {
    SCOPED_TRACE(at);
    const Result r = xigrad({"check", "log(x)", "--at", at, "--grad", "x=1/x", "--json"});
    ASSERT_EQ(r.status, 0) << r.err << r.out;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_TRUE(j["ok"].get<bool>());
    const auto& c = j["components"][0];
    EXPECT_NEAR(c["finite_difference"].get<double>() / c["hand"].get<double>(), 1.0, 1e-8);
  }
  const Result wrong = xigrad({"check", "log(x)", "--at", "x=1e-8", "--grad", "x=1.001/x"});
  EXPECT_EQ(wrong.status, 1) << wrong.err;
  EXPECT_THAT(wrong.out, HasSubstr("DISAGREE"));
}

}  // namespace
}  // namespace xi::cli
