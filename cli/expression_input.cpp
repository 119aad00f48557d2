#include "expression_input.hpp"

#include <cmath>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/tensor.hpp>

#include "expr/evaluate.hpp"
#include "expr/expr_error.hpp"
#include "expr/functions.hpp"
#include "expr/parser.hpp"
#include "expr/shapes.hpp"
#include "format.hpp"
#include "options.hpp"

namespace xi::cli {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

namespace {

// Splits at commas outside parentheses and brackets, so a value may be pow(2, 0.5) or [1, 2].
std::vector<std::string> split_items(const std::string& s) {
  std::vector<std::string> items;
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '(' || c == '[') ++depth;
    if ((c == ')' || c == ']') && depth > 0) --depth;
    if (c == ',' && depth == 0) {
      items.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  items.push_back(cur);
  return items;
}

// The value of `text`: an expression of numbers and constants, possibly a vector or matrix.
void parse_value(std::string_view option, const std::string& item, const std::string& text,
                 Binding& b) {
  if (text.empty())
    throw InputError(fmt::format("{} {}: the value is missing", option, shown(item)));
  const bool literal = text.front() == '[';
  const auto not_a_value = [&](const std::string& why) {
    return InputError(fmt::format("{} {}: '{}' is not {}{}", option, shown(item), shown(text),
                                  literal ? "a vector or matrix of numbers" : "a number", why));
  };
  Value v;
  try {
    const Program p = parse(text);
    if (!p.variables.empty()) throw not_a_value("");
    b.shape = infer_shapes(p, {}).back();
    NoGrad no_grad;
    v = cli::evaluate(p, {});
  } catch (const ExprError& e) {
    if (e.description().find("too large for a double") != std::string::npos) {
      throw InputError(fmt::format(
          "{} {}: '{}' is beyond the range of a double (at most about 1.8e308 in magnitude)",
          option, shown(item), shown(text)));
    }
    throw not_a_value(literal ? fmt::format(": at column {}: {}", e.column(), e.description())
                              : "");
  } catch (const InputError&) {
    throw not_a_value("");
  }
  b.values.clear();
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double x = v.element(i);
    if (!std::isfinite(x)) {
      if (v.is_scalar()) {
        throw InputError(fmt::format("{} {}: '{}' is {}, not a finite number", option, shown(item),
                                     shown(text), num(x)));
      }
      throw InputError(fmt::format("{} {}: element {} of '{}' is {}, not a finite number", option,
                                   shown(item), i, shown(text), num(x)));
    }
    b.values.push_back(x);
  }
}

// The data the expression (and `extra`) use, loaded once for the Problem.
std::shared_ptr<const BoundData> load_for(const ExpressionArgs& args, std::ostream& err,
                                          std::span<const Program> extra) {
  const Program program = parse(unprotect(args.expression));
  std::vector<const Program*> programs{&program};
  for (const Program& p : extra) programs.push_back(&p);
  std::vector<std::string> bound;
  for (const Binding& b : parse_bindings(args.at)) bound.push_back(b.name);
  for (const Binding& b : parse_bindings(args.constants, "--const")) bound.push_back(b.name);
  return load_data(args.data, programs, bound, err);
}

}  // namespace

std::string unprotect(std::string s) {
  for (auto p = s.find(kProtectMark); p != std::string::npos; p = s.find(kProtectMark)) {
    s.erase(p, kProtectMark.size());
  }
  return s;
}

void check_variable_name(const std::string& name, std::string_view context) {
  const auto bad = [&](const std::string& why) {
    throw InputError(fmt::format("{}: {}", context, why));
  };
  if (name.empty()) bad("the variable name is missing (expected NAME=VALUE)");
  const bool ok_first = std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_';
  const bool ok_rest = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
  if (!ok_first || !ok_rest) {
    bad(
        fmt::format("'{}' is not a variable name (letters, digits and _, not starting with a "
                    "digit)",
                    name));
  }
  if (find_function(name) != nullptr) bad(fmt::format("'{}' is a function, not a variable", name));
  if (find_constant(name) != nullptr) bad(fmt::format("'{}' is a constant, not a variable", name));
}

std::vector<Binding> parse_bindings(std::span<const std::string> at, std::string_view option) {
  std::vector<Binding> out;
  for (const std::string& arg : at) {
    for (const std::string& raw : split_items(unprotect(arg))) {
      const std::string item = trim(raw);
      const auto eq = item.find('=');
      if (item.empty() || eq == std::string::npos) {
        throw InputError(fmt::format("{} '{}': expected NAME=VALUE", option, shown(item)));
      }
      Binding b;
      b.name = trim(std::string_view(item).substr(0, eq));
      check_variable_name(b.name, fmt::format("{} {}", option, shown(item)));
      parse_value(option, item, trim(std::string_view(item).substr(eq + 1)), b);
      for (const Binding& other : out) {
        if (other.name == b.name) {
          throw InputError(fmt::format("{} {}: '{}' is given twice", option, shown(item), b.name));
        }
      }
      out.push_back(b);
    }
  }
  return out;
}

