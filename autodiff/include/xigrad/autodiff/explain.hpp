#pragma once
// Showing the work: the ξ table of a recorded computation (id, definition, value, each local
// partial as a formula and its numbers, the adjoint ∂L/∂ξ), the reverse sweep step by step, a
// Graphviz rendering, and the anomaly check that names the first non-finite node.
//
//   xi::Var L = -y * xi::log(1 / (1 + xi::exp(-w * x)));
//   fmt::print("{}", xi::explain(L).table());
//
// Tensor nodes and tensor leaves are rows of their own with all their values: a vector leaf W is
// one leaf row with its adjoint vector ∂L/∂W, and ξ1 = W·X shows ∂ξ1/∂W = X = [2, 1].
// The same tables as Markdown, LaTeX or a steppable HTML page: export.hpp.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <xigrad/autodiff/tensor.hpp>
#include <xigrad/autodiff/var.hpp>

namespace xi {

/// One local partial ∂ξ/∂(input) of a node, as the lecture writes it: for a scalar node one
/// number; for a tensor node the element-wise partial (exp(ξ2) = [...], output's shape), the
/// other operand of a product (∂(W·X)/∂W = X, ∂(X@W)/∂W = X), a constant (sum: 1, mean: 1/n,
/// reshape / slice / stack: 1 where it copies) or, for other ops, the Jacobian.
struct PartialRow {
  std::string input;    // printed name of the input: "ξ3", "w", or a constant
  std::string formula;  // "-1/ξ4^2" (the op's formula with inputs substituted)
  double value = 0;     // its number when it is one number (shape ()), else NaN
  Shape shape;          // shape of `values`
  // Its numbers, row-major (empty for a Jacobian of more than 65536 entries).
  std::vector<double> values;
  /// How the reverse sweep uses it: "·" (∂L/∂ξ times this) or "⊙" (element by element, summed
  /// over broadcast axes).
  std::string product = "·";
};

/// One row of the ξ table.
struct NodeRow {
  Index id = 0;                     // ξ number: recording order of non-leaf nodes, from 1
  Index slot = 0;                   // tape slot
  std::string op;                   // op name, e.g. "reciprocal"
  std::string definition;           // "ξ4 = 1 + ξ3"
  std::vector<std::string> inputs;  // printed names of the inputs
  std::vector<Index> input_ids;     // ξ ids of inputs that are nodes (0 for leaves/constants)
  Shape shape;                      // () for scalar nodes
  double value = 0;                 // scalar value (first element for tensors)
  std::vector<double> values;       // every element (row-major, shape.size() of them)
  std::vector<PartialRow> partials;
  double adjoint = 0;            // ∂L/∂ξ (first element for tensors)
  std::vector<double> adjoints;  // ∂L/∂ξ for every element
  std::string kink;              // the subgradient taken, when the node sits on a kink
};

/// A leaf (an independent variable) of the computation; a tensor leaf or parameter read whole
/// by a tensor node is one row.
struct LeafRow {
  std::string name;  // given name, or "x<slot>"
  Index slot = 0;    // its first slot
  Shape shape;       // () for a scalar leaf
  double value = 0;  // first element for a tensor leaf
  std::vector<double> values;
  double adjoint = 0;  // ∂L/∂leaf (first element for a tensor leaf)
  std::vector<double> adjoints;
};

/// One chain-rule step of the reverse sweep: ∂L/∂(to) += ∂L/∂(from) · ∂from/∂to. A step through
/// a tensor node is a vector–Jacobian product: its vectors are in the *_values fields.
struct SweepStep {
  std::string from, to;
  double adjoint = 0;            // ∂L/∂from (first element for a tensor step)
  double partial = 0;            // ∂from/∂to (first element for a tensor step)
  double before = 0, after = 0;  // ∂L/∂to before and after this step (first elements)
  bool tensor = false;           // a step through a tensor node: the fields below are filled
  Shape from_shape, to_shape;
  std::vector<double> adjoints;  // ∂L/∂from
  PartialRow partial_row;        // ∂from/∂to as the ξ table shows it
  std::vector<double> contribution, before_values, after_values;  // of shape to_shape
};

struct Explanation {
  std::vector<LeafRow> leaves;
  std::vector<NodeRow> nodes;    // recording order
  std::vector<SweepStep> steps;  // reverse sweep order
  double value = 0;

  /// The ξ table as aligned text: to_text(xi_table(e)) (export.hpp, table.hpp).
  std::string table() const;
  /// The reverse sweep one chain-rule step a row, as aligned text: to_text(steps_table(e)).
  std::string steps_text() const;
};

/// A constant tensor printed by name: `data` is what Tensor::data() of an xi::constant or
/// xi::borrow returns (the borrowed matrix's own data for borrow).
struct ConstantName {
  const double* data = nullptr;
  std::string name;
};

/// A scalar constant recorded on the current tape under a name, so that explain and to_dot print
/// it by name ("ξ6 = -y·ξ5", "∂ξ6/∂ξ5 = -y = -1") where a plain number would print its value. It
/// is no leaf: the table shows no partial with respect to it and no gradient for it.
Var named_constant(double value, std::string name);
/// A constant tensor recorded under a name in the same way: "ξ1 = W·(-X)" with ∂ξ1/∂W = -X.
/// Its values are copied onto the tape.
Tensor named_constant(const double* data, Shape shape, std::string name);

/// The ξ table of the computation that produced L (its tape must keep values). Runs a reverse
/// sweep to fill the adjoints. Constant tensor inputs listed in `constants` print by name.
Explanation explain(const Var& L, std::span<const ConstantName> constants = {});

/// Graphviz (dot) rendering: leaves, constants and the output coloured; nodes labelled with
/// definition, value and adjoint (whole vectors when short).
std::string to_dot(const Var& L, std::span<const ConstantName> constants = {});

/// "[2, 1]", "[[1, 2], [3, 4]]", a number for shape (); longer than `shown` elements per row or
/// rows: the first ones, "…" and the last, then the shape: "[0, 0.1, 0.2, …, 4.9] (50)".
std::string values_text(const Shape& shape, std::span<const double> values, std::size_t shown = 6);

/// Throws NonFiniteError naming the first node (in recording order) whose value is not finite,
/// or else the first node reached by the reverse sweep whose adjoint is not finite.
void throw_if_not_finite(const Tape& tape, const Var& L);

/// Finds the first non-finite node without throwing; returns its description.
std::optional<std::string> find_non_finite(const Tape& tape, const Var& L);

}  // namespace xi
