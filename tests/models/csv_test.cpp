// Tests for the CSV reader: every accepted form and every error with its location.

#include <xigrad/models/csv.hpp>

#include <xigrad/autodiff/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace xi::models {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::filesystem::path kDataDir = XIGRAD_SHARED_DATA_DIR;

/// The message of the xi::InputError that `parse` throws (fails the test if none is thrown).
template <typename F>
std::string input_error(F&& parse) {
  try {
    parse();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no xi::InputError thrown";
  return {};
}

std::string parse_error(std::string_view text) {
  return input_error([&] { parse_csv(text, "t.csv"); });
}

TEST(CsvTest, ReadsHeaderAndRows) {
  const CsvTable t = parse_csv("a,b,c\n1,2,3\n4,5,6\n", "t.csv");
  EXPECT_EQ(t.source, "t.csv");
  EXPECT_THAT(t.header, ElementsAre("a", "b", "c"));
  ASSERT_EQ(t.rows.size(), 2U);
  EXPECT_THAT(t.rows[0], ElementsAre("1", "2", "3"));
  EXPECT_THAT(t.rows[1], ElementsAre("4", "5", "6"));
}

TEST(CsvTest, TrailingNewlineIsOptional) {
  const CsvTable with = parse_csv("a,b\n1,2\n");
  const CsvTable without = parse_csv("a,b\n1,2");
  EXPECT_EQ(with.rows, without.rows);
  EXPECT_THAT(without.rows[0], ElementsAre("1", "2"));
}

TEST(CsvTest, HeaderOnlyGivesNoRows) {
  EXPECT_TRUE(parse_csv("a,b").rows.empty());
  EXPECT_TRUE(parse_csv("a,b\n").rows.empty());
}

TEST(CsvTest, QuotedFieldsKeepCommasQuotesAndNewlines) {
  const CsvTable t = parse_csv("name,note\n\"Smith, J\",\"say \"\"hi\"\"\"\n\"a\nb\",\"\"\n");
  ASSERT_EQ(t.rows.size(), 2U);
  EXPECT_THAT(t.rows[0], ElementsAre("Smith, J", "say \"hi\""));
  EXPECT_THAT(t.rows[1], ElementsAre("a\nb", ""));
}

TEST(CsvTest, QuotedHeaderNames) {
  const CsvTable t = parse_csv("\"key\",\"Age\"\n\"1\",63\n");
  EXPECT_THAT(t.header, ElementsAre("key", "Age"));
  EXPECT_THAT(t.rows[0], ElementsAre("1", "63"));
}

TEST(CsvTest, CrLfLineEndsAreTolerated) {
  const CsvTable t = parse_csv("a,b\r\n1,\"x\r\ny\"\r\n3,4\r\n");
  ASSERT_EQ(t.rows.size(), 2U);
  EXPECT_THAT(t.rows[0], ElementsAre("1", "x\ny"));
  EXPECT_THAT(t.rows[1], ElementsAre("3", "4"));
  EXPECT_EQ(t.locations[1][1].line, 4U);
}

TEST(CsvTest, LoneCarriageReturnEndsALine) {
  const CsvTable t = parse_csv("a,b\r1,2\r");
  EXPECT_THAT(t.rows, ElementsAre(ElementsAre("1", "2")));
}

TEST(CsvTest, EmptyFieldsAreKept) {
  const CsvTable t = parse_csv("a,b,c\n,,\n1,,\n,2,\n");
  ASSERT_EQ(t.rows.size(), 3U);
  EXPECT_THAT(t.rows[0], ElementsAre("", "", ""));
  EXPECT_THAT(t.rows[1], ElementsAre("1", "", ""));
  EXPECT_THAT(t.rows[2], ElementsAre("", "2", ""));
}

TEST(CsvTest, TrailingEmptyFieldAtEndOfText) {
  EXPECT_THAT(parse_csv("a,b\n1,").rows, ElementsAre(ElementsAre("1", "")));
}

TEST(CsvTest, BlankLinesAreSkipped) {
  const CsvTable t = parse_csv("\na,b\n\n1,2\n\n\n3,4\n\n");
  EXPECT_THAT(t.rows, ElementsAre(ElementsAre("1", "2"), ElementsAre("3", "4")));
  EXPECT_EQ(t.header_locations[0].line, 2U);
  EXPECT_EQ(t.locations[1][0].line, 7U);
}

TEST(CsvTest, SpacesArePartOfFields) {
  EXPECT_THAT(parse_csv("a,b\n 1 , x\n").rows[0], ElementsAre(" 1 ", " x"));
}

TEST(CsvTest, ByteOrderMarkIsSkipped) {
  const CsvTable t = parse_csv("\xEF\xBB\xBFx,y\n1,2\n");
  EXPECT_THAT(t.header, ElementsAre("x", "y"));
  EXPECT_EQ(t.header_locations[0].column, 1U);
}

TEST(CsvTest, LocationsCountLinesAndCharacters) {
  const CsvTable t = parse_csv("a,bb,c\n\"x\ny\",22,\"q\"\n7,8,9\n", "t.csv");
  EXPECT_EQ(t.header_locations[1].line, 1U);
  EXPECT_EQ(t.header_locations[1].column, 3U);
  EXPECT_EQ(t.locations[0][0].line, 2U);
  EXPECT_EQ(t.locations[0][0].column, 1U);
  // The quoted field spans lines 2-3, so the next field starts on line 3.
  EXPECT_EQ(t.locations[0][1].line, 3U);
  EXPECT_EQ(t.locations[0][1].column, 4U);
  EXPECT_EQ(t.locations[0][2].column, 7U);
  EXPECT_EQ(t.locations[1][2].line, 4U);
  EXPECT_EQ(t.where(1, 2), "t.csv:4:5");
}

TEST(CsvTest, ColumnsCountUtf8CharactersNotBytes) {
  const CsvTable t = parse_csv("städt,n\n\"é\"\"\",x\n");
  EXPECT_EQ(t.header_locations[1].column, 7U);
  EXPECT_EQ(t.locations[0][1].column, 7U);
  EXPECT_EQ(t.rows[0][0], "é\"");
}

TEST(CsvTest, FindColumn) {
  const CsvTable t = parse_csv("a,b\n1,2\n");
  EXPECT_EQ(t.find_column("b"), 1U);
  EXPECT_FALSE(t.find_column("c").has_value());
}

TEST(CsvTest, EmptyHeaderNameIsAllowed) {
  EXPECT_THAT(parse_csv("\"\",x\n1,2\n").header, ElementsAre("", "x"));
}

// ---- errors: every message starts with file:line:column

TEST(CsvErrorTest, EmptyFile) {
  EXPECT_EQ(parse_error(""), "t.csv:1:1: empty file: expected a header row");
  EXPECT_THAT(parse_error("\n\r\n\n"), StartsWith("t.csv:1:1: empty file"));
}

TEST(CsvErrorTest, UnterminatedQuotePointsAtTheOpeningQuote) {
  EXPECT_EQ(parse_error("a,b\n1,\"abc\n2,3\n"),
            "t.csv:2:3: unterminated quoted field: this quote is never closed");
  EXPECT_THAT(parse_error("\"a,b\n"), StartsWith("t.csv:1:1: unterminated quoted field"));
}

TEST(CsvErrorTest, TextAfterClosingQuote) {
  EXPECT_EQ(parse_error("a,b\n\"x\"y,2\n"),
            "t.csv:2:4: unexpected 'y' after a closing quote; expected ',' or the end of the line");
}

TEST(CsvErrorTest, QuoteInsideUnquotedField) {
  EXPECT_THAT(parse_error("a,b\n1,5'11\"\n"),
              StartsWith("t.csv:2:7: quote character inside an unquoted field"));
}

TEST(CsvErrorTest, RowWithTooManyFieldsPointsAtTheFirstExtraField) {
  EXPECT_EQ(parse_error("a,b\n1,2\n3,4,5\n"),
            "t.csv:3:5: row has 3 fields but the header has 2 (first extra field here)");
}

TEST(CsvErrorTest, RowWithTooFewFieldsPointsAtTheLineEnd) {
  EXPECT_EQ(parse_error("a,b,c\n1,2,3\n4,5\n"), "t.csv:3:4: row has 2 fields but the header has 3");
  EXPECT_EQ(parse_error("a,b\n1,2\n7"), "t.csv:3:2: row has 1 field but the header has 2");
}

TEST(CsvErrorTest, RaggedRowAfterMultiLineQuotedField) {
  EXPECT_THAT(parse_error("a,b\n\"x\ny\",1,2\n"), StartsWith("t.csv:3:6: row has 3 fields"));
}

TEST(CsvErrorTest, DuplicateHeaderName) {
  EXPECT_EQ(parse_error("x,y,x\n1,2,3\n"),
            "t.csv:1:5: duplicate column name \"x\" (also field 1 of the header)");
}

TEST(CsvErrorTest, FileNotFound) {
  const std::string message = input_error([] { read_csv("/nonexistent/dir/missing.csv"); });
  EXPECT_EQ(message,
            "/nonexistent/dir/missing.csv: cannot open the CSV file: No such file or directory");
}

TEST(CsvErrorTest, DirectoryIsNotAFile) {
  const std::string dir = std::filesystem::temp_directory_path().string();
  EXPECT_THAT(input_error([&] { read_csv(dir); }), HasSubstr("not a regular file (a directory)"));
}

TEST(CsvErrorTest, ErrorsFromFilesNameTheFile) {
  const auto path = std::filesystem::temp_directory_path() / "xigrad_csv_test_ragged.csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << "a,b\r\n1,2\r\n3\r\n";
  }
  const std::string message = input_error([&] { read_csv(path); });
  std::filesystem::remove(path);
  EXPECT_EQ(message, path.string() + ":3:2: row has 1 field but the header has 2");
}