void ExpressionArgs::add_to(CLI::App& cmd) {
  cmd.add_option("EXPR", expression,
                 "the expression, e.g. \"-y*log(1/(1+exp(-w*x)))\" (see docs/cli.md)")
      ->required();
  cmd.add_option("--at", at,
                 "values of the variables: NAME=VALUE[,NAME=VALUE...] (repeatable); a VALUE may "
                 "be a vector [a,b,...] or a matrix [[a,b],[c,d]]")
      ->allow_extra_args(false)
      ->type_name("NAME=VALUE,...");
  cmd.add_option("--const", constants,
                 "names bound as constants (data: not differentiated): NAME=VALUE[,NAME=VALUE...] "
                 "(repeatable), VALUE as for --at")
      ->allow_extra_args(false)
      ->type_name("NAME=VALUE,...");
  cmd.add_flag("--json", json, "print one JSON object");
  data.add_to(cmd);
}

Problem::Problem(const ExpressionArgs& args, std::ostream& err, std::span<const Program> extra)
    : Problem(unprotect(args.expression), parse_bindings(args.at), load_for(args, err, extra),
              Shape::scalar(), parse_bindings(args.constants, "--const")) {}

Problem::Problem(std::string expression, std::vector<Binding> bindings,
                 std::shared_ptr<const BoundData> data, Shape result,
                 std::vector<Binding> constants)
    : program_(parse(expression)),
      bindings_(std::move(bindings)),
      data_(std::move(data)),
      constants_(std::move(constants)) {
  std::vector<std::string> all = names();
  for (const Binding& c : constants_) {
    for (const Binding& b : bindings_) {
      if (b.name == c.name) {
        throw InputError(fmt::format(
            "'{}' is given both with --at (a variable) and with --const (a constant)", c.name));
      }
    }
    all.push_back(c.name);
  }
  if (data_) {
    for (const DataBinding& d : data_->bindings) all.push_back(d.name);
  }
  try {
    index_ = resolve(program_, all);
  } catch (const ExprError& e) {
    if (!data_) throw;
    std::size_t length = 1;
    for (const VariableRef& ref : program_.variables) {
      if (ref.offset == e.offset()) length = ref.name.size();
    }
    throw ExprError(
        fmt::format("{}; it is not a column of {} either", e.description(), data_->source),
        e.source(), e.offset(), length);
  }
  std::vector<Shape> shapes;
  const std::size_t nc = bindings_.size() + constants_.size();
  for (std::size_t k : index_) {
    shapes.push_back(k < bindings_.size() ? bindings_[k].shape
                     : k < nc             ? constants_[k - bindings_.size()].shape
                                          : data_->bindings[k - nc].shape);
  }
  const Shape got = infer_shapes(program_, shapes).back();
  if (!(got == result)) {
    const Instr& last = program_.code.back();
    std::string hint;
    if (result.is_scalar()) hint = ": sum it with sum(...), or pick an element with [i]";
    throw ExprError(fmt::format("the expression is {}, but it must be {}{}", describe(got),
                                describe(result), hint),
                    program_.source, last.offset, last.length);
  }
  offsets_.push_back(0);
  for (const Binding& b : bindings_) offsets_.push_back(offsets_.back() + b.shape.size());
}

std::vector<std::string> Problem::names() const {
  std::vector<std::string> n;
  for (const Binding& b : bindings_) n.push_back(b.name);
  return n;
}

std::vector<std::string> Problem::component_names() const {
  std::vector<std::string> n;
  for (const Binding& b : bindings_) {
    if (b.shape.rank == 0) {
      n.push_back(b.name);
    } else if (b.shape.rank == 1) {
      for (Index i = 0; i < b.shape.cols; ++i) n.push_back(fmt::format("{}[{}]", b.name, i));
    } else {
      for (Index r = 0; r < b.shape.rows; ++r) {
        for (Index c = 0; c < b.shape.cols; ++c) {
          n.push_back(fmt::format("{}[{}][{}]", b.name, r, c));
        }
      }
    }
  }
  return n;
}

Vector Problem::point() const {
  Vector x(static_cast<Eigen::Index>(dimension()));
  Eigen::Index k = 0;
  for (const Binding& b : bindings_) {
    for (double v : b.values) x[k++] = v;
  }
  return x;
}

std::string value_text(const Shape& shape, std::span<const double> values) {
  if (shape.rank == 0) return num(values[0]);
  const auto row = [&](Index r) {
    std::string s = "[";
    for (Index c = 0; c < shape.cols; ++c) {
      s += (c > 0 ? ", " : "") + num(values[std::size_t{r} * shape.cols + c]);
    }
    return s + "]";
  };
  if (shape.rank == 1) return row(0);
  std::string s = "[";
  for (Index r = 0; r < shape.rows; ++r) s += (r > 0 ? ", " : "") + row(r);
  return s + "]";
}

std::string Problem::point_text() const {
  std::string s;
  for (const Binding& b : bindings_) {
    if (!s.empty()) s += ", ";
    s += fmt::format("{} = {}", b.name, value_text(b.shape, b.values));
  }
  return s;
}

