// xigrad grad: text and JSON output, and its errors (in-process through xi::cli::run).

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
using ::testing::StartsWith;

using test::Result;
Result xigrad(std::vector<std::string> args) {
  return test::run_app(std::move(args));
}

const char* kLecture = "-y*log(1/(1+exp(-w*x)))";

TEST(GradCommand, TextTable) {
  const Result r = xigrad({"grad", kLecture, "--at", "w=0.5,x=2,y=1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "value  0.313262\n"
            "\n"
            "variable  value  ∂/∂variable\n"
            "w         0.5    -0.537883\n"
            "x         2      -0.134471\n"
            "y         1      0.313262\n");
  EXPECT_EQ(r.err, "");
}

TEST(GradCommand, Json) {
  const Result r = xigrad({"grad", kLecture, "--at", "w=0.5", "--at", "x=2,y=1", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["value"].get<double>(), std::log1p(std::exp(-1.0)), 1e-15);
  const double s = 1.0 / (1.0 + std::exp(-1.0));
  EXPECT_NEAR(j["gradient"]["w"].get<double>(), -2.0 * (1 - s), 1e-15);
  EXPECT_NEAR(j["gradient"]["x"].get<double>(), -0.5 * (1 - s), 1e-15);
  EXPECT_NEAR(j["gradient"]["y"].get<double>(), -std::log(s), 1e-15);
  EXPECT_EQ(j.size(), 2u);
}

TEST(GradCommand, VariableNotInTheExpressionHasZeroGradient) {
  const Result r = xigrad({"grad", "x^2", "--at", "x=3,unused=1", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_DOUBLE_EQ(j["gradient"]["x"].get<double>(), 6.0);
  EXPECT_DOUBLE_EQ(j["gradient"]["unused"].get<double>(), 0.0);
}

TEST(GradCommand, ConstantExpression) {
  const Result r = xigrad({"grad", "2*pi", "--at", "x=1", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["value"].get<double>(), 2 * 3.141592653589793, 1e-15);
  EXPECT_DOUBLE_EQ(j["gradient"]["x"].get<double>(), 0.0);
}

TEST(GradCommand, ValuesMayBeConstantExpressions) {
  const Result r = xigrad({"grad", "x", "--at", "x=8/7", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(r.out)["value"].get<double>(), 8.0 / 7.0);
  const Result p = xigrad({"grad", "x*y", "--at", "x=pow(2, 0.5),y=-1e-3", "--json"});
  ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_NEAR(nlohmann::json::parse(p.out)["value"].get<double>(), -std::sqrt(2.0) * 1e-3, 1e-18);
}

TEST(GradCommand, ParseErrorShowsCaretAndExits2) {
  const Result r = xigrad({"grad", "x + * 2", "--at", "x=1"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "xigrad: error: at column 5: expected a number, a name, '(' or '[', found '*'\n"
            "  x + * 2\n"
            "      ^\n");
}

TEST(GradCommand, UnknownVariableIsNamed) {
  const Result r = xigrad({"grad", "w*x", "--at", "w=1"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, StartsWith("xigrad: error: at column 3: unknown variable 'x' (give its value "
                                "with --at x=VALUE)\n"));
}

TEST(GradCommand, UnknownFunctionIsNamed) {
  const Result r = xigrad({"grad", "sinh(x)", "--at", "x=1"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown function 'sinh'"));
  EXPECT_THAT(r.err, HasSubstr("\n  sinh(x)\n  ^~~~\n"));
}

TEST(GradCommand, BadValuesAreNamed) {
  EXPECT_EQ(xigrad({"grad", "x", "--at", "x=abc"}).err,
            "xigrad: error: --at x=abc: 'abc' is not a number\n");
  EXPECT_EQ(xigrad({"grad", "x", "--at", "x=1e"}).err,
            "xigrad: error: --at x=1e: '1e' is not a number\n");
  EXPECT_EQ(xigrad({"grad", "x", "--at", "x="}).err,
            "xigrad: error: --at x=: the value is missing\n");
  EXPECT_EQ(xigrad({"grad", "x", "--at", "x"}).err,
            "xigrad: error: --at 'x': expected NAME=VALUE\n");
  EXPECT_EQ(xigrad({"grad", "x", "--at", "x=1/0"}).err,
            "xigrad: error: --at x=1/0: '1/0' is inf, not a finite number\n");
  EXPECT_EQ(xigrad({"grad", "x", "--at", "x=1,x=2"}).err,
            "xigrad: error: --at x=2: 'x' is given twice\n");
  EXPECT_EQ(xigrad({"grad", "x", "--at", "exp=1"}).err,
            "xigrad: error: --at exp=1: 'exp' is a function, not a variable\n");
  EXPECT_EQ(xigrad({"grad", "x", "--at", "pi=1"}).err,
            "xigrad: error: --at pi=1: 'pi' is a constant, not a variable\n");
  EXPECT_EQ(xigrad({"grad", "x", "--at", "2x=1"}).err,
            "xigrad: error: --at 2x=1: '2x' is not a variable name (letters, digits and _, not "
            "starting with a digit)\n");
  EXPECT_EQ(xigrad({"grad", "x", "--at", "x=nan"}).status, 2);
  EXPECT_EQ(xigrad({"grad", "x", "--at", "x=inf"}).status, 2);
}

TEST(GradCommand, ExpressionStartingWithMinusIsNotAnOption) {
  const Result r = xigrad({"grad", "-x^2", "--at", "x=3", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(r.out)["value"].get<double>(), -9.0);
  const Result sep = xigrad({"grad", "--at", "x=3", "--json", "--", "-x"});
  ASSERT_EQ(sep.status, 0) << sep.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(sep.out)["gradient"]["x"].get<double>(), -1.0);
}

TEST(GradCommand, NonFiniteValueNamesTheNodeAndExits3) {
  const Result r = xigrad({"grad", "log(x - 1)", "--at", "x=1"});
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, StartsWith("xigrad: error: "));
  EXPECT_THAT(r.err, HasSubstr("ξ2"));
  EXPECT_THAT(r.err, HasSubstr("`log(x - 1)` (column 1)"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("nan\n")));
}

TEST(GradCommand, NonFiniteAdjointExits3) {
  // sqrt at 0 has value 0 but an infinite partial: the adjoint of x is not finite.
  const Result r = xigrad({"grad", "sqrt(x)", "--at", "x=0"});
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_THAT(r.err, StartsWith("xigrad: error: "));
}

TEST(GradCommand, NonFiniteConstantExpressionExits3) {
  const Result r = xigrad({"grad", "x + log(0)", "--at", "x=1"});
  EXPECT_EQ(r.status, 3);
  EXPECT_THAT(r.err, HasSubstr("`log(0)` (column 5)"));
}

}  // namespace
}  // namespace xi::cli
