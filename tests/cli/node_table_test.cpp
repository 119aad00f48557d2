// Reading a hand-written ξ table (cli/node_table.hpp): rows, partials, comments, ξ for xi, and
// errors that point at the line and column with a caret.

#include "node_table.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../support/temp_dir.hpp"

namespace xi::cli {
namespace {

using ::testing::HasSubstr;

std::string error_of(const std::string& text) {
  try {
    parse_node_table(text, "t.txt");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(HandTable, RowsPartialsAndComments) {
  const HandTable t = parse_node_table(
      "# the lecture's L^A\n"
      "\n"
      "xi1 = -dot(W, X)   | d/W = -X   # a comment\n"
      "   \t\n"
      "L   = -y*xi1       | d/xi1 = -y | d/y = -xi1\r\n",
      "t.txt");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.file, "t.txt");
  EXPECT_EQ(t.rows[0].name, "xi1");
  EXPECT_EQ(t.rows[0].line, 3u);
  EXPECT_EQ(t.rows[0].definition.program.source, "-dot(W, X)");
  EXPECT_EQ(t.rows[0].definition.offset, 6u);
  ASSERT_EQ(t.rows[0].partials.size(), 1u);
  EXPECT_EQ(t.rows[0].partials[0].input, "W");
  EXPECT_EQ(t.rows[0].partials[0].formula.program.source, "-X");
  EXPECT_EQ(t.rows[1].line, 5u);
  EXPECT_EQ(t.rows[1].inputs(), (std::vector<std::string>{"y", "xi1"}));
  ASSERT_EQ(t.rows[1].partials.size(), 2u);
  EXPECT_EQ(t.rows[1].partials[1].input, "y");
  EXPECT_EQ(t.rows[1].partials[1].formula.program.source, "-xi1");
}

TEST(HandTable, GreekXiAndPartialSignsAreRead) {
  const HandTable t = parse_node_table("ξ1 = exp(w)\nξ2 = ξ1·w | ∂/∂ξ1 = w | d/w = ξ1\n", "t");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].name, "xi1");
  EXPECT_EQ(t.rows[1].name, "xi2");
  EXPECT_EQ(t.rows[1].inputs(), (std::vector<std::string>{"xi1", "w"}));
  EXPECT_EQ(t.rows[1].partials[0].input, "xi1");
  EXPECT_EQ(t.rows[1].partials[1].formula.program.source, "xi1");
}

TEST(HandTable, ParseErrorPointsAtLineAndColumn) {
  EXPECT_EQ(error_of("a = exp(w)\nb = a + (w | d/a = 1\n"),
            "t.txt:2:11: expected ')' to close the '(' at column 9, found the end of the "
            "expression\n"
            "  b = a + (w | d/a = 1\n"
            "            ^\n");
}

TEST(HandTable, ColumnsCountGreekLettersAsOne) {
  EXPECT_THAT(error_of("ξ1 = exp(w) + $\n"), HasSubstr("t.txt:1:15: "));
}

TEST(HandTable, MalformedRowsAreRefused) {
  EXPECT_THAT(error_of("a exp(w)\n"), HasSubstr("t.txt:1:1: expected NAME = DEFINITION"));
  EXPECT_THAT(error_of("a = w | e/w = 1\n"),
              HasSubstr("t.txt:1:9: expected a partial d/NAME = FORMULA after '|'"));
  EXPECT_THAT(error_of("a = w | d/w 1\n"), HasSubstr("t.txt:1:9: expected d/NAME = FORMULA"));
  EXPECT_THAT(error_of("a = w | d/ = 1\n"), HasSubstr("the name after d/ is missing"));
  EXPECT_THAT(error_of("2a = w\n"), HasSubstr("t.txt:1:1: "));
  EXPECT_THAT(error_of("exp = w\n"), HasSubstr("'exp' is a function, not a variable"));
  EXPECT_THAT(error_of("a = \n"), HasSubstr("t.txt:1:"));
}

TEST(HandTable, PartialMustBeWithRespectToAnInput) {
  EXPECT_EQ(error_of("a = exp(w) | d/x = 1\n"),
            "t.txt:1:16: 'x' is not an input of row a (its definition uses w)\n"
            "  a = exp(w) | d/x = 1\n"
            "                 ^\n");
  EXPECT_THAT(error_of("a = 2 | d/x = 1\n"), HasSubstr("(its definition uses no variable)"));
  EXPECT_THAT(error_of("a = w*x | d/w = x | d/w = x\n"),
              HasSubstr("t.txt:1:21: d/w is given twice in row a"));
}

TEST(HandTable, RepeatedNameIsRefused) {
  EXPECT_EQ(error_of("a = exp(w)\n# again\n a = 2*w\n"),
            "t.txt:3:2: row a is defined twice: at line 1 and here\n"
            "   a = 2*w\n"
            "   ^\n");
}

TEST(HandTable, EmptyTableIsRefused) {
  EXPECT_THAT(error_of("# nothing\n\n"), HasSubstr("t.txt: the table has no rows"));
}

class NodeTableFile : public xi::test::TempDirTest {};

TEST_F(NodeTableFile, ReadsARegularFileAndRefusesADirectory) {
  const auto path = dir_ / "table.txt";
  std::ofstream(path) << "a = exp(w) | d/w = exp(w)\n";
  const HandTable t = read_node_table(path.string());
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.file, path.string());
  EXPECT_EQ(t.rows[0].partials[0].formula.program.source, "exp(w)");
  EXPECT_THROW(read_node_table(dir_.string()), InputError);
  EXPECT_THROW(read_node_table((dir_ / "absent.txt").string()), InputError);
}

}  // namespace
}  // namespace xi::cli