std::vector<Value> Problem::bound_values(std::span<const Value> vars) const {
  std::vector<Value> bound;
  bound.reserve(index_.size());
  const std::size_t nc = bindings_.size() + constants_.size();
  for (std::size_t k : index_) {
    if (k < bindings_.size()) {
      bound.push_back(vars[k]);
    } else if (k < nc) {
      const Binding& c = constants_[k - bindings_.size()];
      bound.push_back(c.shape.is_scalar() ? Value(Var(c.scalar()))
                                          : Value(borrow(c.values.data(), c.shape)));
    } else {
      const DataBinding& d = data_->bindings[k - nc];
      bound.emplace_back(borrow(d.values.data(), d.shape));
    }
  }
  return bound;
}

std::vector<Value> Problem::evaluate_all(std::span<const Value> vars) const {
  return cli::evaluate_all(program_, bound_values(vars));
}

Value Problem::evaluate(std::span<const Value> vars) const {
  return evaluate_all(vars).back();
}

Value slice_of(const Tensor& x, std::size_t offset, const Shape& shape) {
  const auto o = static_cast<Index>(offset);
  if (shape.is_scalar()) return Value(x[o]);
  const Tensor part = slice_rows(x, o, o + static_cast<Index>(shape.size()));
  return Value(shape.rank == 1 ? part : reshape(part, shape));
}

std::vector<Value> Problem::split(const Tensor& x) const {
  std::vector<Value> vars;
  vars.reserve(bindings_.size());
  for (std::size_t i = 0; i < bindings_.size(); ++i) {
    vars.push_back(slice_of(x, offsets_[i], bindings_[i].shape));
  }
  return vars;
}

std::vector<Value> Problem::constants() const {
  std::vector<Value> vars;
  for (const Binding& b : bindings_) {
    if (b.shape.is_scalar()) {
      vars.emplace_back(Var(b.scalar()));
    } else {
      vars.emplace_back(constant(b.values.data(), b.shape));
    }
  }
  return vars;
}

Recording Problem::record() const {
  Recording r;
  for (const Binding& b : bindings_) {
    if (b.shape.is_scalar()) {
      r.leaves.emplace_back(variable(b.scalar(), b.name));
    } else {
      r.leaves.emplace_back(variable(b.values.data(), b.shape, b.name));
    }
  }
  r.values = evaluate_all(r.leaves);
  return r;
}

ScalarFunction Problem::function() const {
  return [p = *this](const Tensor& x) { return p.evaluate(p.split(x)).scalar(); };
}

double Problem::value_at(const Vector& x) const {
  Tape tape;
  Tape::Scope scope(tape);
  NoGrad no_grad;
  const Tensor t = constant(x);
  return evaluate(split(t)).scalar().value();
}

std::vector<double> Problem::backward_checked(const Recording& r) const {
  const Var& L = r.result();
  const auto first = first_non_finite(r.values);
  if (L.is_constant()) {
    if (first) {
      throw NonFiniteError(fmt::format(
          "the expression is {} and depends on no variable; it becomes non-finite at {}",
          num(L.value()), locate(program_, *first)));
    }
    return std::vector<double>(dimension(), 0.0);
  }
  try {
    xi::backward(L, /*check_finite=*/true);
  } catch (const NonFiniteError& e) {
    if (!first) throw;
    throw NonFiniteError(
        fmt::format("{}\nin the expression: {}", e.what(), locate(program_, *first)));
  }
  std::vector<double> gradient;
  gradient.reserve(dimension());
  for (const Value& leaf : r.leaves) {
    if (leaf.is_scalar()) {
      gradient.push_back(leaf.scalar().adjoint());
    } else {
      const Matrix g = leaf.tensor().adjoint();
      gradient.insert(gradient.end(), g.data(), g.data() + g.size());
    }
  }
  return gradient;
}

Json variables_json(const std::vector<Binding>& bindings, std::span<const double> flat) {
  Json j = Json::object();
  std::size_t o = 0;
  for (const Binding& b : bindings) {
    const std::size_t n = b.shape.size();
    const auto at = [&](std::size_t k) { return tidy(flat[o + k]); };
    if (b.shape.rank == 0) {
      j[b.name] = at(0);
    } else if (b.shape.rank == 1) {
      Json a = Json::array();
      for (std::size_t k = 0; k < n; ++k) a.push_back(at(k));
      j[b.name] = a;
    } else {
      Json rows = Json::array();
      for (std::size_t r = 0; r < b.shape.rows; ++r) {
        Json row = Json::array();
        for (std::size_t c = 0; c < b.shape.cols; ++c) row.push_back(at(r * b.shape.cols + c));
        rows.push_back(row);
      }
      j[b.name] = rows;
    }
    o += n;
  }
  return j;
}

std::string locate(const Program& program, std::uint32_t i) {
  const Instr& in = program.code[i];
  return fmt::format("`{}` (column {})\n{}", shown(program.text_of(i)),
                     column_of(program.source, in.offset),
                     caret_lines(program.source, in.offset, in.length));
}

}  // namespace xi::cli
