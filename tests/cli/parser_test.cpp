// The expression parser: precedence, associativity, numbers, functions, common subexpressions.

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <xigrad/autodiff/var.hpp>

#include "expr/evaluate.hpp"
#include "expr/expr_error.hpp"
#include "expr/parser.hpp"

namespace xi::cli {
namespace {

// The value of `source` with x = 2, y = 3, z = 5 (no tape: variables are constants here).
double eval(const std::string& source) {
  const Program p = parse(source);
  const std::vector<std::string> names{"x", "y", "z"};
  const auto index = resolve(p, names);
  const std::vector<double> values{2.0, 3.0, 5.0};
  std::vector<Value> vars;
  for (std::size_t i : index) vars.emplace_back(Var(values[i]));
  return evaluate(p, vars).scalar().value();
}

// The shape of the parse, as a fully parenthesised string.
std::string shape(const std::string& source) {
  const Program p = parse(source);
  std::vector<std::string> s;
  for (const Instr& in : p.code) {
    switch (in.code) {
      case Code::number:
        s.push_back(p.text_of(static_cast<std::uint32_t>(s.size())));
        break;
      case Code::variable:
        s.push_back(p.variables[in.variable].name);
        break;
      case Code::neg:
        s.push_back("(-" + s[in.a] + ")");
        break;
      case Code::add:
        s.push_back("(" + s[in.a] + "+" + s[in.b] + ")");
        break;
      case Code::sub:
        s.push_back("(" + s[in.a] + "-" + s[in.b] + ")");
        break;
      case Code::mul:
        s.push_back("(" + s[in.a] + "*" + s[in.b] + ")");
        break;
      case Code::div:
        s.push_back("(" + s[in.a] + "/" + s[in.b] + ")");
        break;
      case Code::pow:
        s.push_back("(" + s[in.a] + "^" + s[in.b] + ")");
        break;
      case Code::call:
        s.push_back(std::string(in.function->name) + "(" + s[in.a] +
                    (in.function->arity == 2 ? "," + s[in.b] : "") + ")");
        break;
      case Code::matmul:
        s.push_back("(" + s[in.a] + "@" + s[in.b] + ")");
        break;
      case Code::index:
        s.push_back(s[in.a] + "[" + fmt::format("{}", in.number) + "]");
        break;
      case Code::literal: {
        std::string items;
        for (std::uint32_t k = in.a; k < in.a + in.b; ++k) {
          items += (items.empty() ? "" : ",") + s[p.elements[k]];
        }
        s.push_back("[" + items + "]");
        break;
      }
    }
  }
  return s.back();
}

TEST(Parser, Precedence) {
  EXPECT_EQ(shape("x+X@W*z"), "(x+((X@W)*z))");
  EXPECT_EQ(shape("-W[1]^2"), "(-(W[1]^2))");
  EXPECT_EQ(shape("[x, y+z]"), "[x,(y+z)]");
  EXPECT_EQ(shape("x+y*z"), "(x+(y*z))");
  EXPECT_EQ(shape("x*y+z"), "((x*y)+z)");
  EXPECT_EQ(shape("x-y-z"), "((x-y)-z)");
  EXPECT_EQ(shape("x/y/z"), "((x/y)/z)");
  EXPECT_EQ(shape("x/y*z"), "((x/y)*z)");
  EXPECT_EQ(shape("(x+y)*z"), "((x+y)*z)");
  EXPECT_EQ(shape("x*y^z"), "(x*(y^z))");
}

TEST(Parser, PowerIsRightAssociative) {
  EXPECT_EQ(shape("x^y^z"), "(x^(y^z))");
  EXPECT_DOUBLE_EQ(eval("2^3^2"), 512.0);
}

TEST(Parser, UnaryMinusBindsLooserThanPowerAndProduct) {
  EXPECT_EQ(shape("-x^2"), "(-(x^2))");
  EXPECT_DOUBLE_EQ(eval("-x^2"), -4.0);
  EXPECT_EQ(shape("-w*x"), "(-(w*x))");
  EXPECT_EQ(shape("-y*log(p)"), "(-(y*log(p)))");
  EXPECT_EQ(shape("-x/y"), "(-(x/y))");
  EXPECT_EQ(shape("x^-y"), "(x^(-y))");
  EXPECT_DOUBLE_EQ(eval("2^-1"), 0.5);
  EXPECT_EQ(shape("x/-y*z"), "((x/(-y))*z)");
  EXPECT_EQ(shape("x - -y"), "(x-(-y))");
  EXPECT_EQ(shape("--x"), "(-(-x))");
  EXPECT_EQ(shape("+x"), "x");
  EXPECT_EQ(shape("-x+y"), "((-x)+y)");
}

TEST(Parser, Numbers) {
  EXPECT_DOUBLE_EQ(eval("1e-3"), 1e-3);
  EXPECT_DOUBLE_EQ(eval("2.5E+2"), 250.0);
  EXPECT_DOUBLE_EQ(eval(".5"), 0.5);
  EXPECT_DOUBLE_EQ(eval("3."), 3.0);
  EXPECT_DOUBLE_EQ(eval("1e-400"), 0.0);  // underflow is zero, not an error
  EXPECT_DOUBLE_EQ(eval("  7\t"), 7.0);
}

TEST(Parser, Constants) {
  EXPECT_DOUBLE_EQ(eval("pi"), std::numbers::pi);
  EXPECT_DOUBLE_EQ(eval("e"), std::numbers::e);
  EXPECT_DOUBLE_EQ(eval("2*e"), 2 * std::numbers::e);
}

TEST(Parser, EveryFunction) {
  struct Case {
    const char* src;
    double want;
  };
  const Case cases[] = {
      {"exp(x)", std::exp(2.0)},
      {"log(x)", std::log(2.0)},
      {"log1p(x)", std::log1p(2.0)},
      {"expm1(x)", std::expm1(2.0)},
      {"sqrt(x)", std::sqrt(2.0)},
      {"abs(-x)", 2.0},
      {"sin(x)", std::sin(2.0)},
      {"cos(x)", std::cos(2.0)},
      {"tan(x)", std::tan(2.0)},
      {"tanh(x)", std::tanh(2.0)},
      {"sigmoid(x)", 1.0 / (1.0 + std::exp(-2.0))},
      {"softplus(x)", std::log1p(std::exp(2.0))},
      {"relu(x)", 2.0},
      {"relu(-x)", 0.0},
      {"pow(x, y)", 8.0},
      {"min(x, y)", 2.0},
      {"max(x, y)", 3.0},
  };
  for (const Case& c : cases) EXPECT_NEAR(eval(c.src), c.want, 1e-12) << c.src;
}

TEST(Parser, TableAliasesForOperators) {
  EXPECT_EQ(shape("w\xC2\xB7x"), "(w*x)");    // w·x
  EXPECT_EQ(shape("\xE2\x88\x92x"), "(-x)");  // −x
  EXPECT_EQ(shape("w\xC3\x97x"), "(w*x)");    // w×x
}

TEST(Parser, IdenticalSubexpressionsAreOneInstruction) {
  const Program p = parse("exp(x)/(1 + exp(x))");
  int exps = 0;
  for (const Instr& in : p.code) exps += in.code == Code::call ? 1 : 0;
  EXPECT_EQ(exps, 1);
  EXPECT_EQ(p.variables.size(), 1u);
}

TEST(Parser, VariablesInOrderOfFirstUse) {
  const Program p = parse("y*x + y + _z1");
  ASSERT_EQ(p.variables.size(), 3u);
  EXPECT_EQ(p.variables[0].name, "y");
  EXPECT_EQ(p.variables[1].name, "x");
  EXPECT_EQ(p.variables[2].name, "_z1");
}

TEST(Parser, LongChainsDoNotRecurse) {
  std::string s = "x";
  for (int i = 0; i < 100000; ++i) s += "+x";
  EXPECT_DOUBLE_EQ(eval(s), 2.0 * 100001);
}

}  // namespace
}  // namespace xi::cli
