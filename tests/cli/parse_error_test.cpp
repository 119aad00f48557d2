// Every parse error: what it says, and the column its caret points at.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "expr/evaluate.hpp"
#include "expr/expr_error.hpp"
#include "expr/parser.hpp"

namespace xi::cli {
namespace {

struct ErrorCase {
  std::string source;
  std::size_t column;
  std::string says;
};

ExprError error_of(const std::string& source) {
  try {
    parse(source);
  } catch (const ExprError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << source;
  return ExprError("", source, 0);
}

TEST(ParseError, ColumnAndMessage) {
  const std::vector<ErrorCase> cases = {
      {"", 1, "empty expression"},
      {"   ", 4, "empty expression"},
      {"x +", 4, "expected a number, a name, '(' or '[', found the end of the expression"},
      {"x * * y", 5, "expected a number, a name, '(' or '[', found '*'"},
      {"(x + y", 7, "expected ')' to close the '(' at column 1, found the end of the expression"},
      {"x + y)", 6, "unmatched ')'"},
      {"x y", 3, "expected an operator (+ - * / ^ @) or the end of the expression, found name 'y'"},
      {"2x", 2, "right after a number"},
      {"1e", 3, "expected the digits of an exponent"},
      {"1e+", 4, "expected the digits of an exponent"},
      {"x # y", 3, "unexpected character '#'"},
      {"x = 1", 3, "unexpected character '='"},
      {"foo(x)", 1, "unknown function 'foo'"},
      {"exp", 1, "'exp' is a function: expected '(' after it"},
      {"exp + 1", 1, "'exp' is a function"},
      {"pi(2)", 1, "'pi' is a constant, not a function"},
      {"pow(x)", 1, "'pow' takes 2 arguments, got 1"},
      {"exp(x, y)", 1, "'exp' takes 1 argument, got 2"},
      {"max()", 1, "'max' takes 2 arguments, got 0"},
      {"pow(x y)", 7, "expected ',' or ')' in the arguments of 'pow' (opened at column 4)"},
      {"log(x", 6, "expected ',' or ')' in the arguments of 'log'"},
      {"x, y", 2, "',' outside the arguments of a function"},
      {"1e999", 1, "number 1e999 is too large for a double"},
      {"x + \xC3\xA9", 5, "unexpected character '\xC3\xA9': expressions are written in ASCII"},
      {"\xCE\xBE"
       "1 + ",
       1, "unexpected character '\xCE\xBE'"},
      {"x + \xC3", 5, "unexpected byte 0xC3"},
      {"x\x01", 2, "unexpected byte 0x01"},
      {".", 1, "expected a digit after '.'"},
  };
  for (const ErrorCase& c : cases) {
    const ExprError e = error_of(c.source);
    EXPECT_EQ(e.column(), c.column) << c.source << ": " << e.what();
    EXPECT_NE(e.description().find(c.says), std::string::npos)
        << c.source << ": got \"" << e.description() << "\"";
  }
}

TEST(ParseError, MessageShowsTheExpressionWithACaret) {
  const ExprError e = error_of("-y*log(1/(1+exp(-w*x))");
  EXPECT_EQ(std::string(e.what()),
            "at column 23: expected ',' or ')' in the arguments of 'log' (opened at column 7), "
            "found the end of the expression\n"
            "  -y*log(1/(1+exp(-w*x))\n"
            "                        ^\n");
}

TEST(ParseError, CaretCountsCharactersNotBytes) {
  // '·' is two bytes but one column: the caret sits under the '#'.
  const ExprError e = error_of("w\xC2\xB7x #");
  EXPECT_EQ(e.column(), 5u);
  EXPECT_EQ(std::string(e.what()).substr(std::string(e.what()).find('\n') + 1),
            "  w\xC2\xB7x #\n      ^\n");
}

TEST(ParseError, UnknownFunctionIsUnderlinedWhole) {
  const ExprError e = error_of("1 + sinh(x)");
  EXPECT_EQ(e.column(), 5u);
  EXPECT_NE(std::string(e.what()).find("    ^~~~\n"), std::string::npos) << e.what();
  EXPECT_NE(e.description().find("exp, log, log1p"), std::string::npos);
}

TEST(ParseError, TooDeepIsAnErrorNotACrash) {
  const ExprError e = error_of(std::string(100000, '('));
  EXPECT_NE(e.description().find("nested too deeply"), std::string::npos);
  EXPECT_NE(error_of(std::string(100000, '-') + "x").description().find("nested too deeply"),
            std::string::npos);
  std::string powers = "x";
  for (int i = 0; i < 10000; ++i) powers += "^x";
  EXPECT_NE(error_of(powers).description().find("nested too deeply"), std::string::npos);
}

TEST(ParseError, UnknownVariableIsNamedAtItsFirstUse) {
  const Program p = parse("w*x + q*q");
  const std::vector<std::string> names{"w", "x"};
  try {
    resolve(p, names);
    FAIL() << "no error";
  } catch (const ExprError& e) {
    EXPECT_EQ(e.column(), 7u);
    EXPECT_EQ(e.description(), "unknown variable 'q' (give its value with --at q=VALUE)");
  }
}

}  // namespace
}  // namespace xi::cli
