#include "expression_input.hpp"

#include <cmath>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <xigrad/autodiff/error.hpp>

#include "expr/evaluate.hpp"
#include "expr/expr_error.hpp"
#include "expr/functions.hpp"
#include "expr/parser.hpp"
#include "format.hpp"
#include "options.hpp"

namespace xi::cli {
namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// Splits at commas outside parentheses, so a value may be pow(2, 0.5).
std::vector<std::string> split_items(const std::string& s) {
  std::vector<std::string> items;
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '(') ++depth;
    if (c == ')' && depth > 0) --depth;
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

double parse_value(const std::string& item, const std::string& text) {
  if (text.empty()) throw InputError(fmt::format("--at {}: the value is missing", shown(item)));
  Var v;
  try {
    const Program p = parse(text);
    if (!p.variables.empty()) throw InputError("");
    v = cli::evaluate(p, {});
  } catch (const ExprError& e) {
    if (e.description().find("too large for a double") != std::string::npos) {
      throw InputError(fmt::format(
          "--at {}: '{}' is beyond the range of a double (at most about 1.8e308 in magnitude)",
          shown(item), shown(text)));
    }
    throw InputError(fmt::format("--at {}: '{}' is not a number", shown(item), shown(text)));
  } catch (const InputError&) {
    throw InputError(fmt::format("--at {}: '{}' is not a number", shown(item), shown(text)));
  }
  if (!std::isfinite(v.value())) {
    throw InputError(fmt::format("--at {}: '{}' is {}, not a finite number", shown(item),
                                 shown(text), num(v.value())));
  }
  return v.value();
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

std::vector<Binding> parse_bindings(std::span<const std::string> at) {
  std::vector<Binding> out;
  for (const std::string& arg : at) {
    for (const std::string& raw : split_items(unprotect(arg))) {
      const std::string item = trim(raw);
      const auto eq = item.find('=');
      if (item.empty() || eq == std::string::npos) {
        throw InputError(fmt::format("--at '{}': expected NAME=VALUE", shown(item)));
      }
      Binding b;
      b.name = trim(std::string_view(item).substr(0, eq));
      check_variable_name(b.name, fmt::format("--at {}", shown(item)));
      b.value = parse_value(item, trim(std::string_view(item).substr(eq + 1)));
      for (const Binding& other : out) {
        if (other.name == b.name) {
          throw InputError(fmt::format("--at {}: '{}' is given twice", shown(item), b.name));
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
  cmd.add_option("--at", at, "values of the variables: NAME=VALUE[,NAME=VALUE...] (repeatable)")
      ->allow_extra_args(false)
      ->type_name("NAME=VALUE,...");
  cmd.add_flag("--json", json, "print one JSON object");
}

Problem::Problem(const ExpressionArgs& args)
    : Problem(unprotect(args.expression), parse_bindings(args.at)) {}

Problem::Problem(std::string expression, std::vector<Binding> bindings)
    : program_(parse(expression)), bindings_(std::move(bindings)) {
  index_ = resolve(program_, names());
}

std::vector<std::string> Problem::names() const {
  std::vector<std::string> n;
  for (const Binding& b : bindings_) n.push_back(b.name);
  return n;
}

Vector Problem::point() const {
  Vector x(static_cast<Eigen::Index>(bindings_.size()));
  for (std::size_t i = 0; i < bindings_.size(); ++i)
    x[static_cast<Eigen::Index>(i)] = bindings_[i].value;
  return x;
}

std::string Problem::point_text() const {
  std::string s;
  for (const Binding& b : bindings_) {
    if (!s.empty()) s += ", ";
    s += fmt::format("{} = {}", b.name, num(b.value));
  }
  return s;
}

std::vector<Var> Problem::evaluate_all(std::span<const Var> vars) const {
  std::vector<Var> bound;
  bound.reserve(index_.size());
  for (std::size_t i : index_) bound.push_back(vars[i]);
  return cli::evaluate_all(program_, bound);
}

Var Problem::evaluate(std::span<const Var> vars) const {
  return evaluate_all(vars).back();
}

Recording Problem::record() const {
  Recording r;
  for (const Binding& b : bindings_) r.leaves.push_back(variable(b.value, b.name));
  r.values = evaluate_all(r.leaves);
  return r;
}

ScalarFunction Problem::function() const {
  return [p = *this](const Tensor& x) {
    std::vector<Var> vars;
    vars.reserve(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) vars.push_back(x[i]);
    return p.evaluate(vars);
  };
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
    return std::vector<double>(r.leaves.size(), 0.0);
  }
  try {
    xi::backward(L, /*check_finite=*/true);
  } catch (const NonFiniteError& e) {
    if (!first) throw;
    throw NonFiniteError(
        fmt::format("{}\nin the expression: {}", e.what(), locate(program_, *first)));
  }
  std::vector<double> gradient;
  gradient.reserve(r.leaves.size());
  for (const Var& leaf : r.leaves) gradient.push_back(leaf.adjoint());
  return gradient;
}

std::string locate(const Program& program, std::uint32_t i) {
  const Instr& in = program.code[i];
  return fmt::format("`{}` (column {})\n{}", shown(program.text_of(i)),
                     column_of(program.source, in.offset),
                     caret_lines(program.source, in.offset, in.length));
}

}  // namespace xi::cli
