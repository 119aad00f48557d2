#pragma once
// What the expression subcommands share: the EXPR argument, `--at NAME=VALUE[,...]`, `--json`,
// the data options (data_input.hpp), and the expression parsed, shape-checked and bound to those
// values, ready to record on the tape.

#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/var.hpp>

#include "data_input.hpp"
#include "expr/program.hpp"
#include "expr/value.hpp"
#include "format.hpp"

namespace CLI {
class App;
}

namespace xi::cli {

/// Prefix app.cpp puts on an argument such as "-y*log(p)" so CLI11 does not take it for an
/// option; unprotect() removes it.
inline constexpr std::string_view kProtectMark = "\x1f";
std::string unprotect(std::string s);

/// A variable's value from `--at`: a number, a vector [a, b, ...] or a matrix [[a, b], [c, d]].
struct Binding {
  std::string name;
  Shape shape = Shape::scalar();
  std::vector<double> values;  // row-major, shape.size() of them

  Binding() = default;
  Binding(std::string n, double v) : name(std::move(n)), values{v} {}
  double scalar() const { return values.front(); }
};

/// `s` without leading and trailing blanks (spaces and tabs).
std::string trim(std::string_view s);

/// NAME=VALUE pairs from `--at` (each element one occurrence, itself a comma-separated list;
/// commas inside brackets and parentheses do not split). A value is a number, an expression of
/// numbers and constants (8/7, pi/4) or a vector or matrix literal of them. Throws InputError
/// naming a malformed item, a repeated name or a value that is not finite.
std::vector<Binding> parse_bindings(std::span<const std::string> at,
                                    std::string_view option = "--at");

/// A NAME for a variable: an identifier that is not a function or constant name.
void check_variable_name(const std::string& name, std::string_view context);

/// EXPR, --at, --const, --json and the data options on a subcommand. `--const NAME=VALUE[,...]`
/// binds names as constants: data, not differentiated, not coordinates.
struct ExpressionArgs {
  std::string expression;
  std::vector<std::string> at;
  std::vector<std::string> constants;
  bool json = false;
  DataArgs data;
  void add_to(CLI::App& cmd);
};

/// The values of a recording: the leaves (one per variable, named, in --at order) and the value
/// of every instruction of the program.
struct Recording {
  std::vector<Value> leaves;
  std::vector<Value> values;
  const Value& result_value() const { return values.back(); }
  /// The expression's value (a scalar: Problem checks it).
  const Var& result() const { return values.back().scalar(); }
};

/// An expression bound to values: the parsed program, the variables in --at order and the data.
/// The shapes are checked when it is made. Every variable's components, flattened in --at order
/// (W[0], W[1], ..., b), are the coordinates x of function(), point() and the gradient.
class Problem {
 public:
  /// Notes dropped data rows on `err`. `extra` are further expressions over the same variables
  /// (check's hand gradients) whose data columns must be loaded too.
  Problem(const ExpressionArgs& args, std::ostream& err, std::span<const Program> extra = {});
  /// `result` is the shape the expression must have (a scalar unless said otherwise).
  Problem(std::string expression, std::vector<Binding> bindings,
          std::shared_ptr<const BoundData> data = nullptr, Shape result = Shape::scalar(),
          std::vector<Binding> constants = {});

  const Program& program() const noexcept { return program_; }
  const std::vector<Binding>& bindings() const noexcept { return bindings_; }
  const std::shared_ptr<const BoundData>& data() const noexcept { return data_; }
  /// The --const names, in order.
  const std::vector<Binding>& constant_bindings() const noexcept { return constants_; }
  std::vector<std::string> names() const;
  /// "W[0]", "W[1]", "b", ...: the coordinates, in order (a matrix's "X[0][1]").
  std::vector<std::string> component_names() const;
  /// Where variable i's components start among the coordinates.
  std::size_t offset(std::size_t i) const { return offsets_[i]; }
  std::size_t dimension() const { return offsets_.back(); }
  Vector point() const;
  /// "w = 0.5, W = [1, 2], b = 0"
  std::string point_text() const;

  /// Records the expression on the current tape with every variable a named leaf.
  Recording record() const;
  /// The expression with variable i bound to `vars[i]` (in --at order).
  Value evaluate(std::span<const Value> vars) const;
  std::vector<Value> evaluate_all(std::span<const Value> vars) const;
  /// The value of each of program().variables: vars[i] for a variable, a constant for a
  /// --const name or a data column.
  std::vector<Value> bound_values(std::span<const Value> vars) const;
  /// The variables as values taken from the coordinates x (scalars as x[i], vectors and
  /// matrices as slices of x).
  std::vector<Value> split(const Tensor& x) const;
  /// The variables as constants at their --at values.
  std::vector<Value> constants() const;
  /// The expression as a function of the coordinates.
  ScalarFunction function() const;
  /// Its value at the coordinates x, recording nothing that outlives the call.
  double value_at(const Vector& x) const;

  /// Runs the reverse sweep from the result and returns ∂L/∂coordinate (zeros when the
  /// expression depends on no variable). Throws NonFiniteError naming the first node whose value
  /// or adjoint is not finite (and, for a value, where the expression computes it).
  std::vector<double> backward_checked(const Recording& r) const;

 private:
  Program program_;
  std::vector<Binding> bindings_;
  std::shared_ptr<const BoundData> data_;
  std::vector<Binding> constants_;
  // program variable -> binding, or bindings + constant, or bindings + constants + data binding
  std::vector<std::size_t> index_;
  std::vector<std::size_t> offsets_;  // binding -> first coordinate; back() = dimension
};

/// Coordinates [offset, offset + shape.size()) of the vector x as a value of `shape`.
Value slice_of(const Tensor& x, std::size_t offset, const Shape& shape);

/// {"W": [g0, g1], "b": g}: flat values (one per coordinate) under their variables' names, a
/// vector as an array, a matrix as an array of rows.
Json variables_json(const std::vector<Binding>& bindings, std::span<const double> flat);

/// Where instruction i of `program` is: "`exp(-w*x)` (column 5)" and the caret lines.
std::string locate(const Program& program, std::uint32_t i);

/// "1.5", "[1, 2]", "[[1, 2], [3, 4]]" (6 significant digits).
std::string value_text(const Shape& shape, std::span<const double> values);

}  // namespace xi::cli
