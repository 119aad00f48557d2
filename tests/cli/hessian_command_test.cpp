// xigrad hessian: the 3-point regression of seeds/000 (minimum (8/7, 9/14), Hessian
// [[6, 8], [8, 20]], eigenvalues 13 ± √113) and the other kinds of point.

#include <cmath>
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

const char* kRegression = "(1-b0)^2 + (2-b0-b1)^2 + (3-b0-3*b1)^2";

TEST(HessianCommand, RegressionMinimumJson) {
  const Result r = xigrad({"hessian", kRegression, "--at", "b0=8/7,b1=9/14", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["value"].get<double>(), 1.0 / 14.0, 1e-15);
  EXPECT_NEAR(j["gradient"]["b0"].get<double>(), 0.0, 1e-13);
  EXPECT_NEAR(j["gradient"]["b1"].get<double>(), 0.0, 1e-13);
  EXPECT_EQ(j["variables"], nlohmann::json::parse(R"(["b0", "b1"])"));
  EXPECT_EQ(j["hessian"], nlohmann::json::parse("[[6.0, 8.0], [8.0, 20.0]]"));
  EXPECT_NEAR(j["eigenvalues"][0].get<double>(), 13.0 - std::sqrt(113.0), 1e-12);
  EXPECT_NEAR(j["eigenvalues"][1].get<double>(), 13.0 + std::sqrt(113.0), 1e-12);
  EXPECT_TRUE(j["stationary"].get<bool>());
  EXPECT_EQ(j["curvature"].get<std::string>(), "positive definite");
  std::vector<std::string> keys;  // in the order printed
  const auto ordered = nlohmann::ordered_json::parse(r.out);
  for (auto it = ordered.begin(); it != ordered.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"value", "gradient", "variables", "hessian",
                                            "eigenvalues", "stationary", "curvature"}));
}

TEST(HessianCommand, RegressionMinimumText) {
  const Result r = xigrad({"hessian", kRegression, "--at", "b0=8/7,b1=9/14"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("hessian  b0  b1\nb0       6   8\nb1       8   20\n"));
  EXPECT_THAT(r.out, HasSubstr("eigenvalues  2.36985  23.6301  (ascending)\n"));
  EXPECT_THAT(r.out, HasSubstr("stationary   yes"));
  EXPECT_THAT(r.out, HasSubstr("curvature    positive definite\n"));
  EXPECT_THAT(r.out, HasSubstr("point        a local minimum\n"));
}

TEST(HessianCommand, AwayFromTheMinimumIsNotStationary) {
  const Result r = xigrad({"hessian", kRegression, "--at", "b0=0,b1=0", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["stationary"].get<bool>());
  EXPECT_DOUBLE_EQ(j["gradient"]["b0"].get<double>(), -12.0);
  EXPECT_EQ(j["curvature"].get<std::string>(), "positive definite");
}

std::string curvature(const std::string& expr, const std::string& at) {
  const Result r = xigrad({"hessian", expr, "--at", at, "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  return nlohmann::json::parse(r.out)["curvature"].get<std::string>();
}

TEST(HessianCommand, EveryCurvature) {
  EXPECT_EQ(curvature("x^2 + y^2", "x=0,y=0"), "positive definite");
  EXPECT_EQ(curvature("-x^2 - y^2", "x=0,y=0"), "negative definite");
  EXPECT_EQ(curvature("x^2 - y^2", "x=0,y=0"), "indefinite");
  EXPECT_EQ(curvature("x^2", "x=0,y=0"), "positive semidefinite");
  EXPECT_EQ(curvature("-y^2", "x=0,y=0"), "negative semidefinite");
  EXPECT_EQ(curvature("x*y", "x=0,y=0"), "indefinite");
}

TEST(HessianCommand, SaddleText) {
  const Result r = xigrad({"hessian", "x*y", "--at", "x=0,y=0"});
  EXPECT_THAT(r.out, HasSubstr("point        a saddle point\n"));
}

TEST(HessianCommand, NeedsAVariable) {
  const Result r = xigrad({"hessian", "2"});
  EXPECT_EQ(r.status, 2);
}

TEST(HessianCommand, NonFiniteExits3) {
  const Result r = xigrad({"hessian", "log(x)", "--at", "x=0"});
  EXPECT_EQ(r.status, 3);
  EXPECT_THAT(r.err, HasSubstr("ξ1"));
}

}  // namespace
}  // namespace xi::cli
