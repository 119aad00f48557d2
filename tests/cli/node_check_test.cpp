// xigrad check --nodes FILE: a hand-written ξ table checked row by row against the engine
// (cli/node_check.hpp, cli/node_report.hpp), with the lecture's tables of docs/examples.

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../support/temp_dir.hpp"
#include "run_app.hpp"

namespace xi::cli {
namespace {

using test::Result;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kExamples = std::string(XIGRAD_SOURCE_DIR) + "/docs/examples/";
const char* kLA = "-y*log(1/(1+exp(-dot(W,X))))";
const char* kLB = "-(1-y)*log(1-1/(1+exp(-dot(W,X))))";
const char* kAt = "W=[1,-0.5],X=[2,1]";

// The lecture's L^A table with one row changed.
const char* kTableA =
    "xi1 = -dot(W, X)   | d/W = -X\n"
    "xi2 = exp(xi1)     | d/xi1 = exp(xi1)\n"
    "xi3 = 1 + xi2      | d/xi2 = 1\n"
    "{}\n"
    "xi5 = log(xi4)     | d/xi4 = 1/xi4\n"
    "L   = -y*xi5       | d/xi5 = -y\n";

class NodeCheck : public xi::test::TempDirTest {
 protected:
  std::string table(const std::string& text) {
    const auto path = dir_ / "table.txt";
    std::ofstream(path) << text;
    return path.string();
  }
  std::string table_a(const std::string& row4) {
    std::string t = kTableA;
    t.replace(t.find("{}"), 2, row4);
    return table(t);
  }
  static Result check(const std::string& expr, const std::string& at, const std::string& file,
                      std::vector<std::string> more = {}) {
    std::vector<std::string> args{"check", expr, "--at", at, "--nodes", file};
    args.insert(args.end(), more.begin(), more.end());
    return test::run_app(std::move(args));
  }
};

TEST_F(NodeCheck, LectureTableAPasses) {
  const Result r = check(kLA, std::string(kAt) + ",y=1", kExamples + "lecture_LA.txt");
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("at W = [1, -0.5], X = [2, 1], y = 1\n"));
  EXPECT_THAT(r.out, HasSubstr("xi4   1/xi3       0.817574   1/(1+exp(-dot(W,X)))       "
                               "d/xi3 = -1/xi3^2  -0.668428  -0.668428  ok\n"));
  EXPECT_THAT(r.out, HasSubstr("L     -y*xi5      0.201413   EXPR"));
  EXPECT_THAT(r.out, HasSubstr("W[0]      -0.364851  -0.364851  ok\n"
                               "W[1]      -0.182426  -0.182426  ok\n"));
  EXPECT_THAT(r.out, HasSubstr("all 6 rows and the chain agree (relative tolerance 1e-06)\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("first wrong row")));
}

TEST_F(NodeCheck, LectureTableBSignSlipIsLocated) {
  const Result r = check(kLB, std::string(kAt) + ",y=0", kExamples + "lecture_LB.txt");
  ASSERT_EQ(r.status, 1) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("first wrong row: L (line 10): its definition (1-y)*xi6 gives "
                               "-1.70141 where EXPR gives 1.70141: the sign of the loss is "
                               "flipped\n"));
  EXPECT_THAT(r.out, HasSubstr("not EXPR (1.70141)"));
  EXPECT_THAT(r.out, HasSubstr("W[0]      -1.63515   1.63515   DISAGREE\n"
                               "W[1]      -0.817574  0.817574  DISAGREE\n"));
  EXPECT_THAT(r.out, HasSubstr("the chain DISAGREES with the engine in 2 of 2 components\n"));
}

// The lecture's data as --const (as explain shows the table): the rows use X and y by name and
// the chain is taken for W alone.
TEST_F(NodeCheck, ConstantsOfConstAreNamesOfTheTable) {
  const Result r = test::run_app({"check", kLB, "--at", "W=[1,-0.5]", "--const", "X=[2,1],y=0",
                                  "--nodes", kExamples + "lecture_LB.txt"});
  ASSERT_EQ(r.status, 1) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("first wrong row: L (line 10): its definition (1-y)*xi6 gives "
                               "-1.70141 where EXPR gives 1.70141: the sign of the loss is "
                               "flipped\n"));
  EXPECT_THAT(r.out, HasSubstr("W[0]      -1.63515   1.63515   DISAGREE\n"
                               "W[1]      -0.817574  0.817574  DISAGREE\n"));
  const Result a = test::run_app({"check", kLA, "--at", "W=[1,-0.5]", "--const", "X=[2,1],y=1",
                                  "--nodes", kExamples + "lecture_LA.txt"});
  EXPECT_EQ(a.status, 0) << a.err << a.out;
}

TEST_F(NodeCheck, CorrectedTableBPasses) {
  std::ifstream in(kExamples + "lecture_LB.txt");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string slip = "L   = (1-y)*xi6    | d/xi6 = 1-y";
  ASSERT_NE(text.find(slip), std::string::npos);
  text.replace(text.find(slip), slip.size(), "L = -(1-y)*xi6 | d/xi6 = -(1-y)");
  const Result r = check(kLB, std::string(kAt) + ",y=0", table(text));
  EXPECT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("W[0]      1.63515   1.63515   ok\n"));
}

