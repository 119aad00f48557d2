// xi::Table (table.hpp, export.hpp): one table rendered as text in both styles, Markdown, LaTeX
// and an HTML page, with multi-part cells, a caption and notes.

#include <span>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <xigrad/autodiff/export.hpp>
#include <xigrad/autodiff/table.hpp>

namespace {

using ::testing::HasSubstr;

xi::Table sample() {
  xi::Table t{.header = {"ξ", "value", "partials"}, .align = "lrl", .kind = "mmm"};
  t.rows.push_back({{"ξ1"}, {"0.5"}, {"∂ξ1/∂w = 2", "∂ξ1/∂x = 0.5"}});
  t.rows.push_back({{"ξ12"}, {"-10"}, {}});
  return t;
}

TEST(Table, TextJoinsPartsAndRightAlignsUnderARule) {
  std::string rule;  // as wide as the columns: 3 + 2 + 5 + 2 + 24
  for (int i = 0; i < 36; ++i) rule += "─";
  EXPECT_EQ(xi::to_text(sample()), "ξ    value  partials\n" + rule +
                                       "\n"
                                       "ξ1     0.5  ∂ξ1/∂w = 2; ∂ξ1/∂x = 0.5\n"
                                       "ξ12    -10\n");
}

TEST(Table, TextWithContinuationLinesLeftAlignedNoRule) {
  const xi::TextStyle style{.rule = false, .right_align = false, .join = ""};
  EXPECT_EQ(xi::to_text(sample(), style),
            "ξ    value  partials\n"
            "ξ1   0.5    ∂ξ1/∂w = 2\n"
            "            ∂ξ1/∂x = 0.5\n"
            "ξ12  -10\n");
}

TEST(Table, CaptionAboveAndNotesBelowInEveryFormat) {
  xi::Table t = sample();
  t.caption = "the table";
  t.notes = {"first *note*", "line 1\nline 2"};
  const std::string text = xi::to_text(t, {.rule = false});
  EXPECT_THAT(text, testing::StartsWith("the table\n\nξ    value  partials\n"));
  EXPECT_THAT(text, testing::EndsWith("ξ12    -10\n\nfirst *note*\n\nline 1\nline 2\n"));
  const std::string md = xi::to_markdown(t);
  EXPECT_EQ(md,
            "the table\n\n"
            "| ξ | value | partials |\n"
            "| --- | ---: | --- |\n"
            "| ξ1 | 0.5 | ∂ξ1/∂w = 2; ∂ξ1/∂x = 0.5 |\n"
            "| ξ12 | -10 | |\n"
            "\nfirst \\*note\\*\n"
            "\nline 1\n\nline 2\n");
  const std::string tex = xi::to_latex(t);
  EXPECT_THAT(tex, testing::StartsWith("the table\n\n\\begin{tabular}{lrl}\n"));
  EXPECT_THAT(tex, HasSubstr("$\\xi_{1}$ & $0.5$ & $\\partial\\xi_{1}/\\partial w = 2$; "
                             "$\\partial\\xi_{1}/\\partial x = 0.5$ \\\\\n"));
  EXPECT_THAT(tex, testing::EndsWith("\\end{tabular}\n\nfirst *note*\n\n\nline 1\n\nline 2\n\n"));
  const std::string page =
      xi::to_html(std::span<const xi::Table>(&t, 1), {.title = "T", .subtitle = ""});
  EXPECT_THAT(page, testing::StartsWith("<!DOCTYPE html>\n"));
  EXPECT_THAT(page, HasSubstr("<h2>the table</h2>\n<table id=\"table-1\">"));
  EXPECT_THAT(page, HasSubstr("<td>∂ξ1/∂w = 2<br>∂ξ1/∂x = 0.5</td>"));
  EXPECT_THAT(page, HasSubstr("<p>first *note*</p>\n<p>line 1<br>line 2</p>\n"));
}

}  // namespace
