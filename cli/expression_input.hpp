#pragma once
// What the expression subcommands share: the EXPR argument, `--at NAME=VALUE[,...]`, `--json`,
// and the expression parsed and bound to those values, ready to record on the tape.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/var.hpp>

#include "expr/program.hpp"

namespace CLI {
class App;
}

namespace xi::cli {

/// Prefix app.cpp puts on an argument such as "-y*log(p)" so CLI11 does not take it for an
/// option; unprotect() removes it.
inline constexpr std::string_view kProtectMark = "\x1f";
std::string unprotect(std::string s);

/// NAME=VALUE pairs from `--at` (each element one occurrence, itself a comma-separated list).
/// A value is a number, or an expression of numbers and constants (8/7, pi/4). Throws
/// InputError naming a malformed item, a repeated name or a value that is not a number.
struct Binding {
  std::string name;
  double value = 0;
};
std::vector<Binding> parse_bindings(std::span<const std::string> at);

/// A NAME for a variable: an identifier that is not a function or constant name.
void check_variable_name(const std::string& name, std::string_view context);

/// EXPR, --at and --json on a subcommand.
struct ExpressionArgs {
  std::string expression;
  std::vector<std::string> at;
  bool json = false;
  void add_to(CLI::App& cmd);
};

/// The values of a recording: the leaves (one per variable, named, in --at order) and the value
/// of every instruction of the program.
struct Recording {
  std::vector<Var> leaves;
  std::vector<Var> values;
  const Var& result() const { return values.back(); }
};

/// An expression bound to values: the parsed program and the variables in --at order.
class Problem {
 public:
  explicit Problem(const ExpressionArgs& args);
  Problem(std::string expression, std::vector<Binding> bindings);

  const Program& program() const noexcept { return program_; }
  const std::vector<Binding>& bindings() const noexcept { return bindings_; }
  std::vector<std::string> names() const;
  Vector point() const;
  /// "w = 0.5, x = 2, y = 1"
  std::string point_text() const;

  /// Records the expression on the current tape with every variable a named leaf.
  Recording record() const;
  /// The expression with variable i bound to `vars[i]` (in --at order).
  Var evaluate(std::span<const Var> vars) const;
  std::vector<Var> evaluate_all(std::span<const Var> vars) const;
  /// The expression as a function of all variables (x[i] is the i-th --at variable).
  ScalarFunction function() const;

  /// Runs the reverse sweep from the result and returns ∂L/∂leaf (in --at order; zeros when the
  /// expression depends on no variable). Throws NonFiniteError naming the first node whose value
  /// or adjoint is not finite (and, for a value, where the expression computes it).
  std::vector<double> backward_checked(const Recording& r) const;

 private:
  Program program_;
  std::vector<Binding> bindings_;
  std::vector<std::size_t> index_;  // program variable -> binding
};

/// Where instruction i of `program` is: "`exp(-w*x)` (column 5)" and the caret lines.
std::string locate(const Program& program, std::uint32_t i);

}  // namespace xi::cli