TEST_F(NodeCheck, WrongPartialInTheMiddleIsNamed) {
  const Result r = check(kLA, std::string(kAt) + ",y=1", table_a("xi4 = 1/xi3 | d/xi3 = -1/xi3"));
  ASSERT_EQ(r.status, 1) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("first wrong row: xi4 (line 4): d/xi3 written -1/xi3 is "
                               "-0.817574, the engine's is -0.668428\n"));
  EXPECT_THAT(r.out, HasSubstr("d/xi3 = -1/xi3    -0.817574  -0.668428  DISAGREE\n"));
  // The chain carries the slip: -0.364851 · (-1/ξ3) / (-1/ξ3²) = -0.364851 · ξ3.
  EXPECT_THAT(r.out, HasSubstr("W[0]      -0.44626  -0.364851  DISAGREE\n"));
}

TEST_F(NodeCheck, WrongDefinitionIsNamedWhereTheValuesLeaveExpr) {
  const Result r = check(kLA, std::string(kAt) + ",y=1", table_a("xi4 = 1/xi2 | d/xi2 = -1/xi2^2"));
  ASSERT_EQ(r.status, 1) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("first wrong row: xi4 (line 4): its definition 1/xi2 gives "
                               "4.48169, a value no subexpression of EXPR has, and the last row "
                               "gives -1.5 where EXPR gives 0.201413\n"));
}

TEST_F(NodeCheck, JsonGivesTheRows) {
  const Result r = check(kLB, std::string(kAt) + ",y=0", kExamples + "lecture_LB.txt", {"--json"});
  ASSERT_EQ(r.status, 1) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["ok"]);
  EXPECT_NEAR(j["value"].get<double>(), 1.7014132779827524, 1e-12);
  ASSERT_EQ(j["rows"].size(), 7u);
  const auto& xi1 = j["rows"][0];
  EXPECT_EQ(xi1["name"], "xi1");
  EXPECT_EQ(xi1["line"], 4);
  EXPECT_EQ(xi1["definition"], "-dot(W, X)");
  EXPECT_DOUBLE_EQ(xi1["value"].get<double>(), -1.5);
  EXPECT_EQ(xi1["matches"], "-dot(W,X)");
  EXPECT_EQ(xi1["partials"][0]["input"], "W");
  EXPECT_EQ(xi1["partials"][0]["formula"], "-X");
  EXPECT_EQ(xi1["partials"][0]["hand"], nlohmann::json::parse("[-2.0, -1.0]"));
  EXPECT_EQ(xi1["partials"][0]["engine"], nlohmann::json::parse("[-2.0, -1.0]"));
  EXPECT_TRUE(xi1["ok"]);
  EXPECT_FALSE(xi1.contains("why"));
  const auto& last = j["rows"][6];
  EXPECT_FALSE(last["value_ok"]);
  EXPECT_TRUE(last["partials"][0]["ok"]);
  EXPECT_FALSE(last["ok"]);
  EXPECT_EQ(j["first_wrong"]["name"], "L");
  EXPECT_EQ(j["first_wrong"]["line"], 10);
  EXPECT_THAT(j["first_wrong"]["why"].get<std::string>(), HasSubstr("the sign of the loss"));
  ASSERT_EQ(j["chain"].size(), 2u);
  EXPECT_EQ(j["chain"][0]["variable"], "W[0]");
  EXPECT_NEAR(j["chain"][0]["table"].get<double>(), -1.6351489523872873, 1e-9);
  EXPECT_NEAR(j["chain"][0]["engine"].get<double>(), 1.6351489523872873, 1e-9);
  EXPECT_FALSE(j["chain_ok"]);
}

