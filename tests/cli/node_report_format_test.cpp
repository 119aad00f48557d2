// xigrad check --nodes FILE --format md|latex|html: the report's tables (the rows, the chain with
// the verdict under it) rendered by the library's table renderers (cli/node_report.cpp).

#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../support/temp_dir.hpp"
#include "run_app.hpp"

namespace xi::cli {
namespace {

using test::Result;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kExamples = std::string(XIGRAD_SOURCE_DIR) + "/docs/examples/";

Result check_la(const std::string& format) {
  return test::run_app({"check", "-y*log(1/(1+exp(-dot(W,X))))", "--at", "W=[1,-0.5],X=[2,1],y=1",
                        "--nodes", kExamples + "lecture_LA.txt", "--format", format});
}

Result check_lb(const std::string& format) {
  return test::run_app({"check", "-(1-y)*log(1-1/(1+exp(-dot(W,X))))", "--at",
                        "W=[1,-0.5],X=[2,1],y=0", "--nodes", kExamples + "lecture_LB.txt",
                        "--format", format});
}

TEST(NodeReportFormat, LectureTableAAsMarkdown) {
  const Result r = check_la("md");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "| node | definition | value | in EXPR | partial | hand | engine | verdict |\n"
            "| --- | --- | ---: | --- | --- | ---: | ---: | --- |\n"
            "| xi1 | -dot(W, X) | -1.5 | -dot(W,X) | d/W = -X | [-2, -1] | [-2, -1] | ok |\n"
            "| xi2 | exp(xi1) | 0.22313 | exp(-dot(W,X)) | d/xi1 = exp(xi1) | 0.22313 | 0.22313 "
            "| ok |\n"
            "| xi3 | 1 + xi2 | 1.22313 | 1+exp(-dot(W,X)) | d/xi2 = 1 | 1 | 1 | ok |\n"
            "| xi4 | 1/xi3 | 0.817574 | 1/(1+exp(-dot(W,X))) | d/xi3 = -1/xi3^2 | -0.668428 | "
            "-0.668428 | ok |\n"
            "| xi5 | log(xi4) | -0.201413 | log(1/(1+exp(-dot(W,X)))) | d/xi4 = 1/xi4 | 1.22313 | "
            "1.22313 | ok |\n"
            "| L | -y\\*xi5 | 0.201413 | EXPR | d/xi5 = -y | -1 | -1 | ok |\n"
            "\n"
            "chain: ∂L/∂variable from the table's partials vs the engine\n"
            "\n"
            "| variable | table | engine | verdict |\n"
            "| --- | ---: | ---: | --- |\n"
            "| W[0] | -0.364851 | -0.364851 | ok |\n"
            "| W[1] | -0.182426 | -0.182426 | ok |\n"
            "\n"
            "all 6 rows and the chain agree (relative tolerance 1e-06)\n");
}

// The sign slip of L^B is located in every format, and check exits 1.
TEST(NodeReportFormat, LectureTableBSignSlipInMarkdown) {
  const Result r = check_lb("md");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("| L | (1-y)\\*xi6 | -1.70141 | not EXPR (1.70141) | d/xi6 = 1-y | "
                               "1 | 1 | value WRONG, partial ok |\n"));
  EXPECT_THAT(r.out, HasSubstr("| W[0] | -1.63515 | 1.63515 | DISAGREE |\n"));
  EXPECT_THAT(r.out, testing::EndsWith(
                         "\n\nfirst wrong row: L (line 10): its definition (1-y)\\*xi6 gives "
                         "-1.70141 where EXPR gives 1.70141: the sign of the loss is flipped\n\n"
                         "the chain DISAGREES with the engine in 2 of 2 components\n"));
}

