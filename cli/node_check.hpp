#pragma once
// A student's ξ table (node_table.hpp) checked row by row against the engine, for
// `xigrad check EXPR --at ... --nodes FILE`:
//
// - each row's value, computed from the table's own definitions, is matched by value to the
//   subexpressions of EXPR (the last row must be EXPR's value);
// - each hand partial d/INPUT is compared element-wise with the engine's derivative of that
//   row's definition, recorded with its inputs as leaves (a gradient, the diagonal of an
//   element-wise row, or a full Jacobian);
// - the chain: the gradient the table's partials give, multiplied back from the last row, is
//   compared with the engine's gradient of EXPR, for every --at variable some row derives.
//
// The first wrong row is named with the reason.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <xigrad/autodiff/check.hpp>
#include <xigrad/autodiff/shape.hpp>

#include "expression_input.hpp"
#include "node_table.hpp"

namespace xi::cli {

struct NodePartialResult {
  std::string input;
  std::string formula;         // as written
  Shape hand_shape;            // the hand partial's shape (a scalar may stand for every element)
  std::vector<double> hand;    // its value
  Shape engine_shape;          // the engine's derivative in the form the hand partial takes
  std::vector<double> engine;  // gradient, diagonal or Jacobian (rows: the row's elements)
  bool ok = true;
};

struct NodeRowResult {
  std::string name;
  std::size_t line = 0;
  std::string definition;
  Shape shape;
  std::vector<double> value;
  std::optional<std::string> match;  // the subexpression of EXPR with this value
  bool value_ok = true;
  std::vector<NodePartialResult> partials;
  std::vector<std::string> missing;  // inputs on a path to a derived variable with no partial
  std::string why;                   // empty when the row is right
  bool ok() const { return why.empty(); }
};

struct NodeChainComponent {
  std::string name;  // "W[0]"
  double table = 0;  // the table's partials multiplied back
  double engine = 0;
  bool ok = true;
};

struct NodeCheckReport {
  double value = 0;  // EXPR's value
  std::vector<NodeRowResult> rows;
  std::vector<NodeChainComponent> chain;
  std::vector<std::string> derived;        // the --at variables the table derives
  std::optional<std::size_t> first_wrong;  // index into rows
  bool chain_ok = true;
  bool ok = true;
};

/// Checks `table` against `problem` (EXPR with its --at values and data). Throws InputError
/// (file, line, column) for a row using an undefined name, a row named like a variable, a shape
/// mismatch or a last row that is not a scalar; NonFiniteError for a value or partial that is
/// not finite.
NodeCheckReport check_node_table(const Problem& problem, const HandTable& table,
                                 const CheckOptions& options = {});

/// A value for a message or a table cell: value_text() up to 6 elements, "(303 values)" beyond.
std::string brief_value(const Shape& shape, std::span<const double> values);

}  // namespace xi::cli