TEST_F(NodeCheck, JacobianForms) {
  // A full Jacobian (rows: the row's elements), the diagonal of an element-wise row, a scalar
  // standing for every element, and a gradient.
  const std::string ok = table(
      "a = W@A      | d/W = [[1, 3], [2, 4]]\n"
      "b = exp(a)   | d/a = exp(a)\n"
      "L = sum(b)   | d/b = 1\n");
  const Result r = check("sum(exp(W@A))", "W=[0.1,-0.2],A=[[1,2],[3,4]]", ok);
  EXPECT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("[[1, 3], [2, 4]]      [[1, 3], [2, 4]]      ok\n"));
  // Written as A, the transpose of the Jacobian: the row and element are named.
  const std::string transposed = table(
      "a = W@A      | d/W = A\n"
      "L = sum(a)   | d/a = 1\n");
  const Result t = check("sum(W@A)", "W=[1,2],A=[[1,2],[3,4]]", transposed);
  EXPECT_EQ(t.status, 1) << t.err << t.out;
  EXPECT_THAT(t.out, HasSubstr("first wrong row: a (line 1): d/W written A is [[1, 2], [3, 4]], "
                               "the engine's is [[1, 3], [2, 4]]\n"));
  EXPECT_THAT(t.out, HasSubstr("W[0]      4      3       DISAGREE\n"));
}

TEST_F(NodeCheck, ElementwisePartialOfARowThatIsNotElementwise) {
  const std::string t = table(
      "a = [W[1], W[0]] | d/W = 1\n"
      "L = sum(a)       | d/a = 1\n");
  const Result r = check("sum(W)", "W=[1,2]", t);
  EXPECT_EQ(r.status, 1) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("first wrong row: a (line 1): d/W written 1 is an element-wise "
                               "partial, but the row is not element-wise in W: its Jacobian "
                               "(2, 2) has entries off the diagonal"));
}

TEST_F(NodeCheck, MissingPartialIsNamed) {
  const Result r = check("exp(w*x) + w", "w=1,x=2",
                         table("a = exp(w*x) | d/w = x*exp(w*x)\n"
                               "b = a + w    | d/a = 1\n"));
  EXPECT_EQ(r.status, 1) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("d/w missing"));
  EXPECT_THAT(r.out, HasSubstr("first wrong row: b (line 2): no d/w is given, but the table "
                               "derives w: the chain misses this path\n"));
  EXPECT_THAT(r.out, HasSubstr("w         14.7781  15.7781  DISAGREE\n"));
}

TEST_F(NodeCheck, MissingPartialThroughARow) {
  const Result r = check("exp(w)*w", "w=1",
                         table("a = exp(w) | d/w = exp(w)\n"
                               "b = w*2    | d/w = 2\n"
                               "L = a*b/2  | d/a = b/2\n"));
  EXPECT_EQ(r.status, 1) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("first wrong row: L (line 3): no d/b is given, but b depends on "
                               "w: the chain misses this path\n"));
}

TEST_F(NodeCheck, ChainCanDisagreeWithEveryRowRight) {
  // L = x has EXPR's value at x = 1 and a right partial, but it is another function.
  const Result r = check("x^2", "x=1", table("L = x | d/x = 1\n"));
  EXPECT_EQ(r.status, 1) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("x         1      2       DISAGREE\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("first wrong row")));
  EXPECT_THAT(r.out, HasSubstr("the chain DISAGREES with the engine in 1 of 1 components\n"));
}

TEST_F(NodeCheck, LongVectorPartialNamesTheFirstWrongElement) {
  const Result r = check("sum(exp(W))", "W=[0,0,0,0,0,0,1,0]",
                         table("a = exp(W) | d/W = 1\nL = sum(a) | d/a = 1\n"));
  EXPECT_EQ(r.status, 1) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("first wrong row: a (line 1): d/W written 1 differs from the "
                               "engine's at element 6: 1 vs 2.71828\n"));
}

TEST_F(NodeCheck, TableThatDerivesNoVariable) {
  const Result r = check("exp(w)", "w=1", table("a = exp(w)\n"));
  EXPECT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("chain: no variable of --at has a partial in the table\n"));
}

