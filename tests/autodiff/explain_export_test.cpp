// Markdown, LaTeX and HTML exports of explain and check_gradient (export.hpp), on the lecture's
// loss in scalar form, −y·log(1/(1 + e^{−w·x})) at w = 0.5, x = 2, y = 1 (seeds/001, L^A), and on
// the characters each format must escape.

#include <xigrad/autodiff/export.hpp>

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <xigrad/autodiff/tensor.hpp>

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ExportTest : public ::testing::Test {
 protected:
  // The lecture's L^A as the command line records "-y*log(1/(1+exp(-w*x)))".
  xi::Explanation lecture() {
    const xi::Var w = xi::variable(0.5, "w");
    const xi::Var x = xi::variable(2.0, "x");
    const xi::Var y = xi::variable(1.0, "y");
    return xi::explain(-(y * xi::log(1 / (1 + xi::exp(-(w * x))))));
  }

  xi::Tape tape_;
  xi::Tape::Scope scope_{tape_};
};

TEST_F(ExportTest, LectureTableAsMarkdown) {
  EXPECT_EQ(xi::to_markdown(lecture()),
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

TEST_F(ExportTest, LectureTableAsLatex) {
  EXPECT_EQ(
      xi::to_latex(lecture()),
      "\\begin{tabular}{llrlr}\n"
      "\\hline\n"
      "$\\xi$ & definition & value & local partials & $\\partial L/\\partial\\xi$ \\\\\n"
      "\\hline\n"
      "$w$ & $\\mathrm{leaf}$ & $0.5$ & & $-0.537883$ \\\\\n"
      "$x$ & $\\mathrm{leaf}$ & $2$ & & $-0.134471$ \\\\\n"
      "$y$ & $\\mathrm{leaf}$ & $1$ & & $0.313262$ \\\\\n"
      "$\\xi_{1}$ & $w\\cdot x$ & $1$ & $\\partial\\xi_{1}/\\partial w = x = 2$; "
      "$\\partial\\xi_{1}/\\partial x = w = 0.5$ & $-0.268941$ \\\\\n"
      "$\\xi_{2}$ & $-\\xi_{1}$ & $-1$ & $\\partial\\xi_{2}/\\partial\\xi_{1} = -1$ & $0.268941$ "
      "\\\\\n"
      "$\\xi_{3}$ & $\\exp(\\xi_{2})$ & $0.367879$ & "
      "$\\partial\\xi_{3}/\\partial\\xi_{2} = \\exp(\\xi_{2}) = 0.367879$ & $0.731059$ \\\\\n"
      "$\\xi_{4}$ & $1 + \\xi_{3}$ & $1.36788$ & $\\partial\\xi_{4}/\\partial\\xi_{3} = 1$ & "
      "$0.731059$ \\\\\n"
      "$\\xi_{5}$ & $1/\\xi_{4}$ & $0.731059$ & "
      "$\\partial\\xi_{5}/\\partial\\xi_{4} = -1/\\xi_{4}^{2} = -0.534447$ & $-1.36788$ \\\\\n"
      "$\\xi_{6}$ & $\\log(\\xi_{5})$ & $-0.313262$ & "
      "$\\partial\\xi_{6}/\\partial\\xi_{5} = 1/\\xi_{5} = 1.36788$ & $-1$ \\\\\n"
      "$\\xi_{7}$ & $y\\cdot\\xi_{6}$ & $-0.313262$ & "
      "$\\partial\\xi_{7}/\\partial y = \\xi_{6} = -0.313262$; "
      "$\\partial\\xi_{7}/\\partial\\xi_{6} = y = 1$ & $-1$ \\\\\n"
      "$\\xi_{8}$ & $-\\xi_{7}$ & $0.313262$ & $\\partial\\xi_{8}/\\partial\\xi_{7} = -1$ & $1$ "
      "\\\\\n"
      "\\hline\n"
      "\\end{tabular}\n");
}

TEST_F(ExportTest, LectureStepsAsMarkdownAndLatex) {
  const xi::Explanation e = lecture();
  const std::string md = xi::steps_to_markdown(e);
  EXPECT_THAT(md,
              testing::StartsWith(
                  "| step | chain rule | adjoint · partial | ∂L/∂target |\n"
                  "| ---: | --- | --- | --- |\n"
                  "| 1 | ∂L/∂ξ7 += ∂L/∂ξ8 · ∂ξ8/∂ξ7 | 1 · -1 = -1 | 0 → -1 |\n"
                  "| 2 | ∂L/∂y += ∂L/∂ξ7 · ∂ξ7/∂y | -1 · -0.313262 = 0.313262 | 0 → 0.313262 |\n"));
  EXPECT_THAT(md, HasSubstr("| 5 | ∂L/∂ξ4 += ∂L/∂ξ5 · ∂ξ5/∂ξ4 | -1.36788 · -0.534447 = 0.731059 | "
                            "0 → 0.731059 |\n"));
  EXPECT_THAT(md,
              testing::EndsWith("| 10 | ∂L/∂x += ∂L/∂ξ1 · ∂ξ1/∂x | -0.268941 · 0.5 = -0.134471 | "
                                "0 → -0.134471 |\n"));
  const std::string tex = xi::steps_to_latex(e);
  EXPECT_THAT(
      tex, testing::StartsWith(
               "\\begin{tabular}{rlll}\n\\hline\n"
               "step & chain rule & $\\mathrm{adjoint} \\cdot \\mathrm{partial}$ & "
               "$\\partial L/\\partial \\mathrm{target}$ \\\\\n\\hline\n"
               "$1$ & $\\partial L/\\partial\\xi_{7} += \\partial L/\\partial\\xi_{8} \\cdot "
               "\\partial\\xi_{8}/\\partial\\xi_{7}$ & $1 \\cdot -1 = -1$ & $0 \\to -1$ \\\\\n"));
  EXPECT_THAT(tex, testing::EndsWith("\\hline\n\\end{tabular}\n"));
}

TEST_F(ExportTest, SharedNodeContributionsAreCounted) {
  const xi::Var x = xi::variable(3.0, "x");
  const std::string md = xi::steps_to_markdown(xi::explain(x * x));
  EXPECT_THAT(
      md, HasSubstr("| 1 | ∂L/∂x += ∂L/∂ξ1 · ∂ξ1/∂x | 1 · 3 = 3 | 0 → 3  (contribution 1 of 2) |"));
  EXPECT_THAT(
      md, HasSubstr("| 2 | ∂L/∂x += ∂L/∂ξ1 · ∂ξ1/∂x | 1 · 3 = 3 | 3 → 6  (contribution 2 of 2) |"));
}

// |a| ends a Markdown cell and _ starts emphasis: both are escaped. In LaTeX, w_1 is a name (not
// w with subscript 1) and a multi-letter function is an operator name.
TEST_F(ExportTest, EscapesWhatEachFormatReads) {
  const xi::Var w = xi::variable(-2.0, "w_1");
  const xi::Explanation e = xi::explain(xi::abs(w) * 3);
  EXPECT_EQ(xi::to_markdown(e),
            "| ξ | definition | value | local partials | ∂L/∂ξ |\n"
            "| --- | --- | ---: | --- | ---: |\n"
            "| w\\_1 | leaf | -2 | | -3 |\n"
            "| ξ1 | \\|w\\_1\\| | 2 | ∂ξ1/∂w\\_1 = sign(w\\_1) = -1 | 3 |\n"
            "| ξ2 | 3·ξ1 | 6 | ∂ξ2/∂ξ1 = 3 | 1 |\n");
  EXPECT_EQ(
      xi::to_latex(e),
      "\\begin{tabular}{llrlr}\n\\hline\n"
      "$\\xi$ & definition & value & local partials & $\\partial L/\\partial\\xi$ \\\\\n"
      "\\hline\n"
      "$\\mathrm{w\\_1}$ & $\\mathrm{leaf}$ & $-2$ & & $-3$ \\\\\n"
      "$\\xi_{1}$ & $|\\mathrm{w\\_1}|$ & $2$ & "
      "$\\partial\\xi_{1}/\\partial \\mathrm{w\\_1} = \\operatorname{sign}(\\mathrm{w\\_1}) = -1$ "
      "& $3$ \\\\\n"
      "$\\xi_{2}$ & $3\\cdot\\xi_{1}$ & $6$ & $\\partial\\xi_{2}/\\partial\\xi_{1} = 3$ & $1$ "
      "\\\\\n"
      "\\hline\n\\end{tabular}\n");
}

// A power with a negative or compound exponent keeps it whole: a^(c-1) → a^{c-1}.
TEST_F(ExportTest, LatexExponentsAreGrouped) {
  const xi::Var x = xi::variable(2.0, "x");
  const std::string tex = xi::to_latex(xi::explain(xi::pow(x, -2.0)));
  EXPECT_THAT(tex, HasSubstr("$x^{-2}$"));
  EXPECT_THAT(tex, HasSubstr("$\\partial\\xi_{1}/\\partial x = -2\\cdot x^{-2-1} = -0.25$"));
}

// A kink adds a note column; its text is escaped as text, its symbols set in math.
TEST_F(ExportTest, KinkNotes) {
  const xi::Var x = xi::variable(0.0, "x");
  const xi::Explanation e = xi::explain(xi::abs(x));
  ASSERT_FALSE(e.nodes[0].kink.empty());
  const std::string md = xi::to_markdown(e);
  EXPECT_THAT(md, testing::StartsWith("| ξ | definition | value | local partials | ∂L/∂ξ | note |\n"
                                      "| --- | --- | ---: | --- | ---: | --- |\n"));
  EXPECT_THAT(md, HasSubstr(fmt::format("| {} |\n", e.nodes[0].kink)));
  EXPECT_THAT(xi::to_latex(e), HasSubstr("{llrlrl}"));
}

// A tensor leaf is one row with all its values and its adjoint vector; tensor nodes show their
// values, partials and adjoints whole (values_text: a long vector by its ends and its shape).
TEST_F(ExportTest, TensorNodes) {
  xi::Vector v(8);
  v << 0.5, -1, 2, 3, 4, 5, 6, 7;
  const xi::Tensor W = xi::variable(v, "W");
  EXPECT_EQ(xi::to_markdown(xi::explain(xi::sum(W * 2.0))),
            "| ξ | definition | value | local partials | ∂L/∂ξ |\n"
            "| --- | --- | ---: | --- | ---: |\n"
            "| W | leaf | [0.5, -1, 2, …, 7] (8) | | [2, 2, 2, …, 2] (8) |\n"
            "| ξ1 | 2·W | [1, -2, 4, …, 14] (8) | ∂ξ1/∂W = 2 | [1, 1, 1, …, 1] (8) |\n"
            "| ξ2 | sum(ξ1) | 53 | ∂ξ2/∂ξ1 = 1 | 1 |\n");
}

// The lecture's vector table: the sweep reaches W through the vector–Jacobian product of ξ1 = W·X,
// and every format shows W's adjoint as a vector.
TEST_F(ExportTest, LectureVectorStepsReachW) {
  const xi::Tensor W = xi::variable(xi::Vector{{0.5, -1.2}}, "W");
  const xi::Vector x{{2.0, 1.0}};
  const xi::Tensor X = xi::named_constant(x.data(), xi::Shape::vector(2), "X");
  const xi::Var y = xi::named_constant(1.0, "y");
  const xi::Explanation e = xi::explain(-(y * xi::log(1 / (1 + xi::exp(-xi::dot(W, X))))));
  const std::string md = xi::steps_to_markdown(e);
  EXPECT_THAT(md, testing::EndsWith("| ∂L/∂W += ∂L/∂ξ1 · ∂ξ1/∂W | -0.549834 · [2, 1] = [-1.09967, "
                                    "-0.549834] | [0, 0] → [-1.09967, -0.549834] |\n"));
  EXPECT_THAT(xi::to_markdown(e),
              HasSubstr("| W | leaf | [0.5, -1.2] | | [-1.09967, -0.549834] |\n"
                        "| ξ1 | W·X | -0.2 | ∂ξ1/∂W = X = [2, 1] | -0.549834 |\n"));
  EXPECT_THAT(xi::steps_to_latex(e),
              HasSubstr("$-0.549834 \\cdot [2, 1] = [-1.09967, -0.549834]$ & $[0, 0] \\to "
                        "[-1.09967, -0.549834]$ \\\\\n"));
  const std::string page = xi::to_html(e);
  EXPECT_THAT(page, HasSubstr("data-to=\"W\" data-to-key=\"leaf-W\" "
                              "data-after=\"[-1.09967, -0.549834]\" data-element=\"\""));
  EXPECT_THAT(page, HasSubstr("data-adj-key=\"leaf-W\" data-final=\"[-1.09967, -0.549834]\""));
}

TEST(ExportCheck, ReportAsMarkdownAndLatex) {
  xi::GradientReport r;
  r.components.push_back({"w", 12, 12.000000001, 12.0, 1e-6, 1e-9, 8.3e-11, true});
  r.components.push_back({"x_2", 9, 9.0, 10.0, 1e-6, 1.0, 0.1, false});
  r.ok = false;
  EXPECT_EQ(xi::to_markdown(r),
            "| variable | hand | autodiff | finite difference | rel. error | verdict |\n"
            "| --- | ---: | ---: | ---: | ---: | --- |\n"
            "| w | 12 | 12 | 12 | 8.3e-11 | ok |\n"
            "| x\\_2 | 10 | 9 | 9 | 1.0e-01 | DISAGREE |\n");
  EXPECT_EQ(xi::to_latex(r),
            "\\begin{tabular}{lrrrrl}\n\\hline\n"
            "variable & hand & autodiff & finite difference & rel. error & verdict \\\\\n"
            "\\hline\n"
            "$w$ & $12$ & $12$ & $12$ & $8.3e-11$ & ok \\\\\n"
            "$\\mathrm{x\\_2}$ & $10$ & $9$ & $9$ & $1.0e-01$ & DISAGREE \\\\\n"
            "\\hline\n\\end{tabular}\n");
  // Without a hand-derived gradient there is no hand column.
  r.components[0].hand.reset();
  r.components[1].hand.reset();
  EXPECT_THAT(xi::to_markdown(r),
              testing::StartsWith("| variable | autodiff | finite difference |"));
}

// ------------------------------------------------------------------ HTML

TEST_F(ExportTest, HtmlPageIsSelfContained) {
  const std::string page = xi::to_html(lecture(), {"L <&> \"title\"", "at w = 0.5"});
  EXPECT_THAT(page, testing::StartsWith("<!DOCTYPE html>\n"));
  EXPECT_THAT(page, testing::EndsWith("</html>\n"));
  for (const char* external :
       {"://", " src=", " href=", "@import", "<link", "fetch(", "XMLHttpRequest"}) {
    EXPECT_THAT(page, Not(HasSubstr(external))) << external;
  }
  // Every url() is a reference inside the page (the SVG arrow marker).
  for (std::size_t at = page.find("url("); at != std::string::npos;
       at = page.find("url(", at + 1)) {
    EXPECT_EQ(page.substr(at, 5), "url(#");
  }
  EXPECT_THAT(page, HasSubstr("<title>L &lt;&amp;&gt; &quot;title&quot;</title>"));
  EXPECT_THAT(page, HasSubstr("<style>"));
  // A control character in a title (it comes from the user) is shown as an escape.
  const std::string hostile = xi::to_html(lecture(), {"a\x1b[31m", ""});
  EXPECT_THAT(hostile, HasSubstr("<h1>a\\x1b[31m</h1>"));
  EXPECT_THAT(hostile, Not(HasSubstr("\x1b")));
  EXPECT_THAT(page, HasSubstr("<script>"));
}

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST_F(ExportTest, HtmlPageHasTheGraphTheStepsAndTheTable) {
  const std::string page = xi::to_html(lecture());
  // Three leaves and eight ξ nodes, each input an edge (ξ1 and ξ7 have two).
  EXPECT_EQ(count(page, "<g class=\"node leaf\""), 3);
  EXPECT_EQ(count(page, "<g class=\"node op"), 8);
  EXPECT_EQ(count(page, "<g class=\"node op output\" data-key=\"xi8\""), 1);
  EXPECT_EQ(count(page, "<g class=\"edge\""), 10);
  EXPECT_THAT(page, HasSubstr("<g class=\"edge\" data-src=\"xi4\" data-dst=\"xi5\">"));
  EXPECT_THAT(page, HasSubstr(">-0.534447</text>"));  // ∂ξ5/∂ξ4 on that edge
  // The sweep: ten steps, each naming the nodes it joins and the adjoint it reaches.
  EXPECT_EQ(count(page, "<li data-from="), 10);
  EXPECT_THAT(page, HasSubstr("<li data-from=\"ξ5\" data-from-key=\"xi5\" data-to=\"ξ4\" "
                              "data-to-key=\"xi4\" data-after=\"0.731059\" data-element=\"\">"));
  // Final adjoints are in the page (shown when the sweep is over, or without script).
  EXPECT_THAT(page, HasSubstr("data-adj-key=\"leaf-w\" data-final=\"-0.537883\""));
  EXPECT_THAT(page, HasSubstr("<span data-adj-name=\"w\" data-final=\"-0.537883\">"));
  EXPECT_THAT(page, HasSubstr("<tr data-row=\"ξ5\"><td>ξ5</td><td>1/ξ4</td>"));
}

TEST_F(ExportTest, HtmlGraphOfATensorLeafShowsAShortVector) {
  xi::Vector v(3);
  v << 0.5, -1, 2;
  const xi::Tensor W = xi::variable(v, "W");
  const std::string page = xi::to_html(xi::explain(xi::sum(xi::exp(W))));
  EXPECT_EQ(count(page, "<g class=\"node leaf\""), 1);
  EXPECT_THAT(page, HasSubstr(">= [0.5, -1, 2]</text>"));
  EXPECT_THAT(page,
              HasSubstr("data-adj-key=\"leaf-W\" data-final=\"[1.64872, 0.367879, 7.38906]\""));
}

// LaTeX's special characters in a name are escaped, in math as in text.
TEST(ExportCheck, LatexSpecialCharactersAreEscaped) {
  xi::GradientReport r;
  r.components.push_back({"loss%_{1}&#", 1, 1, std::nullopt, 1e-6, 0, 0, true});
  EXPECT_THAT(xi::to_latex(r), HasSubstr("$\\mathrm{loss}\\%\\_\\{1\\}\\&\\#$ & $1$ & $1$"));
  EXPECT_THAT(xi::to_markdown(r), HasSubstr("| loss%\\_{1}&# | 1 | 1 |"));
}

TEST(ExportCheck, ReportAsHtml) {
  xi::GradientReport r;
  r.components.push_back({"w", 12, 12, 12.0, 1e-6, 0, 0, true});
  const std::string page = xi::to_html(r, {"check", ""});
  EXPECT_THAT(page, HasSubstr("<td>w</td><td class=\"r\">12</td>"));
  EXPECT_THAT(page, HasSubstr("All 1 components agree."));
  EXPECT_THAT(page, Not(HasSubstr("http")));
}

}  // namespace
