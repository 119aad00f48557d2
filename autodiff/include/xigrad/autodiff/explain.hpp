#pragma once
// Showing the work: the ξ table of a recorded computation (id, definition, value, each local
// partial as a formula and a number, the adjoint ∂L/∂ξ), the reverse sweep step by step, a
// Graphviz rendering, and the anomaly check that names the first non-finite node.
//
//   xi::Var L = -y * xi::log(1 / (1 + xi::exp(-w * x)));
//   fmt::print("{}", xi::explain(L).table());
//
// The same tables as Markdown, LaTeX or a steppable HTML page: export.hpp.

#include <optional>
#include <string>
#include <vector>

#include <xigrad/autodiff/var.hpp>

namespace xi {

/// One local partial ∂ξ/∂(input) of a node.
struct PartialRow {
  std::string input;    // printed name of the input: "ξ3", "w", or a constant
  std::string formula;  // "-1/ξ4^2" (the op's formula with inputs substituted)
  double value = 0;     // its number at this point (scalar nodes; NaN for tensor rules)
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
  std::vector<PartialRow> partials;
  double adjoint = 0;  // ∂L/∂ξ (first element for tensors)
  std::string kink;    // the subgradient taken, when the node sits on a kink
};

/// A leaf (an independent variable) of the computation.
struct LeafRow {
  std::string name;  // given name, or "x<slot>"
  Index slot = 0;
  double value = 0;
  double adjoint = 0;  // ∂L/∂leaf
};

/// One chain-rule step of the reverse sweep: ∂L/∂(to) += ∂L/∂(from) · ∂from/∂to.
struct SweepStep {
  std::string from, to;
  double adjoint = 0;            // ∂L/∂from
  double partial = 0;            // ∂from/∂to
  double before = 0, after = 0;  // ∂L/∂to before and after this step
};

struct Explanation {
  std::vector<LeafRow> leaves;
  std::vector<NodeRow> nodes;    // recording order
  std::vector<SweepStep> steps;  // reverse sweep order (scalar nodes)
  double value = 0;

  /// The ξ table as aligned text.
  std::string table() const;
  /// The reverse sweep one chain-rule step at a time.
  std::string steps_text() const;
};

/// The ξ table of the computation that produced L (its tape must keep values). Runs a reverse
/// sweep to fill the adjoints.
Explanation explain(const Var& L);

/// Graphviz (dot) rendering: leaves, constants and the output coloured; nodes labelled with
/// definition, value and adjoint.
std::string to_dot(const Var& L);

/// Throws NonFiniteError naming the first node (in recording order) whose value is not finite,
/// or else the first node reached by the reverse sweep whose adjoint is not finite.
void throw_if_not_finite(const Tape& tape, const Var& L);

/// Finds the first non-finite node without throwing; returns its description.
std::optional<std::string> find_non_finite(const Tape& tape, const Var& L);

}  // namespace xi
