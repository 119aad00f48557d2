#pragma once
// A small RFC 4180 CSV reader: a header row, then data rows of strings.
//
// Accepted: quoted fields ("a, b", "say ""hi""", line breaks inside quotes), LF, CRLF or CR line
// ends, an optional final line end, a UTF-8 byte-order mark. Blank lines are skipped (so in a
// one-column file an empty value must be written as ""). Line breaks inside quoted fields are
// returned as "\n". Fields are not trimmed and every field is a string; typing belongs to the
// caller (see dataset.hpp).
//
// Every error is an xi::InputError whose message starts with "file:line:column: ", where line and
// column are 1-based and the column counts characters (UTF-8 code points) within the line. Text
// from the file in a message is escaped (xi::printable).

#include <xigrad/optim/input_file.hpp>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xi::models {

/// A position in a CSV text: 1-based line and 1-based character column.
struct CsvLocation {
  std::size_t line = 0;
  std::size_t column = 0;
};

/// A parsed CSV file: the header and the data rows, each cell with the place it starts.
///
/// Every row has exactly `header.size()` fields; `locations[r][c]` is where `rows[r][c]` starts.
struct CsvTable {
  std::string source;                               ///< file name used in messages
  std::vector<std::string> header;                  ///< column names, unique
  std::vector<CsvLocation> header_locations;        ///< where each column name starts
  std::vector<std::vector<std::string>> rows;       ///< data rows, header excluded
  std::vector<std::vector<CsvLocation>> locations;  ///< where each cell starts

  /// Index of the column called `name`, or nothing if there is none.
  std::optional<std::size_t> find_column(std::string_view name) const;

  /// "source:line:column", the prefix of every message about that place.
  std::string where(CsvLocation at) const;

  /// "source:line:column" of cell (`row`, `column`).
  std::string where(std::size_t row, std::size_t column) const;
};

/// Parses CSV `text`; `source` names it in error messages.
///
/// Example: `parse_csv("x,y\n1,\"a,b\"\n", "inline.csv").rows[0][1] == "a,b"`.
/// Throws xi::InputError on an empty text, an unterminated quoted field, a character after a
/// closing quote, a quote inside an unquoted field, a row whose field count differs from the
/// header's, or a duplicate column name.
CsvTable parse_csv(std::string_view text, std::string source = "<string>");

/// Reads and parses the CSV file at `path` (named in messages as given).
///
/// The file is read under xigrad's input-file policy (optim::read_input_file): a FIFO, a device
/// or a directory is refused before a byte is read, and `limits` bound its size (4 GiB) and the
/// length of a line (1 MiB). Throws xi::InputError ("file: ..." or "file:line: ...") if the file
/// is refused or cannot be read, or as parse_csv does.
CsvTable read_csv(const std::filesystem::path& path, const optim::InputLimits& limits = {});

}  // namespace xi::models
