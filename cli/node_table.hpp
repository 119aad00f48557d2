#pragma once
// A student's ξ table, read from a text file for `xigrad check --nodes FILE` (docs/cli.md): one
// row per line, the node's name, its definition in the leaves and earlier nodes, and the local
// partials derived by hand, separated by '|':
//
//   # the lecture's L^A (comments and blank lines are allowed)
//   xi1 = -dot(W, X)   | d/W = -X
//   xi4 = 1/xi3        | d/xi3 = -1/xi3^2
//   L   = -y*xi5       | d/xi5 = -y
//
// ξ may be written for xi (ξ1 is xi1) and ∂/∂NAME for d/NAME. Definitions and partials are
// expressions of the CLI's language (cli/expr/parser.hpp).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <xigrad/autodiff/error.hpp>

#include "expr/program.hpp"

namespace xi::cli {

/// An expression of the table and where it starts in its line (bytes).
struct HandExpr {
  Program program;
  std::size_t offset = 0;
};

/// A hand-derived local partial ∂row/∂input.
struct HandPartial {
  std::string input;
  std::size_t input_offset = 0;  // where `d/input` starts in the line
  HandExpr formula;
};

struct HandRow {
  std::string name;      // "xi1" (a ξ written as xi)
  std::size_t line = 0;  // 1-based line of the file
  std::string text;      // the line as written
  HandExpr definition;
  std::vector<HandPartial> partials;
  /// The names the definition uses, in order of first use.
  std::vector<std::string> inputs() const;
};

struct HandTable {
  std::string file;  // as given, for messages
  std::vector<HandRow> rows;

  /// "FILE:LINE:COLUMN: what" and the line with a caret under bytes [offset, offset + length).
  InputError error_at(const HandRow& row, std::size_t offset, std::size_t length,
                      std::string_view what) const;
};

/// Parses the text of a table. Throws InputError (file, line, column and a caret) for a row that
/// does not parse, a repeated row name, a partial with respect to a name that is not an input of
/// the row, or a partial given twice.
HandTable parse_node_table(std::string_view text, std::string file);

/// Reads and parses the file at `path` (a regular file only, as every input file).
HandTable read_node_table(const std::string& path);

}  // namespace xi::cli
