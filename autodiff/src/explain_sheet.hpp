#pragma once
// The tables the exports render (Markdown, LaTeX, HTML), built once from an Explanation or a
// GradientReport: each cell is plain Unicode text (ξ4, ∂, ·) that a renderer escapes for its
// format. Every cell of a node's row comes from one function below, so a new field of NodeRow
// (vector values, partials and adjoints) is rendered by changing that function alone.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <xigrad/autodiff/check.hpp>
#include <xigrad/autodiff/explain.hpp>

namespace xi::detail {

/// One cell: one or more parts (a node's partials are one part each); renderers join them.
using Cell = std::vector<std::string>;

struct Sheet {
  std::vector<std::string> header;
  std::string align;  ///< 'l' or 'r' per column
  std::string kind;   ///< 'm' (a formula or a number: math in LaTeX) or 't' (text) per column
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> keys;  ///< per row: the graph key of the node it describes (or "")
};

/// Width of `s` in columns, one per code point (combining marks none); defined in explain.cpp.
std::size_t display_width(std::string_view s);

/// A number as the tables print it: 6 significant digits, "nan" and "inf" spelled out, no "-0".
std::string cell_number(double v);

// The cells of the ξ table.
std::string leaf_value_cell(const LeafRow& l);
std::string leaf_adjoint_cell(const LeafRow& l);
std::string node_name_cell(const NodeRow& n);   ///< "ξ4"
std::string definition_cell(const NodeRow& n);  ///< "1 + ξ3" (the right-hand side)
std::string value_cell(const NodeRow& n);       ///< "0.731059"; a tensor "[0.5, …] (2)"
std::string adjoint_cell(const NodeRow& n);     ///< ∂L/∂ξ, as value_cell
std::string partial_cell(const NodeRow& n, const PartialRow& p);  ///< "∂ξ5/∂ξ4 = -1/ξ4^2 = -0.53"

/// "w[3]" → {"w", "[3]"}, "ξ2[0]" → {"ξ2", "[0]"}; a whole value's name → {name, ""}.
std::pair<std::string, std::string> split_element(const std::string& printed_name);

/// Graph keys: "xi4" for ξ4 (and its elements "ξ4[1]"), "leaf-w" for w (and "w[1]").
std::string node_key(const NodeRow& n);
std::string leaf_key(const std::string& leaf_name);
std::string key_of_name(const std::string& printed_name);

/// The ξ table: ξ | definition | value | local partials | ∂L/∂ξ [| note].
Sheet xi_sheet(const Explanation& e);
/// The reverse sweep: step | chain rule | adjoint · partial | ∂L/∂target.
Sheet steps_sheet(const Explanation& e);
/// A gradient check: variable | [hand |] autodiff | finite difference | rel. error | verdict.
Sheet check_sheet(const GradientReport& r);

}  // namespace xi::detail
