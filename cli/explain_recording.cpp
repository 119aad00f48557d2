#include "explain_recording.hpp"

#include <algorithm>
#include <string>

#include <fmt/format.h>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/tensor.hpp>

#include "data_input.hpp"
#include "expr/evaluate.hpp"

namespace xi::cli {
namespace {

// The instructions instruction `in` reads.
std::vector<std::uint32_t> operands(const Program& p, const Instr& in) {
  switch (in.code) {
    case Code::number:
    case Code::variable:
      return {};
    case Code::neg:
    case Code::index:
      return {in.a};
    case Code::literal:
      return {p.elements.begin() + in.a, p.elements.begin() + in.a + in.b};
    case Code::call:
      if (in.function->arity == 2) return {in.a, in.b};
      return {in.a};
    default:
      return {in.a, in.b};
  }
}

// A product whose negation can take the sign into a constant factor: -(C·x) = (-C)·x.
bool product(const Instr& in) {
  return in.code == Code::mul || in.code == Code::div || in.code == Code::matmul ||
         (in.code == Code::call && in.function->name == "dot");
}

bool is_variable(const Problem& problem, const std::string& name) {
  const auto& b = problem.bindings();
  return std::any_of(b.begin(), b.end(), [&](const Binding& x) { return x.name == name; });
}

// "1-y" → "(1-y)": a name that is an expression reads as one factor.
std::string factor_name(const Program& p, std::uint32_t i) {
  const std::string text = p.text_of(i);
  const Code c = p.code[i].code;
  if (c == Code::variable || c == Code::literal || c == Code::call || c == Code::index ||
      (text.starts_with('(') && text.ends_with(')'))) {
    return text;
  }
  return "(" + text + ")";
}

// --row: the data columns at one row (a --matrix: that row as a vector).
std::vector<Value> at_row(const Problem& problem, std::vector<Value> bound, std::size_t row,
                          std::deque<std::vector<double>>& storage) {
  const auto& data = problem.data();
  if (!data) {
    throw InputError("--row K explains one row of the data: it needs --data FILE.csv");
  }
  if (row >= data->rows) {
    throw InputError(fmt::format(
        "--row {}: {} has {} rows in use{} (rows are numbered from 0)", row, data->source,
        data->rows,
        data->dropped_rows > 0
            ? fmt::format(", after dropping {} with a missing value", data->dropped_rows)
            : std::string()));
  }
  const auto& refs = problem.program().variables;
  for (std::size_t k = 0; k < refs.size(); ++k) {
    const DataBinding* d = data->find(refs[k].name);
    if (d == nullptr || is_variable(problem, refs[k].name)) continue;
    const auto& consts = problem.constant_bindings();
    if (std::any_of(consts.begin(), consts.end(),
                    [&](const Binding& c) { return c.name == refs[k].name; })) {
      continue;
    }
    if (d->shape.rank == 1) {
      bound[k] = Value(Var(d->values(0, static_cast<Eigen::Index>(row))));
    } else {
      const auto r = static_cast<Eigen::Index>(row);
      std::vector<double>& v = storage.emplace_back();
      for (Eigen::Index c = 0; c < d->values.cols(); ++c) v.push_back(d->values(r, c));
      bound[k] = Value(borrow(v.data(), Shape::vector(static_cast<Index>(v.size()))));
    }
  }
  return bound;
}

}  // namespace

ExplainFolding explain_folding(const Problem& problem) {
  const Program& p = problem.program();
  const std::size_t n = p.code.size();
  ExplainFolding f;
  std::vector<char>& constant = f.constant;
  std::vector<char>& named = f.named;
  std::vector<char>& feeds = f.feeds;
  std::vector<char>& absorbed = f.absorbed;
  constant.assign(n, 1);
  named.assign(n, 0);
  feeds.assign(n, 0);
  absorbed.assign(n, 0);
  std::vector<std::size_t> uses(n, 0);
  for (std::uint32_t i = 0; i < n; ++i) {
    const Instr& in = p.code[i];
    if (in.code == Code::variable) {
      const bool var = is_variable(problem, p.variables[in.variable].name);
      constant[i] = var ? 0 : 1;
      named[i] = var ? 0 : 1;
    }
    for (std::uint32_t a : operands(p, in)) {
      ++uses[a];
      constant[i] = constant[i] && constant[a];
      named[i] = named[i] || named[a];
    }
    named[i] = named[i] && constant[i];
    if (!named[i]) {
      for (std::uint32_t a : operands(p, in)) feeds[a] = 1;
    }
  }
  // -(C·x) with C named and the product used only by the negation: (-C)·x, one node.
  for (std::uint32_t i = 0; i < n; ++i) {
    const Instr& in = p.code[i];
    if (in.code != Code::neg || constant[i] || uses[in.a] != 1 || !product(p.code[in.a])) continue;
    const Instr& m = p.code[in.a];
    if (named[m.a] != named[m.b] && constant[m.a] != constant[m.b]) absorbed[in.a] = 1;
  }
  return f;
}

ExplainRecording record_for_explain(const Problem& problem, std::optional<std::size_t> row) {
  ExplainRecording out;
  Recording& r = out.recording;
  for (const Binding& b : problem.bindings()) {
    r.leaves.emplace_back(b.shape.is_scalar() ? Value(variable(b.scalar(), b.name))
                                              : Value(variable(b.values.data(), b.shape, b.name)));
  }
  std::vector<Value> bound = problem.bound_values(r.leaves);
  if (row) bound = at_row(problem, std::move(bound), *row, out.storage);

  const Program& p = problem.program();
  const std::size_t n = p.code.size();
  const ExplainFolding folding = explain_folding(problem);
  const std::vector<char>& named = folding.named;
  const std::vector<char>& feeds = folding.feeds;
  const std::vector<char>& absorbed = folding.absorbed;
  // The values of the constant instructions (the variables bound as constants: nothing records).
  std::vector<Value> constant_values;
  {
    NoGrad no_grad;
    std::vector<Value> at_constants = problem.bound_values(problem.constants());
    if (row) at_constants = at_row(problem, std::move(at_constants), *row, out.storage);
    constant_values = evaluate_all(p, at_constants);
  }
  // A named constant used by a recorded instruction becomes a variable of the new program.
  Program q;
  q.source = p.source;
  q.variables = p.variables;
  std::vector<std::uint32_t> map(n, 0);
  auto add_constant = [&](const Value& v, std::string name, const Instr& where) {
    if (v.is_scalar()) {
      bound.emplace_back(named_constant(v.scalar().value(), name));
    } else {
      const Tensor t = v.tensor();
      std::vector<double>& copy = out.storage.emplace_back(t.data(), t.data() + t.shape().size());
      bound.emplace_back(borrow(copy.data(), t.shape()));
      out.names.push_back(ConstantName{copy.data(), name});
    }
    q.variables.push_back(VariableRef{name, where.offset});
    Instr var;
    var.code = Code::variable;
    var.variable = static_cast<std::uint32_t>(q.variables.size() - 1);
    var.offset = where.offset;
    var.length = where.length;
    q.code.push_back(var);
    return static_cast<std::uint32_t>(q.code.size() - 1);
  };
  auto negated = [](const Value& v) {
    NoGrad no_grad;
    return v.is_scalar() ? Value(Var(-v.scalar().value())) : Value(-v.tensor());
  };
  for (std::uint32_t i = 0; i < n; ++i) {
    const Instr& in = p.code[i];
    if (named[i]) {
      if (feeds[i]) map[i] = add_constant(constant_values[i], factor_name(p, i), in);
      continue;
    }
    if (in.code == Code::neg && absorbed[in.a]) {
      map[i] = map[in.a];
      continue;
    }
    Instr copy = in;
    if (in.code == Code::literal) {
      copy.a = static_cast<std::uint32_t>(q.elements.size());
      for (std::uint32_t k = in.a; k < in.a + in.b; ++k) q.elements.push_back(map[p.elements[k]]);
    } else if (absorbed[i]) {
      const std::uint32_t c = named[in.a] ? in.a : in.b;
      const std::uint32_t negc = add_constant(negated(constant_values[c]),
                                              fmt::format("-{}", factor_name(p, c)), p.code[c]);
      copy.a = in.a == c ? negc : map[in.a];
      copy.b = in.b == c ? negc : map[in.b];
    } else {
      copy.a = map[in.a];
      copy.b = map[in.b];
    }
    q.code.push_back(copy);
    map[i] = static_cast<std::uint32_t>(q.code.size() - 1);
  }
  r.values = evaluate_all(q, bound);
  return out;
}

}  // namespace xi::cli