TEST_F(NodeCheck, DataColumnsAndVectorRows) {
  const std::string t = table(
      "z = X@W + b  | d/W = X | d/b = 1\n"
      "p = sigmoid(z) | d/z = p*(1-p)\n"
      "L = sum(-y*log(p) - (1-y)*log(1-p)) | d/p = -y/p + (1-y)/(1-p)\n");
  const Result r =
      test::run_app({"check", "sum(-y*log(sigmoid(X@W+b)) - (1-y)*log(1-sigmoid(X@W+b)))", "--data",
                     std::string(XIGRAD_SHARED_DATA_DIR) + "/Heart.csv", "--positive", "y=AHD:Yes",
                     "--matrix", "X=Age,MaxHR", "--at", "W=[0.01,-0.01],b=0.5", "--nodes", t});
  EXPECT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("(303 values)  X@W+b"));
  EXPECT_THAT(r.out, HasSubstr("all 3 rows and the chain agree"));
}

TEST_F(NodeCheck, BadTablesExit2WithLineAndCaret) {
  const auto error = [&](const std::string& text, const std::string& expr = "exp(w*x) + w") {
    const Result r = check(expr, "w=1,x=2", table(text));
    EXPECT_EQ(r.status, 2) << text << r.out;
    return r.err;
  };
  EXPECT_THAT(error("a = exp(c*x) | d/x = 1\n"),
              HasSubstr("table.txt:1:9: 'c' is not defined: it is neither a variable (--at, "
                        "--data) nor a row above\n"
                        "  a = exp(c*x) | d/x = 1\n"
                        "          ^\n"));
  EXPECT_THAT(error("a = exp(b*x) | d/b = 1\nb = w\n"),
              HasSubstr("table.txt:1:9: 'b' is defined later, at line 2"));
  EXPECT_THAT(error("a = exp(a)\n"), HasSubstr("table.txt:1:9: row a uses itself"));
  EXPECT_THAT(error("a = exp(w) | d/w = a*b\n"), HasSubstr("table.txt:1:22: 'b' is not defined"));
  EXPECT_THAT(error("a = exp(w) | d/x = 1\n"),
              HasSubstr("table.txt:1:16: 'x' is not an input of row a"));
  EXPECT_THAT(error("a = exp(w)\na = 2*w\n"), HasSubstr("table.txt:2:1: row a is defined twice"));
  EXPECT_THAT(error("x = exp(w)\n"),
              HasSubstr("table.txt:1:1: 'x' is a variable of --at or --data: give the row "
                        "another name"));
  EXPECT_THAT(error("a = exp(w) +\n"), HasSubstr("table.txt:1:"));
  EXPECT_THAT(error("a = [w, x] | d/w = [1, 2, 3]\nL = sum(a) | d/a = 1\n"),
              HasSubstr("table.txt:1:20: d/w is a vector of shape (3), but row a is a vector of "
                        "shape (2) and w is a scalar"));
  EXPECT_THAT(error("a = [w, x] + [1, 2, 3]\n"),
              HasSubstr("table.txt:1:5: shapes (2) and (3) do not match in '+'"));
  EXPECT_THAT(error("a = [w, x] | d/w = [1, 0]\n"),
              HasSubstr("the last row, a, is the loss and must be a scalar, but it is a vector "
                        "of shape (2)"));
}

TEST_F(NodeCheck, NonFiniteRowExits3) {
  const Result r = check("log(1+w)", "w=0", table("a = log(w) | d/w = 1/w\nL = a\n"));
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_THAT(r.err, HasSubstr("table.txt:1: row a = log(w) is -inf (not finite)"));
  const Result p = check("log(1+w)", "w=0", table("a = log(1+w) | d/w = 1/w\n"));
  EXPECT_EQ(p.status, 3) << p.out;
  EXPECT_THAT(p.err, HasSubstr("table.txt:1: row a: d/w = 1/w is inf (not finite)"));
}

TEST_F(NodeCheck, NodesAndGradAreExclusiveAndOneIsNeeded) {
  const Result both = check("w", "w=1", table("a = w\n"), {"--grad", "w=1"});
  EXPECT_EQ(both.status, 2);
  EXPECT_THAT(both.err, HasSubstr("--grad excludes --nodes"));
  const Result none = test::run_app({"check", "w", "--at", "w=1"});
  EXPECT_EQ(none.status, 2);
  EXPECT_THAT(none.err, HasSubstr("check needs --grad NAME=EXPR or --nodes FILE"));
  const Result absent = check("w", "w=1", (dir_ / "absent.txt").string());
  EXPECT_EQ(absent.status, 2);
  EXPECT_THAT(absent.err, HasSubstr("absent.txt"));
}

}  // namespace
}  // namespace xi::cli