TEST(NodeReportFormat, LectureTableAAsLatex) {
  const Result r = check_la("latex");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, testing::StartsWith("\\begin{tabular}{llrllrrl}\n\\hline\n"
                                         "node & definition & value & in EXPR & partial & hand & "
                                         "engine & verdict \\\\\n\\hline\n"));
  EXPECT_THAT(r.out, HasSubstr("$\\mathrm{xi4}$ & $1/\\mathrm{xi3}$ & $0.817574$ & "
                               "1/(1+exp(-dot(W,X))) & $d/\\mathrm{xi3} = -1/\\mathrm{xi3}^{2}$ & "
                               "$-0.668428$ & $-0.668428$ & ok \\\\\n"));
  EXPECT_THAT(r.out, HasSubstr("\\end{tabular}\n\nchain: $\\partial$L/$\\partial$variable from the "
                               "table's partials vs the engine\n\n\\begin{tabular}{lrrl}\n"));
  EXPECT_THAT(r.out, HasSubstr("$W[0]$ & $-0.364851$ & $-0.364851$ & ok \\\\\n"));
  EXPECT_THAT(r.out, testing::EndsWith("\\end{tabular}\n\nall 6 rows and the chain agree "
                                       "(relative tolerance 1e-06)\n\n"));
}

TEST(NodeReportFormat, HtmlIsOneSelfContainedPage) {
  const Result r = check_lb("html");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_THAT(r.out, testing::StartsWith("<!DOCTYPE html>\n"));
  EXPECT_THAT(r.out, testing::EndsWith("</html>\n"));
  EXPECT_THAT(r.out, HasSubstr("<h1>ξ table " + kExamples +
                               "lecture_LB.txt checked against L = "
                               "-(1-y)*log(1-1/(1+exp(-dot(W,X))))</h1>"));
  EXPECT_THAT(r.out, HasSubstr("<p class=\"sub mono\">at W = [1, -0.5], X = [2, 1], y = 0</p>"));
  EXPECT_THAT(r.out, HasSubstr("<td>L</td><td>(1-y)*xi6</td>"));
  EXPECT_THAT(r.out, HasSubstr("<h2>chain: ∂L/∂variable from the table&#39;s partials vs the "
                               "engine</h2>"));
  EXPECT_THAT(r.out, HasSubstr("<p>first wrong row: L (line 10): its definition (1-y)*xi6 gives "
                               "-1.70141 where EXPR gives 1.70141: the sign of the loss is "
                               "flipped<br>the chain DISAGREES with the engine in 2 of 2 "
                               "components</p>"));
  // No network: nothing fetched from elsewhere.
  EXPECT_THAT(r.out, Not(HasSubstr("http")));
  EXPECT_THAT(r.out, Not(HasSubstr(" src=")));
}

// A row's second partial is a line of its own in the text, and a row of its own, its row cells
// blank, in Markdown.
class NodeReportFile : public xi::test::TempDirTest {};

TEST_F(NodeReportFile, EachPartialIsALineInTextAndARowInMarkdown) {
  const auto path = dir_ / "table.txt";
  std::ofstream(path) << "L = w*x | d/w = x | d/x = w\n";
  const std::vector<std::string> args{"check", "w*x", "--at", "w=2,x=3", "--nodes", path.string()};
  std::vector<std::string> md = args;
  md.insert(md.end(), {"--format", "md"});
  const Result m = test::run_app(md);
  ASSERT_EQ(m.status, 0) << m.err;
  EXPECT_THAT(m.out,
              testing::StartsWith(
                  "| node | definition | value | in EXPR | partial | hand | engine | verdict |\n"
                  "| --- | --- | ---: | --- | --- | ---: | ---: | --- |\n"
                  "| L | w\\*x | 6 | EXPR | d/w = x | 3 | 3 | ok |\n"
                  "| | | | | d/x = w | 2 | 2 | ok |\n\n"));
  const Result t = test::run_app(args);
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_THAT(t.out, HasSubstr("node  definition  value  in EXPR  partial  hand  engine  verdict\n"
                               "L     w*x         6      EXPR     d/w = x  3     3       ok\n"
                               "                                  d/x = w  2     2       ok\n\n"));
}

}  // namespace
}  // namespace xi::cli
