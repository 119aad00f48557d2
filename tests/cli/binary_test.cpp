// The built `xigrad` binary: exit codes, stderr vs stdout, and arguments as a shell passes them.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "run_xigrad.hpp"

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

using xi::test::Outcome;
Outcome xigrad(const std::string& args) {
  return xi::test::run_xigrad(args);
}

TEST(Binary, Success) {
  const Outcome r = xigrad("grad 'x^2' --at x=3 --json");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, HasSubstr("\"value\": 9.0"));
}

TEST(Binary, CheckDisagreementExits1) {
  const Outcome r = xigrad("check 'x^2' --at x=3 --grad x=x");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.out, HasSubstr("DISAGREE"));
}

TEST(Binary, BadInputExits2WithCaretOnStderr) {
  const Outcome r = xigrad("grad '(x + 1' --at x=3");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "xigrad: error: at column 7: expected ')' to close the '(' at column 1, found the end "
            "of the expression\n"
            "  (x + 1\n"
            "        ^\n");
}

TEST(Binary, UsageErrorsExit2) {
  EXPECT_EQ(xigrad("").status, 2);
  EXPECT_EQ(xigrad("frobnicate").status, 2);
  EXPECT_THAT(xigrad("frobnicate").err,
              StartsWith("xigrad: error: unknown subcommand 'frobnicate'"));
  EXPECT_EQ(xigrad("grad").status, 2);
  EXPECT_THAT(xigrad("grad").err, StartsWith("xigrad: error: "));
  EXPECT_EQ(xigrad("grad x --at x=1 --nope").status, 2);
  EXPECT_EQ(xigrad("grad x --at x=one").err, "xigrad: error: --at x=one: 'one' is not a number\n");
}

TEST(Binary, HelpExits0) {
  const Outcome r = xigrad("--help");
  EXPECT_EQ(r.status, 0);
  for (const char* sub : {"grad", "explain", "hessian", "check"})
    EXPECT_THAT(r.out, HasSubstr(sub));
  EXPECT_EQ(xigrad("explain --help").status, 0);
}

TEST(Binary, NonFiniteExits3AndNamesTheNode) {
  const Outcome r = xigrad("explain 'log(x - 1)' --at x=1");
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, StartsWith("xigrad: error: ξ2 = log(ξ1)"));
}

TEST(Binary, ExpressionMayStartWithMinus) {
  const Outcome r = xigrad("grad '-y*log(1/(1+exp(-w*x)))' --at w=0.5,x=2,y=1");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("w         0.5    -0.537883\n"));
}

}  // namespace
