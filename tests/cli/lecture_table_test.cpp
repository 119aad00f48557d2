// explain --lecture NAME: the lecture's layout of the ξ table (seed 001, lines 150-160), its
// numbering (the one explain prints), LaTeX, and its errors.

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "expression_input.hpp"
#include "lecture_table.hpp"
#include "run_app.hpp"

namespace xi::cli {
namespace {

using test::Result;
using ::testing::HasSubstr;

Result xigrad(std::vector<std::string> args) {
  return test::run_app(std::move(args));
}

const char* kLA = "-y*log(1/(1+exp(-w*x)))";
const char* kLB = "-(1-y)*log(1-1/(1+exp(-w*x)))";

TEST(LectureTable, ScalarLectureLossRowForRow) {
  const Result r = xigrad({"explain", kLA, "--at", "w=0.5,x=2,y=1", "--lecture", "w"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "ξ table of L = -y*log(1/(1+exp(-w*x))) by w, as the lecture writes it\n"
            "\n"
            "variable                               local partial                                  "
            "                               in the leaves\n"
            "ξ1 = w*x                               ∂ξ1/∂w = x                                     "
            "                               x\n"
            "ξ2 = -ξ1 = -w*x                        ∂ξ2/∂ξ1 = -1                                   "
            "                               -1\n"
            "ξ3 = exp(ξ2) = exp(-w*x)               ∂ξ3/∂ξ2 = exp(ξ2)                              "
            "                               exp(-w*x)\n"
            "ξ4 = 1 + ξ3 = 1 + exp(-w*x)            ∂ξ4/∂ξ3 = 1                                    "
            "                               1\n"
            "ξ5 = 1/ξ4 = 1/(1 + exp(-w*x))          ∂ξ5/∂ξ4 = -1/ξ4^2                              "
            "                               -1/(1 + exp(-w*x))^2\n"
            "ξ6 = log(ξ5) = log(1/(1 + exp(-w*x)))  ∂ξ6/∂ξ5 = 1/ξ5                                 "
            "                               1 + exp(-w*x)\n"
            "ξ7 = y*ξ6 = y*log(1/(1 + exp(-w*x)))   ∂ξ7/∂ξ6 = y                                    "
            "                               y\n"
            "ξ8 = -ξ7 = -y*log(1/(1 + exp(-w*x)))   ∂ξ8/∂ξ7 = -1                                   "
            "                               -1\n"
            "∂L/∂w                                  ∂ξ8/∂ξ7 · ∂ξ7/∂ξ6 · ∂ξ6/∂ξ5 · ∂ξ5/∂ξ4 · "
            "∂ξ4/∂ξ3 · ∂ξ3/∂ξ2 · ∂ξ2/∂ξ1 · ∂ξ1/∂w  -y*x*exp(-w*x)/(1 + exp(-w*x))\n"
            "\n"
            "L = ξ8\n");
}

TEST(LectureTable, LatexOfTheLectureLoss) {
  const Result r = xigrad({"explain", kLA, "--at", "w=0.5,x=2,y=1", "--lecture", "w", "--latex"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "\\begin{tabular}{lll}\n"
      "Variables & Partial derivatives & Partial derivatives in the leaves \\\\\n"
      "\\hline\n"
      "$\\xi_{1} = w x$ & $\\frac{\\partial \\xi_{1}}{\\partial w} = x$ & $\\frac{\\partial "
      "\\xi_{1}}{\\partial w} = x$ \\\\\n"
      "$\\xi_{2} = -\\xi_{1} = -w x$ & $\\frac{\\partial \\xi_{2}}{\\partial \\xi_{1}} = -1$ & "
      "$\\frac{\\partial \\xi_{2}}{\\partial \\xi_{1}} = -1$ \\\\\n"
      "$\\xi_{3} = e^{\\xi_{2}} = e^{-w x}$ & $\\frac{\\partial \\xi_{3}}{\\partial \\xi_{2}} = "
      "e^{\\xi_{2}}$ & $\\frac{\\partial \\xi_{3}}{\\partial \\xi_{2}} = e^{-w x}$ \\\\\n"
      "$\\xi_{4} = 1 + \\xi_{3} = 1 + e^{-w x}$ & $\\frac{\\partial \\xi_{4}}{\\partial \\xi_{3}} "
      "= 1$ & $\\frac{\\partial \\xi_{4}}{\\partial \\xi_{3}} = 1$ \\\\\n"
      "$\\xi_{5} = \\frac{1}{\\xi_{4}} = \\frac{1}{1 + e^{-w x}}$ & $\\frac{\\partial "
      "\\xi_{5}}{\\partial \\xi_{4}} = -\\frac{1}{\\xi_{4}^{2}}$ & $\\frac{\\partial "
      "\\xi_{5}}{\\partial \\xi_{4}} = -\\frac{1}{\\left(1 + e^{-w x}\\right)^{2}}$ \\\\\n"
      "$\\xi_{6} = \\log\\left(\\xi_{5}\\right) = \\log\\left(\\frac{1}{1 + e^{-w x}}\\right)$ & "
      "$\\frac{\\partial \\xi_{6}}{\\partial \\xi_{5}} = \\frac{1}{\\xi_{5}}$ & $\\frac{\\partial "
      "\\xi_{6}}{\\partial \\xi_{5}} = 1 + e^{-w x}$ \\\\\n"
      "$\\xi_{7} = y \\xi_{6} = y \\log\\left(\\frac{1}{1 + e^{-w x}}\\right)$ & $\\frac{\\partial "
      "\\xi_{7}}{\\partial \\xi_{6}} = y$ & $\\frac{\\partial \\xi_{7}}{\\partial \\xi_{6}} = y$ "
      "\\\\\n"
      "$\\xi_{8} = -\\xi_{7} = -y \\log\\left(\\frac{1}{1 + e^{-w x}}\\right)$ & $\\frac{\\partial "
      "\\xi_{8}}{\\partial \\xi_{7}} = -1$ & $\\frac{\\partial \\xi_{8}}{\\partial \\xi_{7}} = -1$ "
      "\\\\\n"
      "$\\frac{\\partial L}{\\partial w} = \\frac{\\partial \\xi_{8}}{\\partial \\xi_{7}} "
      "\\frac{\\partial \\xi_{7}}{\\partial \\xi_{6}} \\frac{\\partial \\xi_{6}}{\\partial "
      "\\xi_{5}} \\frac{\\partial \\xi_{5}}{\\partial \\xi_{4}} \\frac{\\partial "
      "\\xi_{4}}{\\partial \\xi_{3}} \\frac{\\partial \\xi_{3}}{\\partial \\xi_{2}} "
      "\\frac{\\partial \\xi_{2}}{\\partial \\xi_{1}} \\frac{\\partial \\xi_{1}}{\\partial w}$ & & "
      "$\\frac{\\partial L}{\\partial w} = -\\frac{y x e^{-w x}}{1 + e^{-w x}}$ \\\\\n"
      "\\end{tabular}\n");
}

TEST(LectureTable, LossBRowsAndTheLecturesLastRow) {
  const Result r = xigrad({"explain", kLB, "--at", "w=0.5,x=2,y=0", "--lecture", "w"});
  ASSERT_EQ(r.status, 0) << r.err;
  // ξ1 = 1 - y does not depend on w: no partial on the chain.
  EXPECT_THAT(r.out, HasSubstr("\nξ1 = 1 - y\n"));
  EXPECT_THAT(r.out, HasSubstr("ξ7 = 1 - ξ6 = 1 - 1/(1 + exp(-w*x))"));
  EXPECT_THAT(r.out, HasSubstr("∂ξ7/∂ξ6 = -1"));
  EXPECT_THAT(r.out, HasSubstr("∂ξ9/∂ξ8 = ξ1"));
  EXPECT_THAT(r.out, HasSubstr("∂ξ10/∂ξ9 · ∂ξ9/∂ξ8 · ∂ξ8/∂ξ7 · ∂ξ7/∂ξ6 · ∂ξ6/∂ξ5 · ∂ξ5/∂ξ4 · "
                               "∂ξ4/∂ξ3 · ∂ξ3/∂ξ2 · ∂ξ2/∂w  (1 - y)*x/(1 + exp(-w*x))\n"));
}

TEST(LectureTable, VectorLectureLoss) {
  const Result r = xigrad({"explain", "-y*log(1/(1+exp(-dot(W,X))))", "--at",
                           "W=[0.5,-1],X=[2,1],y=1", "--lecture", "W"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ξ1 = dot(W, X)                               ∂ξ1/∂W = X"));
  EXPECT_THAT(r.out, HasSubstr("-1/(1 + exp(-dot(W, X)))^2"));
  EXPECT_THAT(r.out, HasSubstr("-y*X*exp(-dot(W, X))/(1 + exp(-dot(W, X)))\n"));
}

// The seed's L^A and L^B tables row for row, W the variable and X, y data (--const): ξ1 = −WᵀX is
// one row (the negation folded into the product, as explain records it) and L = −y·ξ5 too.
TEST(LectureTable, SeedTablesWithVectorsRowForRow) {
  const Result a = xigrad({"explain", "-y*log(1/(1+exp(-dot(W,X))))", "--at", "W=[0.5,-1.2]",
                           "--const", "X=[2,1],y=1", "--lecture", "W"});
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out,
            "ξ table of L = -y*log(1/(1+exp(-dot(W,X)))) by W, as the lecture writes it\n"
            "\n"
            "variable                                      local partial                           "
            "                  in the leaves\n"
            "ξ1 = -dot(W, X)                               ∂ξ1/∂W = -X                             "
            "                  -X\n"
            "ξ2 = exp(ξ1) = exp(-dot(W, X))                ∂ξ2/∂ξ1 = exp(ξ1)                       "
            "                  exp(-dot(W, X))\n"
            "ξ3 = 1 + ξ2 = 1 + exp(-dot(W, X))             ∂ξ3/∂ξ2 = 1                             "
            "                  1\n"
            "ξ4 = 1/ξ3 = 1/(1 + exp(-dot(W, X)))           ∂ξ4/∂ξ3 = -1/ξ3^2                       "
            "                  -1/(1 + exp(-dot(W, X)))^2\n"
            "ξ5 = log(ξ4) = log(1/(1 + exp(-dot(W, X))))   ∂ξ5/∂ξ4 = 1/ξ4                          "
            "                  1 + exp(-dot(W, X))\n"
            "ξ6 = -y*ξ5 = -y*log(1/(1 + exp(-dot(W, X))))  ∂ξ6/∂ξ5 = -y                            "
            "                  -y\n"
            "∂L/∂W                                         ∂ξ6/∂ξ5 · ∂ξ5/∂ξ4 · ∂ξ4/∂ξ3 · ∂ξ3/∂ξ2 · "
            "∂ξ2/∂ξ1 · ∂ξ1/∂W  -y*X*exp(-dot(W, X))/(1 + exp(-dot(W, X)))\n"
            "\n"
            "L = ξ6\n");
  const Result b = xigrad({"explain", "-(1-y)*log(1-1/(1+exp(-dot(W,X))))", "--at", "W=[0.5,-1.2]",
                           "--const", "X=[2,1],y=0", "--lecture", "W"});
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(b.out,
            "ξ table of L = -(1-y)*log(1-1/(1+exp(-dot(W,X)))) by W, as the lecture writes it\n"
            "\n"
            "variable                                                      local partial           "
            "                                            in the leaves\n"
            "ξ1 = -dot(W, X)                                               ∂ξ1/∂W = -X             "
            "                                            -X\n"
            "ξ2 = exp(ξ1) = exp(-dot(W, X))                                ∂ξ2/∂ξ1 = exp(ξ1)       "
            "                                            exp(-dot(W, X))\n"
            "ξ3 = 1 + ξ2 = 1 + exp(-dot(W, X))                             ∂ξ3/∂ξ2 = 1             "
            "                                            1\n"
            "ξ4 = 1/ξ3 = 1/(1 + exp(-dot(W, X)))                           ∂ξ4/∂ξ3 = -1/ξ3^2       "
            "                                            -1/(1 + exp(-dot(W, X)))^2\n"
            "ξ5 = 1 - ξ4 = 1 - 1/(1 + exp(-dot(W, X)))                     ∂ξ5/∂ξ4 = -1            "
            "                                            -1\n"
            "ξ6 = log(ξ5) = log(1 - 1/(1 + exp(-dot(W, X))))               ∂ξ6/∂ξ5 = 1/ξ5          "
            "                                            1/(1 - 1/(1 + exp(-dot(W, X))))\n"
            "ξ7 = -(1 - y)*ξ6 = -(1 - y)*log(1 - 1/(1 + exp(-dot(W, X))))  ∂ξ7/∂ξ6 = -1 + y        "
            "                                            -1 + y\n"
            "∂L/∂W                                                         ∂ξ7/∂ξ6 · ∂ξ6/∂ξ5 · "
            "∂ξ5/∂ξ4 · ∂ξ4/∂ξ3 · ∂ξ3/∂ξ2 · ∂ξ2/∂ξ1 · ∂ξ1/∂W  (1 - y)*X/(1 + exp(-dot(W, X)))\n"
            "\n"
            "L = ξ7\n");
  // The numbering is explain's: six nodes for L^A, seven for L^B.
  const Result e = xigrad({"explain", "-y*log(1/(1+exp(-dot(W,X))))", "--at", "W=[0.5,-1.2]",
                           "--const", "X=[2,1],y=1", "--json"});
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_EQ(nlohmann::json::parse(e.out)["nodes"].size(), 6u);
}

TEST(LectureTable, HeartDataByTheVectorW) {
  const Result r =
      xigrad({"explain", "sum(-y*log(1/(1+exp(-(X@W+b)))))", "--data",
              std::string(XIGRAD_SHARED_DATA_DIR) + "/Heart.csv", "--positive", "y=AHD:Yes",
              "--matrix", "X=Age,MaxHR,Chol", "--at", "W=[0,0,0],b=0", "--lecture", "W"});
  ASSERT_EQ(r.status, 0) << r.err;
  // The tensor nodes' local partials as the lecture writes them: X, 1, -1, element-wise.
  EXPECT_THAT(r.out,
              HasSubstr("\nξ1 = X@W                                             ∂ξ1/∂W = X "));
  EXPECT_THAT(r.out,
              HasSubstr("\nξ3 = -ξ2 = -(X@W + b)                                ∂ξ3/∂ξ2 = -1 "));
  // -y·ξ7 is one node, as explain records it (y is data)
  EXPECT_THAT(r.out,
              HasSubstr("\nξ8 = -y*ξ7 = -y*log(1/(1 + exp(-(X@W + b))))         ∂ξ8/∂ξ7 = -y "));
  EXPECT_THAT(r.out, HasSubstr("∂ξ6/∂ξ5 = -1/ξ5^2"));
  EXPECT_THAT(r.out, HasSubstr("∂ξ2/∂ξ1 · ∂ξ1/∂W  (-y*exp(-(X@W + b))/(1 + exp(-(X@W + b))))@X\n"));
}

TEST(LectureTable, ElementWisePartialsOfABroadcastOperandAreNotSummed) {
  const Result r =
      xigrad({"explain", "mean(M - W)", "--at", "W=[3,4],M=[[1,2],[3,4]]", "--lecture", "W"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "ξ table of L = mean(M - W) by W, as the lecture writes it\n"
            "\n"
            "variable                     local partial     in the leaves\n"
            "ξ1 = M - W                   ∂ξ1/∂W = -1       -1\n"
            "ξ2 = mean(ξ1) = mean(M - W)  ∂ξ2/∂ξ1 = 0.25    0.25\n"
            "∂L/∂W                        ∂ξ2/∂ξ1 · ∂ξ1/∂W  -0.5*W^0\n"
            "\n"
            "L = ξ2\n");
}

TEST(LectureTable, SeveralPathsAreSummed) {
  const Result r =
      xigrad({"explain", "x*x + sum(W[0]*x)", "--at", "W=[1,2],x=3", "--lecture", "x"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("∂L/∂x                             ∂ξ3/∂ξ1 · ∂ξ1/∂x + ∂ξ3/∂ξ2 · "
                               "∂ξ2/∂x  W[0] + 2*x\n"));
}

// The ξ numbers and each node's inputs are the ones explain prints.
TEST(LectureTable, NumberingAgreesWithExplain) {
  const std::vector<std::string> expressions = {
      kLA,
      kLB,
      std::string(kLA) + " - (1-y)*log(1-1/(1+exp(-w*x)))",
      "x^2*3 + 2/x - sqrt(w)*y + max(x,y)",
      "sum([x, 2*x, y])*w",
      "exp(w)/(1+exp(w)) + 2*pi*x",
      "sum(sum(w*x))*W[1]",
      "dot(W, [w, x])",
      "[[w, 1], [x, y]][1][0]*w"};
  for (const std::string& e : expressions) {
    SCOPED_TRACE(e);
    const Result r = xigrad({"explain", e, "--at", "w=0.5,x=2,y=1,W=[3,4]", "--json"});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto nodes = nlohmann::json::parse(r.out)["nodes"];
    const Problem problem(e, parse_bindings(std::vector<std::string>{"w=0.5,x=2,y=1,W=[3,4]"}));
    const std::vector<int> numbers = xi_numbers(problem);
    const Program& p = problem.program();
    ASSERT_EQ(*std::max_element(numbers.begin(), numbers.end()), static_cast<int>(nodes.size()));
    for (std::uint32_t i = 0; i < p.code.size(); ++i) {
      if (numbers[i] == 0 || p.code[i].code == Code::index || p.code[i].code == Code::literal) {
        continue;
      }
      const auto& node = nodes[static_cast<std::size_t>(numbers[i] - 1)];
      // Inputs that are ξ nodes or leaves (an element of a vector is explain's own name).
      const Instr& in = p.code[i];
      std::vector<std::uint32_t> operands{in.a};
      if (in.code != Code::neg && (in.code != Code::call || in.function->arity == 2)) {
        operands.push_back(in.b);
      }
      std::vector<std::string> inputs;
      bool aliased = false;
      for (std::uint32_t j : operands) {
        if (numbers[j] != 0) {
          inputs.push_back("ξ" + std::to_string(numbers[j]));
        } else if (p.code[j].code == Code::variable) {
          inputs.push_back(p.variables[p.code[j].variable].name);
        } else if (p.code[j].code != Code::number) {
          aliased = true;
        }
      }
      if (aliased) continue;
      std::vector<std::string> expected = node["inputs"].get<std::vector<std::string>>();
      EXPECT_EQ(inputs, expected) << "ξ" << numbers[i];
    }
  }
}

TEST(LectureTable, NumberingAgreesWithExplainOverData) {
  ExpressionArgs args;
  args.expression = "sum(-y*log(1/(1+exp(-(X@W+b)))) - (1-y)*log(1-1/(1+exp(-(X@W+b)))))";
  args.at = {"W=[0,0,0],b=0"};
  args.data.file = std::string(XIGRAD_SHARED_DATA_DIR) + "/Heart.csv";
  args.data.positive = {"y=AHD:Yes"};
  args.data.matrix = {"X=Age,MaxHR,Chol"};
  const Result r =
      xigrad({"explain", args.expression, "--at", args.at[0], "--data", args.data.file,
              "--positive", args.data.positive[0], "--matrix", args.data.matrix[0], "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::ostringstream err;
  const Problem problem(args, err);
  const std::vector<int> numbers = xi_numbers(problem);
  EXPECT_EQ(*std::max_element(numbers.begin(), numbers.end()),
            static_cast<int>(nlohmann::json::parse(r.out)["nodes"].size()));
}

TEST(LectureTable, NotAVariableExits2) {
  const Result r = xigrad({"explain", kLA, "--at", "w=0.5,x=2,y=1", "--lecture", "z"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--lecture z: 'z' is not a variable of the expression"));
}

TEST(LectureTable, OptionsThatDoNotGoTogetherExit2) {
  const Result j = xigrad({"explain", kLA, "--at", "w=0.5,x=2,y=1", "--lecture", "w", "--json"});
  EXPECT_EQ(j.status, 2);
  EXPECT_THAT(j.err, HasSubstr("--json excludes --lecture"));
  const Result l = xigrad({"explain", kLA, "--at", "w=0.5,x=2,y=1", "--latex"});
  EXPECT_EQ(l.status, 2);
  EXPECT_THAT(l.err, HasSubstr("--latex requires --lecture"));
}

}  // namespace
}  // namespace xi::cli
