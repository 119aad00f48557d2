#include "node_check.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <xigrad/autodiff/grad.hpp>

#include "expr/evaluate.hpp"
#include "expr/expr_error.hpp"
#include "expr/shapes.hpp"

namespace xi::cli {
namespace {

// A Jacobian the engine computes for one partial has at most this many elements.
constexpr std::size_t kMaxJacobian = 10'000'000;

struct Named {
  Shape shape;
  std::vector<double> values;  // row-major
};
using Env = std::map<std::string, Named, std::less<>>;

bool close(double a, double b, const CheckOptions& o) {
  const double scale = std::max({std::abs(a), std::abs(b), o.abs_floor});
  return std::abs(a - b) <= o.rel_tol * scale;
}

bool all_close(std::span<const double> a, std::span<const double> b, const CheckOptions& o) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!close(a[i], b[i], o)) return false;
  }
  return true;
}

std::vector<double> elements(const Value& v) {
  std::vector<double> out(v.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = v.element(i);
  return out;
}

bool finite(std::span<const double> v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

// The values of every instruction of `p`, its variables taken from `env` as constants, and `wrt`
// (when given) bound to the recorded x instead.
std::vector<Value> values_of(const Program& p, const Env& env, std::string_view wrt = {},
                             const Tensor* x = nullptr) {
  std::vector<Value> vars;
  for (const VariableRef& ref : p.variables) {
    const Named& n = env.find(ref.name)->second;
    if (x != nullptr && ref.name == wrt) {
      vars.push_back(slice_of(*x, 0, n.shape));
    } else if (n.shape.is_scalar()) {
      vars.emplace_back(Var(n.values[0]));
    } else {
      vars.emplace_back(borrow(n.values.data(), n.shape));
    }
  }
  return evaluate_all(p, vars);
}

// A hand partial in the form it is written, and the engine's derivative in that form.
struct Form {
  Shape engine_shape;
  std::vector<double> engine;
  Matrix hand_jacobian;       // (row elements, input elements), for the chain
  bool off_diagonal = false;  // a diagonal was written but the engine's Jacobian is not diagonal
};

class Checker {
 public:
  Checker(const Problem& problem, const HandTable& table, const CheckOptions& options)
      : problem_(problem), table_(table), options_(options) {}

  NodeCheckReport run() {
    bind_leaves();
    const Recording recording = problem_.record();
    const std::vector<double> gradient = problem_.backward_checked(recording);
    report_.value = recording.result().value();
    for (const HandRow& row : table_.rows) check_row(row);
    check_last_row();
    match_values(recording);
    find_missing();
    chain(gradient);
    for (std::size_t i = 0; i < report_.rows.size(); ++i) {
      if (!report_.rows[i].ok()) {
        report_.first_wrong = i;
        break;
      }
    }
    report_.ok = !report_.first_wrong && report_.chain_ok;
    return report_;
  }

 private:
  void bind_leaves() {
    for (const Binding& b : problem_.bindings()) env_[b.name] = {b.shape, b.values};
    for (const Binding& b : problem_.constant_bindings()) env_[b.name] = {b.shape, b.values};
    if (const auto& data = problem_.data()) {
      for (const DataBinding& d : data->bindings) {
        Named n{d.shape, {}};
        for (Eigen::Index r = 0; r < d.values.rows(); ++r) {
          for (Eigen::Index c = 0; c < d.values.cols(); ++c) n.values.push_back(d.values(r, c));
        }
        env_[d.name] = std::move(n);
      }
    }
    // The --at variables the table differentiates by, in --at order.
    for (const Binding& b : problem_.bindings()) {
      const bool derived = std::any_of(table_.rows.begin(), table_.rows.end(), [&](const auto& r) {
        return std::any_of(r.partials.begin(), r.partials.end(),
                           [&](const HandPartial& p) { return p.input == b.name; });
      });
      if (derived) report_.derived.push_back(b.name);
    }
  }

  std::size_t binding_index(std::string_view name) const {
    const auto& b = problem_.bindings();
    std::size_t i = 0;
    while (i < b.size() && b[i].name != name) ++i;
    return i;
  }

  std::size_t row_index(std::string_view name) const {
    std::size_t i = 0;
    while (i < table_.rows.size() && table_.rows[i].name != name) ++i;
    return i;
  }

  // Every name `e` uses must be in env_ (a leaf, an earlier row, or for a partial this row).
  std::vector<Shape> resolve(const HandRow& row, const HandExpr& e) const {
    std::vector<Shape> shapes;
    for (const VariableRef& ref : e.program.variables) {
      const auto it = env_.find(ref.name);
      if (it != env_.end()) {
        shapes.push_back(it->second.shape);
        continue;
      }
      const std::size_t k = row_index(ref.name);
      std::string why;
      if (k < table_.rows.size() && table_.rows[k].name == row.name) {
        why = fmt::format("row {} uses itself in its definition", row.name);
      } else if (k < table_.rows.size()) {
        why = fmt::format(
            "'{}' is defined later, at line {}: a row may use only the variables "
            "and the rows above it",
            ref.name, table_.rows[k].line);
      } else {
        why = fmt::format(
            "'{}' is not defined: it is neither a variable (--at, --data) nor a "
            "row above",
            ref.name);
      }
      throw table_.error_at(row, e.offset + ref.offset, ref.name.size(), why);
    }
    try {
      infer_shapes(e.program, shapes);
    } catch (const ExprError& err) {
      throw table_.error_at(row, e.offset + err.offset(), 1, err.description());
    }
    return shapes;
  }

  void check_row(const HandRow& row) {
    NodeRowResult r;
    r.name = row.name;
    r.line = row.line;
    r.definition = row.definition.program.source;
    resolve(row, row.definition);
    const Value v = values_of(row.definition.program, env_).back();
    r.shape = v.shape();
    r.value = elements(v);
    if (!finite(r.value)) {
      throw NonFiniteError(fmt::format("{}:{}: row {} = {} is {} (not finite)", table_.file,
                                       row.line, row.name, r.definition,
                                       brief_value(r.shape, r.value)));
    }
    if (env_.contains(row.name)) {
      throw table_.error_at(row, row.text.find_first_not_of(" \t"), row.name.size(),
                            fmt::format("'{}' is a variable of --at or --data: give the row "
                                        "another name",
                                        row.name));
    }
    env_[row.name] = {r.shape, r.value};
    std::vector<Matrix> jacobians;
    for (const HandPartial& p : row.partials) {
      r.partials.push_back(check_partial(row, r, p, jacobians));
    }
    hand_jacobians_.push_back(std::move(jacobians));
    report_.rows.push_back(std::move(r));
  }

  NodePartialResult check_partial(const HandRow& row, const NodeRowResult& r, const HandPartial& p,
                                  std::vector<Matrix>& jacobians) {
    NodePartialResult out;
    out.input = p.input;
    out.formula = p.formula.program.source;
    resolve(row, p.formula);
    const Value hv = values_of(p.formula.program, env_).back();
    out.hand_shape = hv.shape();
    out.hand = elements(hv);
    if (!finite(out.hand)) {
      throw NonFiniteError(fmt::format("{}:{}: row {}: d/{} = {} is {} (not finite)", table_.file,
                                       row.line, row.name, p.input, out.formula,
                                       brief_value(out.hand_shape, out.hand)));
    }
    const Named& in = env_.at(p.input);
    const std::size_t m = r.value.size(), n = in.values.size();
    if (m * n > kMaxJacobian) {
      throw table_.error_at(row, p.input_offset, p.input.size() + 2,
                            fmt::format("the Jacobian of row {} with respect to {} would have {} "
                                        "elements (at most {})",
                                        row.name, p.input, m * n, kMaxJacobian));
    }
    const Vector x = Eigen::Map<const Vector>(in.values.data(), Eigen::Index(n));
    const Program& def = row.definition.program;
    const Matrix J = jacobian(
        [&](const Tensor& t) { return values_of(def, env_, p.input, &t).back().tensor(); }, x);
    const Form f = form(row, r.shape, in.shape, p, out.hand_shape, out.hand, J);
    out.engine_shape = f.engine_shape;
    out.engine = f.engine;
    std::vector<double> hand = out.hand;
    if (hand.size() == 1 && f.engine.size() != 1) hand.assign(f.engine.size(), out.hand[0]);
    out.ok = !f.off_diagonal && all_close(hand, f.engine, options_);
    std::string& why = partial_why_[report_.rows.size()];
    if (!out.ok && why.empty()) {
      why = f.off_diagonal ? fmt::format(
                                 "d/{} written {} is an element-wise partial, but the row is not "
                                 "element-wise in {}: its Jacobian ({}, {}) has entries off the "
                                 "diagonal; give the whole Jacobian as a matrix",
                                 p.input, out.formula, p.input, m, n)
                           : mismatch(p.input, out.formula, out.hand_shape, out.hand,
                                      f.engine_shape, f.engine);
    }
    jacobians.push_back(f.hand_jacobian);
    return out;
  }

  std::string mismatch(const std::string& input, const std::string& formula, const Shape& hs,
                       const std::vector<double>& hand, const Shape& es,
                       const std::vector<double>& engine) const {
    if (engine.size() <= 6) {
      return fmt::format("d/{} written {} is {}, the engine's is {}", input, formula,
                         brief_value(hs, hand), brief_value(es, engine));
    }
    const auto h = [&](std::size_t k) { return hand.size() == 1 ? hand[0] : hand[k]; };
    std::size_t k = 0;
    while (k + 1 < engine.size() && close(h(k), engine[k], options_)) ++k;
    return fmt::format("d/{} written {} differs from the engine's at element {}: {} vs {}", input,
                       formula, k, num(h(k)), num(engine[k]));
  }

  // Which derivative the hand partial is: the gradient (a scalar row), a column (a scalar
  // input), the diagonal (an element-wise row) or the whole Jacobian.
  Form form(const HandRow& row, const Shape& so, const Shape& si, const HandPartial& p,
            const Shape& hs, const std::vector<double>& hand, const Matrix& J) const {
    const auto m = J.rows(), n = J.cols();
    const bool scalar = hs.is_scalar();
    const auto expand = [&](Eigen::Index k) { return scalar ? hand[0] : hand[std::size_t(k)]; };
    Form f;
    if (m == 1 && (scalar || hs == si)) {
      f.engine_shape = si;
      f.hand_jacobian = Matrix(1, n);
      for (Eigen::Index j = 0; j < n; ++j) {
        f.engine.push_back(J(0, j));
        f.hand_jacobian(0, j) = expand(j);
      }
    } else if (n == 1 && (scalar || hs == so)) {
      f.engine_shape = so;
      f.hand_jacobian = Matrix(m, 1);
      for (Eigen::Index i = 0; i < m; ++i) {
        f.engine.push_back(J(i, 0));
        f.hand_jacobian(i, 0) = expand(i);
      }
    } else if (m == n && so == si && (scalar || hs == so)) {
      f.engine_shape = so;
      f.hand_jacobian = Matrix::Zero(m, n);
      const double scale = std::max(J.cwiseAbs().maxCoeff(), options_.abs_floor);
      for (Eigen::Index i = 0; i < m; ++i) {
        f.engine.push_back(J(i, i));
        f.hand_jacobian(i, i) = expand(i);
        for (Eigen::Index j = 0; j < n; ++j) {
          if (i != j && std::abs(J(i, j)) > options_.rel_tol * scale) f.off_diagonal = true;
        }
      }
    } else if (hs.rank == 2 && hs.rows == m && hs.cols == n) {
      f.engine_shape = hs;
      f.engine.assign(J.data(), J.data() + J.size());
      f.hand_jacobian = Eigen::Map<const Matrix>(hand.data(), m, n);
    } else {
      throw table_.error_at(
          row, p.formula.offset, p.formula.program.source.size(),
          fmt::format("d/{} is {}, but row {} is {} and {} is {}: give the gradient (the shape "
                      "of {}) for a scalar row, the partials element by element (the shape of "
                      "the row) for an element-wise row, or the whole Jacobian, a ({}, {}) matrix",
                      p.input, describe(hs), row.name, describe(so), p.input, describe(si), p.input,
                      m, n));
    }
    return f;
  }

  void check_last_row() {
    const HandRow& row = table_.rows.back();
    const NodeRowResult& r = report_.rows.back();
    if (!r.shape.is_scalar()) {
      throw table_.error_at(
          row, row.definition.offset, row.definition.program.source.size(),
          fmt::format("the last row, {}, is the loss and must be a scalar, but it is {}", r.name,
                      describe(r.shape)));
    }
  }

  // Each row's value against the subexpressions of EXPR; the last row against EXPR itself.
  void match_values(const Recording& recording) {
    const Program& expr = problem_.program();
    for (std::size_t k = 0; k + 1 < report_.rows.size(); ++k) {
      NodeRowResult& r = report_.rows[k];
      std::optional<std::string> variable;
      for (std::uint32_t i = 0; i < expr.code.size(); ++i) {
        const Value& v = recording.values[i];
        if (expr.code[i].code == Code::number || !(v.shape() == r.shape)) continue;
        if (!all_close(elements(v), r.value, options_)) continue;
        if (expr.code[i].code == Code::variable) {
          if (!variable) variable = expr.text_of(i);
          continue;
        }
        r.match = expr.text_of(i);
        break;
      }
      if (!r.match) r.match = variable;
    }
    NodeRowResult& last = report_.rows.back();
    last.value_ok = close(last.value[0], report_.value, options_);
    if (last.value_ok) {
      last.match = expr.source;
      return;
    }
    // Where the table's values leave EXPR's: the first row the last one depends on that matches
    // no subexpression while every row it uses does.
    const std::set<std::string> ancestry = ancestors(table_.rows.size() - 1);
    for (std::size_t k = 0; k + 1 < report_.rows.size(); ++k) {
      NodeRowResult& r = report_.rows[k];
      if (r.match || !ancestry.contains(r.name)) continue;
      const std::vector<std::string> inputs = table_.rows[k].inputs();
      const bool inputs_match = std::all_of(inputs.begin(), inputs.end(), [&](const auto& in) {
        const std::size_t j = row_index(in);
        return j == table_.rows.size() || report_.rows[j].match.has_value();
      });
      if (!inputs_match) continue;
      r.value_ok = false;
      value_why_[k] = fmt::format(
          "its definition {} gives {}, a value no subexpression of EXPR has, and the last row "
          "gives {} where EXPR gives {}",
          r.definition, brief_value(r.shape, r.value), num(last.value[0]), num(report_.value));
      return;
    }
    std::string why = fmt::format("its definition {} gives {} where EXPR gives {}", last.definition,
                                  num(last.value[0]), num(report_.value));
    if (report_.value != 0 && close(last.value[0], -report_.value, options_)) {
      why += ": the sign of the loss is flipped";
    }
    value_why_[report_.rows.size() - 1] = why;
  }

  std::set<std::string> ancestors(std::size_t k) const {
    std::set<std::string> out;
    std::vector<std::size_t> todo{k};
    while (!todo.empty()) {
      const std::size_t j = todo.back();
      todo.pop_back();
      for (const std::string& in : table_.rows[j].inputs()) {
        const std::size_t i = row_index(in);
        if (i < table_.rows.size() && out.insert(in).second) todo.push_back(i);
      }
    }
    return out;
  }

  // An input with no partial through which a derived variable reaches the row: the chain
  // misses that path.
  void find_missing() {
    std::map<std::string, std::set<std::string>, std::less<>> depends;
    for (const std::string& d : report_.derived) depends[d] = {d};
    for (std::size_t k = 0; k < table_.rows.size(); ++k) {
      const HandRow& row = table_.rows[k];
      std::set<std::string>& mine = depends[row.name];
      for (const std::string& in : row.inputs()) {
        const auto it = depends.find(in);
        if (it == depends.end() || it->second.empty()) continue;
        mine.insert(it->second.begin(), it->second.end());
        const bool given = std::any_of(row.partials.begin(), row.partials.end(),
                                       [&](const HandPartial& p) { return p.input == in; });
        if (given) continue;
        report_.rows[k].missing.push_back(in);
        if (missing_why_[k].empty()) {
          std::string vars;
          for (const std::string& v : it->second) vars += (vars.empty() ? "" : ", ") + v;
          missing_why_[k] =
              it->second.contains(in)
                  ? fmt::format(
                        "no d/{} is given, but the table derives {}: the chain misses "
                        "this path",
                        in, in)
                  : fmt::format(
                        "no d/{} is given, but {} depends on {}: the chain misses this "
                        "path",
                        in, in, vars);
        }
      }
    }
    for (std::size_t k = 0; k < report_.rows.size(); ++k) {
      NodeRowResult& r = report_.rows[k];
      for (const std::string* w : {&value_why_[k], &partial_why_[k], &missing_why_[k]}) {
        if (!w->empty()) {
          r.why = *w;
          break;
        }
      }
    }
  }

  // The table's partials multiplied back from the last row, against the engine's gradient.
  void chain(const std::vector<double>& gradient) {
    std::map<std::string, Vector, std::less<>> adjoint;
    adjoint[table_.rows.back().name] = Vector::Ones(1);
    for (std::size_t k = table_.rows.size(); k-- > 0;) {
      const HandRow& row = table_.rows[k];
      const auto it = adjoint.find(row.name);
      if (it == adjoint.end()) continue;
      const Vector a = it->second;
      for (std::size_t j = 0; j < row.partials.size(); ++j) {
        const Matrix& Jh = hand_jacobians_[k][j];
        const Vector contribution = Jh.transpose() * a;
        auto [slot, fresh] = adjoint.try_emplace(row.partials[j].input, contribution);
        if (!fresh) slot->second += contribution;
      }
    }
    const std::vector<std::string> components = problem_.component_names();
    for (const std::string& name : report_.derived) {
      const std::size_t i = binding_index(name);
      const std::size_t from = problem_.offset(i), to = problem_.offset(i + 1);
      const auto it = adjoint.find(name);
      for (std::size_t c = from; c < to; ++c) {
        NodeChainComponent comp;
        comp.name = components[c];
        comp.table = it == adjoint.end() ? 0.0 : it->second[Eigen::Index(c - from)];
        comp.engine = gradient[c];
        comp.ok = close(comp.table, comp.engine, options_);
        report_.chain_ok = report_.chain_ok && comp.ok;
        report_.chain.push_back(comp);
      }
    }
  }

  const Problem& problem_;
  const HandTable& table_;
  const CheckOptions& options_;
  Env env_;
  NodeCheckReport report_;
  std::vector<std::vector<Matrix>> hand_jacobians_;  // per row, per partial
  std::map<std::size_t, std::string> value_why_, partial_why_, missing_why_;  // row -> reason
};

}  // namespace

std::string brief_value(const Shape& shape, std::span<const double> values) {
  if (values.size() <= 6) return value_text(shape, values);
  return fmt::format("({} values)", values.size());
}

NodeCheckReport check_node_table(const Problem& problem, const HandTable& table,
                                 const CheckOptions& options) {
  return Checker(problem, table, options).run();
}

}  // namespace xi::cli
