// CSV reading: a byte cursor that tracks line and column, and a record parser on top of it.

#include <xigrad/models/csv.hpp>
#include <xigrad/optim/input_file.hpp>

#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/printable.hpp>

#include <fstream>
#include <iterator>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace xi::models {

std::optional<std::size_t> CsvTable::find_column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return std::nullopt;
}

std::string CsvTable::where(CsvLocation at) const {
  return source + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

std::string CsvTable::where(std::size_t row, std::size_t column) const {
  return where(locations.at(row).at(column));
}

namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

bool is_utf8_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

/// Walks a text byte by byte, keeping the 1-based line and character column of the current byte.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {
    if (text_.starts_with(kByteOrderMark)) pos_ = kByteOrderMark.size();
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  bool at_line_break() const { return !at_end() && (peek() == '\n' || peek() == '\r'); }
  CsvLocation location() const { return {line_, column_}; }

  /// Moves past one byte that is not a line break; UTF-8 continuation bytes share a column.
  void advance() {
    ++pos_;
    if (at_end() || !is_utf8_continuation(peek())) ++column_;
  }

  /// Moves past a line break: "\r\n", "\n" or a lone "\r".
  void skip_line_break() {
    if (peek() == '\r') ++pos_;
    if (!at_end() && peek() == '\n') ++pos_;
    ++line_;
    column_ = 1;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t column_ = 1;
};

/// Shows a byte in a message: the character itself when printable ASCII, else its code.
std::string describe_char(char c) {
  const auto code = static_cast<unsigned char>(c);
  if (code >= 0x20 && code < 0x7F) return std::string("'") + c + "'";
  return "byte " + std::to_string(code);
}

/// One record: its fields, where each starts, and where the record ends.
struct Record {
  std::vector<std::string> fields;
  std::vector<CsvLocation> starts;
  CsvLocation end;
};

/// Parses records from a cursor; errors name `source`.
class Parser {
 public:
  Parser(std::string_view text, const std::string& source) : cursor_(text), source_(source) {}

  /// Reads the next non-blank record into `record`; false at the end of the text.
  bool next(Record& record) {
    while (cursor_.at_line_break()) cursor_.skip_line_break();
    if (cursor_.at_end()) return false;
    record.fields.clear();
    record.starts.clear();
    for (;;) {
      record.starts.push_back(cursor_.location());
      record.fields.push_back(read_field());
      if (!cursor_.at_end() && cursor_.peek() == ',') {
        cursor_.advance();
        continue;
      }
      record.end = cursor_.location();
      if (cursor_.at_line_break()) cursor_.skip_line_break();
      return true;
    }
  }

  [[noreturn]] void fail(CsvLocation at, const std::string& what) const {
    throw InputError(source_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                     ": " + what);
  }

 private:
  bool at_field_end() const {
    return cursor_.at_end() || cursor_.peek() == ',' || cursor_.at_line_break();
  }

  std::string read_field() {
    if (!cursor_.at_end() && cursor_.peek() == '"') return read_quoted();
    return read_unquoted();
  }

  std::string read_unquoted() {
    std::string field;
    while (!at_field_end()) {
      if (cursor_.peek() == '"') {
        fail(cursor_.location(),
             "quote character inside an unquoted field; enclose the whole field in quotes and "
             "write the quote as \"\"");
      }
      field += cursor_.peek();
      cursor_.advance();
    }
    return field;
  }

  std::string read_quoted() {
    const CsvLocation open = cursor_.location();
    cursor_.advance();
    std::string field;
    for (;;) {
      if (cursor_.at_end()) fail(open, "unterminated quoted field: this quote is never closed");
      const char c = cursor_.peek();
      if (cursor_.at_line_break()) {
        field += '\n';
        cursor_.skip_line_break();
        continue;
      }
      cursor_.advance();
      if (c != '"') {
        field += c;
      } else if (!cursor_.at_end() && cursor_.peek() == '"') {
        field += '"';
        cursor_.advance();
      } else {
        break;
      }
    }
    if (!at_field_end()) {
      fail(cursor_.location(), "unexpected " + describe_char(cursor_.peek()) +
                                   " after a closing quote; expected ',' or the end of the line");
    }
    return field;
  }

  Cursor cursor_;
  const std::string& source_;
};

void check_unique_names(const Parser& parser, const Record& header) {
  std::unordered_map<std::string_view, std::size_t> seen;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const auto [it, inserted] = seen.emplace(header.fields[i], i);
    if (!inserted) {
      parser.fail(header.starts[i], "duplicate column name \"" + printable(header.fields[i], 40) +
                                        "\" (also field " + std::to_string(it->second + 1) +
                                        " of the header)");
    }
  }
}

void check_field_count(const Parser& parser, const Record& row, std::size_t expected) {
  const std::size_t got = row.fields.size();
  if (got == expected) return;
  const std::string what = "row has " + std::to_string(got) + " field" + (got == 1 ? "" : "s") +
                           " but the header has " + std::to_string(expected);
  if (got > expected) parser.fail(row.starts[expected], what + " (first extra field here)");
  parser.fail(row.end, what);
}

}  // namespace

CsvTable parse_csv(std::string_view text, std::string source) {
  CsvTable table;
  table.source = std::move(source);
  Parser parser(text, table.source);
  Record record;
  if (!parser.next(record)) parser.fail({1, 1}, "empty file: expected a header row");
  check_unique_names(parser, record);
  table.header = std::move(record.fields);
  table.header_locations = std::move(record.starts);
  while (parser.next(record)) {
    check_field_count(parser, record, table.header.size());
    table.rows.push_back(std::move(record.fields));
    table.locations.push_back(std::move(record.starts));
  }
  return table;
}

CsvTable read_csv(const std::filesystem::path& path, const optim::InputLimits& limits) {
  return parse_csv(optim::read_input_file(path, "CSV file", limits), path.string());
}

}  // namespace xi::models
