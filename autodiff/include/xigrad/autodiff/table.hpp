#pragma once
// A table of plain-text cells (Unicode: ξ4, ∂, ·), built once and rendered in every format: as
// aligned text here, as Markdown, LaTeX or HTML by export.hpp. The ξ table, the reverse sweep
// and a gradient check are such tables (xi_table, steps_table and check_table in export.hpp).
//
//   xi::Table t{.header = {"variable", "value"}, .align = "lr", .kind = "mm"};
//   t.rows.push_back({{"w"}, {"0.5"}});
//   fmt::print("{}", xi::to_text(t));  // variable  value / ─────── / w           0.5

#include <string>
#include <vector>

namespace xi {

struct Table {
  /// One cell: one or more parts (a node's local partials are one part each).
  using Cell = std::vector<std::string>;

  std::vector<std::string> header{};
  std::string align{};  ///< per column: 'l' or 'r'
  std::string kind{};   ///< per column: 'm' (a formula or a number: math in LaTeX) or 't' (text)
  std::vector<std::vector<Cell>> rows{};
  /// A line above the table (optional): in text and Markdown a paragraph, in HTML a heading.
  std::string caption{};
  /// Paragraphs under the table (plain text; one may hold several lines, "\n" apart).
  std::vector<std::string> notes{};
};

struct TextStyle {
  bool rule = true;         ///< a line of ─ under the header
  bool right_align = true;  ///< honour the 'r' columns (otherwise every column is left-aligned)
  /// What joins the parts of a cell; empty: each part after the first goes on a continuation
  /// line of its own, the other cells of that line blank.
  std::string join = "; ";
};

/// Columns padded to their widest cell (one column per code point), two spaces apart, no
/// trailing spaces, each line ending with '\n'; the caption and a blank line above, and each
/// note after a blank line below.
std::string to_text(const Table& table, const TextStyle& style = {});

}  // namespace xi