// ---- the shared data sets

TEST(CsvFileTest, Heart) {
  const CsvTable t = read_csv(kDataDir / "Heart.csv");
  EXPECT_THAT(t.header,
              ElementsAre("key", "Age", "Sex", "ChestPain", "RestBP", "Chol", "Fbs", "RestECG",
                          "MaxHR", "ExAng", "Oldpeak", "Slope", "Ca", "Thal", "AHD"));
  ASSERT_EQ(t.rows.size(), 303U);
  EXPECT_THAT(t.rows[0], ElementsAre("1", "63", "1", "typical", "145", "233", "1", "2", "150", "0",
                                     "2.3", "3", "0", "fixed", "No"));
  EXPECT_EQ(t.rows[87][13], "NA");
  EXPECT_EQ(t.where(87, 13), (kDataDir / "Heart.csv").string() + ":89:48");
}

TEST(CsvFileTest, Auto) {
  const CsvTable t = read_csv(kDataDir / "Auto.csv");
  ASSERT_EQ(t.rows.size(), 397U);
  EXPECT_EQ(t.header.back(), "name");
  EXPECT_EQ(t.rows[0].back(), "chevrolet chevelle malibu");
  EXPECT_EQ(t.rows[32][3], "?");
}

}  // namespace
}  // namespace xi::models
