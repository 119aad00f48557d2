#pragma once
// The cells of the ξ table and of the reverse sweep, as plain Unicode text (ξ4, ∂, ·): one
// function per kind of cell, shared by the tables (xi_table, steps_table in export.hpp) and the
// graph of the HTML export, so that every format shows a value the same way.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <xigrad/autodiff/explain.hpp>

namespace xi::detail {

/// Width of `s` in columns, one per code point (combining marks none); defined in explain.cpp.
std::size_t display_width(std::string_view s);

std::string node_name_cell(const NodeRow& n);   ///< "ξ4"
std::string definition_cell(const NodeRow& n);  ///< "1 + ξ3" (the right-hand side)
/// "∂ξ5/∂ξ4 = -1/ξ4^2 = -0.53", "∂ξ1/∂W = X = [2, 1]"; the number alone when the formula is it.
std::string partial_cell(const NodeRow& n, const PartialRow& p);
/// A partial's numbers (a number, a short vector or matrix), or its formula when it keeps none.
std::string partial_values(const PartialRow& p, std::size_t shown = 6);
/// ∂L/∂(target) after a step: a number, or the vector of a step through a tensor node.
std::string step_after_cell(const SweepStep& s);

/// The lines of a caption or a note ("a\nb" → {"a", "b"}); each renderer sets them its own way.
std::vector<std::string_view> lines_of(std::string_view text);

/// "w[3]" → {"w", "[3]"}, "ξ2[0]" → {"ξ2", "[0]"}; a whole value's name → {name, ""}.
std::pair<std::string, std::string> split_element(const std::string& printed_name);

/// Graph keys: "xi4" for ξ4 (and its elements "ξ4[1]"), "leaf-w" for w (and "w[1]").
std::string node_key(const NodeRow& n);
std::string leaf_key(const std::string& leaf_name);
std::string key_of_name(const std::string& printed_name);

}  // namespace xi::detail
