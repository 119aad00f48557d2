// xigrad explain / check --format: Markdown, LaTeX and HTML on the lecture's example, and the
// option layer (--json and --dot alias --format json / dot; two different choices are refused).

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "run_app.hpp"

namespace xi::cli {
namespace {

using test::Result;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Result xigrad(std::vector<std::string> args) {
  return test::run_app(std::move(args));
}

const char* kLecture = "-y*log(1/(1+exp(-w*x)))";

TEST(ExportFormat, ExplainMarkdown) {
  const Result r = xigrad({"explain", kLecture, "--at", "w=0.5,x=2,y=1", "--format", "md"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "| ξ | definition | value | local partials | ∂L/∂ξ |\n"
            "| --- | --- | ---: | --- | ---: |\n"
            "| w | leaf | 0.5 | | -0.537883 |\n"
            "| x | leaf | 2 | | -0.134471 |\n"
            "| y | leaf | 1 | | 0.313262 |\n"
            "| ξ1 | w·x | 1 | ∂ξ1/∂w = x = 2; ∂ξ1/∂x = w = 0.5 | -0.268941 |\n"
            "| ξ2 | -ξ1 | -1 | ∂ξ2/∂ξ1 = -1 | 0.268941 |\n"
            "| ξ3 | exp(ξ2) | 0.367879 | ∂ξ3/∂ξ2 = exp(ξ2) = 0.367879 | 0.731059 |\n"
            "| ξ4 | 1 + ξ3 | 1.36788 | ∂ξ4/∂ξ3 = 1 | 0.731059 |\n"
            "| ξ5 | 1/ξ4 | 0.731059 | ∂ξ5/∂ξ4 = -1/ξ4^2 = -0.534447 | -1.36788 |\n"
            "| ξ6 | log(ξ5) | -0.313262 | ∂ξ6/∂ξ5 = 1/ξ5 = 1.36788 | -1 |\n"
            "| ξ7 | y·ξ6 | -0.313262 | ∂ξ7/∂y = ξ6 = -0.313262; ∂ξ7/∂ξ6 = y = 1 | -1 |\n"
            "| ξ8 | -ξ7 | 0.313262 | ∂ξ8/∂ξ7 = -1 | 1 |\n");
}

TEST(ExportFormat, ExplainStepsAsLatex) {
  const Result r =
      xigrad({"explain", kLecture, "--at", "w=0.5,x=2,y=1", "--format", "latex", "--steps"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("\\begin{tabular}{rlll}\n"));
  EXPECT_THAT(r.out,
              HasSubstr("$5$ & $\\partial L/\\partial\\xi_{4} += \\partial "
                        "L/\\partial\\xi_{5} \\cdot \\partial\\xi_{5}/\\partial\\xi_{4}$ & "
                        "$-1.36788 \\cdot -0.534447 = 0.731059$ & $0 \\to 0.731059$ \\\\\n"));
  EXPECT_THAT(r.out, HasSubstr("$9$ & $\\partial L/\\partial w += "));
}

TEST(ExportFormat, ExplainLatexEscapesNames) {
  const Result r = xigrad({"explain", "abs(w_1)", "--at", "w_1=-2", "--format", "latex"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("$\\xi_{1}$ & $|\\mathrm{w\\_1}|$ & $2$ & "));
}

TEST(ExportFormat, ExplainHtmlIsOnePage) {
  const Result r = xigrad({"explain", kLecture, "--at", "w=0.5,x=2,y=1", "--format", "html"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(r.out, HasSubstr("<h1>ξ table of L = -y*log(1/(1+exp(-w*x)))</h1>"));
  EXPECT_THAT(r.out, HasSubstr("<p class=\"sub mono\">at w = 0.5, x = 2, y = 1</p>"));
  EXPECT_THAT(r.out, HasSubstr("<svg id=\"graph\""));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("://")));
}

// The page's subtitle says what the text table's header says: the constants given too.
TEST(ExportFormat, ExplainHtmlNamesTheConstants) {
  const Result r = xigrad({"explain", "-y*log(1/(1+exp(-dot(W,X))))", "--at", "W=[0.5,-1.2]",
                           "--const", "X=[2,1],y=1", "--format", "html"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("<p class=\"sub mono\">at W = [0.5, -1.2]; constants X = [2, 1], "
                               "y = 1</p>"));
}

TEST(ExportFormat, CheckMarkdownLatexAndHtml) {
  const std::vector<std::string> check = {"check",  "w^2*x",   "--at",   "w=3,x=2",
                                          "--grad", "w=2*w*x", "--grad", "x=w^2"};
  auto with = [&](const char* format) {
    std::vector<std::string> args = check;
    args.insert(args.end(), {"--format", format});
    return xigrad(args);
  };
  const Result md = with("md");
  ASSERT_EQ(md.status, 0) << md.err;
  EXPECT_THAT(md.out, StartsWith("| variable | hand | autodiff | finite difference | rel. error | "
                                 "verdict |\n| --- | ---: | ---: | ---: | ---: | --- |\n"
                                 "| w | 12 | 12 | 12 | "));
  EXPECT_THAT(md.out, HasSubstr("\n| x | 9 | 9 | 9 | "));
  const Result tex = with("latex");
  ASSERT_EQ(tex.status, 0) << tex.err;
  EXPECT_THAT(tex.out, HasSubstr("$w$ & $12$ & $12$ & $12$ & $"));
  const Result html = with("html");
  ASSERT_EQ(html.status, 0) << html.err;
  EXPECT_THAT(html.out, HasSubstr("<h1>Gradient check of L = w^2*x</h1>"));
  EXPECT_THAT(html.out, HasSubstr("All 2 components agree."));
}

// A wrong hand-derived component still exits 1 in every format, and is marked.
TEST(ExportFormat, CheckDisagreementKeepsItsExitStatus) {
  const Result r = xigrad({"check", "w^2", "--at", "w=3", "--grad", "w=w", "--format", "md"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("| w | 3 | 6 | 6 | "));
  EXPECT_THAT(r.out, HasSubstr(" | DISAGREE |\n"));
}

TEST(ExportFormat, AliasesGiveTheSameOutput) {
  const std::vector<std::string> base = {"explain", "x*x + 1", "--at", "x=3"};
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return xigrad(args);
  };
  EXPECT_EQ(run({"--format", "json"}).out, run({"--json"}).out);
  EXPECT_EQ(run({"--format", "dot"}).out, run({"--dot"}).out);
  EXPECT_EQ(run({"--format", "text"}).out, run({}).out);
  EXPECT_EQ(run({"--json", "--format", "json"}).status, 0);
}

TEST(ExportFormat, ConflictsAndUnknownNamesExit2) {
  const std::vector<std::string> base = {"explain", "x*x", "--at", "x=3"};
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return xigrad(args);
  };
  Result r = run({"--json", "--format", "md"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--json and --format md ask for two different outputs"));
  r = run({"--dot", "--format", "html"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--dot and --format html ask for two different outputs"));
  r = run({"--format", "dot", "--steps"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--steps has no Graphviz form"));
  r = run({"--format", "pdf"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--format: pdf not in {text,json,dot,md,latex,html}"));
  r = xigrad({"check", "x^2", "--at", "x=1", "--grad", "x=2*x", "--format", "dot"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--format: dot not in {text,json,md,latex,html}"));
}

}  // namespace
}  // namespace xi::cli
