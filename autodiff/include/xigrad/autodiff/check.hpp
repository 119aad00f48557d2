#pragma once
// Gradient checking: the engine's gradient beside central finite differences and, when given, a
// hand-derived gradient, component by component; and a node-by-node check of a recorded
// computation that names the first node whose local partials disagree with finite differences
// of that node alone (this finds the bug in a custom operation's rule).
//
//   auto report = xi::check_gradient(f, x, hand_derived);
//   fmt::print("{}", report.table());
//   if (!report.ok) ...

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <xigrad/autodiff/grad.hpp>

namespace xi {

struct CheckOptions {
  double rel_tol = 1e-6;    // relative error accepted (against max(|a|, |b|, abs_floor))
  double abs_floor = 1e-8;  // below this magnitude errors are judged absolutely
  /// First step for component i: step_scale · |xᵢ| (step_scale at xᵢ = 0), relative so that it
  /// stays inside the domain near 0 (log, sqrt, 1/x); check_gradient then shrinks it until f is
  /// finite on both sides and the estimates at h and h/2 agree, and extrapolates (Richardson).
  double step_scale = 6.0e-6;
};

struct CheckComponent {
  std::string name;  // "x[0]" or a given name
  double autodiff = 0;
  double finite_difference = 0;
  std::optional<double> hand;  // hand-derived value, when given
  double step = 0;             // finite-difference step used
  double abs_error = 0;        // max |difference| among the values compared
  double rel_error = 0;        // abs_error / max(|values|, abs_floor)
  bool ok = true;
};

struct GradientReport {
  double value = 0;
  std::vector<CheckComponent> components;
  bool ok = true;
  /// Aligned table: component, autodiff, finite difference, [hand], step, abs err, rel err,
  /// verdict.
  std::string table() const;
};

/// Checks f's gradient at x. `hand` (optional) is a hand-derived gradient to compare too;
/// `names` (optional) labels the components.
GradientReport check_gradient(const ScalarFunction& f, const Vector& x,
                              const std::optional<Vector>& hand = std::nullopt,
                              const CheckOptions& options = {},
                              const std::vector<std::string>& names = {});

struct NodeCheck {
  Index id = 0;            // ξ number
  std::string definition;  // "ξ3 = cube(ξ2)"
  std::string op;
  double max_rel_error = 0;
  bool ok = true;
};

struct NodeReport {
  std::vector<NodeCheck> nodes;
  std::optional<NodeCheck> first_wrong;  // the first node (recording order) that disagrees
  bool ok = true;
  std::string table() const;
};

/// Checks every node recorded for L: each node's local partials (scalar nodes) or
/// vector–Jacobian rule (tensor nodes, with random probe vectors) against central finite
/// differences of that node's own forward function. The tape must keep values.
NodeReport check_nodes(const Var& L, const CheckOptions& options = {});

}  // namespace xi
