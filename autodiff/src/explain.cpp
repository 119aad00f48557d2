// Showing the work: the ξ table, the reverse sweep step by step, the Graphviz rendering and the
// anomaly check. Everything here reads the tape as recorded (layout in tape.hpp) and prints
// formulas from the op table (scalar nodes) or the node's TensorOp (tensor nodes); no formula is
// written a second time here.
//
// Walking the tape: slots run from 1 in recording order. A scalar slot's recorded operands are
// consecutive in tape.partials()/inputs() (kArity[op] of them) and its folded constants in
// tape.consts() (kConsts[op]), so a forward walk keeps two cursors. A tensor node occupies
// shape.size() slots from node.slot; the walk skips its range as one node.

#include <xigrad/autodiff/explain.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include <xigrad/autodiff/export.hpp>
#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/table.hpp>

#include "explain_detail.hpp"
#include "tensor/record.hpp"

namespace xi {
namespace detail {

std::size_t display_width(std::string_view s) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = 1;
    std::uint32_t cp = b;
    if (b >= 0xF0) {
      len = 4;
      cp = b & 0x07u;
    } else if (b >= 0xE0) {
      len = 3;
      cp = b & 0x0Fu;
    } else if (b >= 0xC0) {
      len = 2;
      cp = b & 0x1Fu;
    }
    for (std::size_t j = 1; j < len && i + j < s.size(); ++j) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + j]) & 0x3Fu);
    }
    i += len;
    if (cp >= 0x300 && cp <= 0x36F) continue;  // combining marks take no column
    ++width;
  }
  return width;
}

// An aligned text table with a rule under the header (xi::to_text); shared with check.cpp.
std::string text_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows, std::string_view align) {
  Table t{.header = header, .align = std::string(align)};
  for (const auto& row : rows) {
    std::vector<Table::Cell> cells;
    for (const std::string& cell : row) cells.push_back({cell});
    t.rows.push_back(std::move(cells));
  }
  return to_text(t);
}

namespace {

bool identifier_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '_';
}

// A negative number written after an operator reads better in parentheses: "ξ1^(-2)".
bool after_operator(const std::string& out) {
  std::size_t end = out.size();
  while (end > 0 && out[end - 1] == ' ') --end;
  if (end == 0) return false;
  const char last = out[end - 1];
  if (last == '+' || last == '-' || last == '*' || last == '/' || last == '^') return true;
  return end >= 2 && out.compare(end - 2, 2, "·") == 0;
}

}  // namespace

// Replaces the placeholders as whole identifiers only: "tanh(a)" keeps the 'a' of its own name.
std::string substitute(std::string_view formula, const std::array<std::string, 4>& names) {
  std::string out;
  for (std::size_t i = 0; i < formula.size(); ++i) {
    const char ch = formula[i];
    const bool alone = (i == 0 || !identifier_char(formula[i - 1])) &&
                       (i + 1 == formula.size() || !identifier_char(formula[i + 1]));
    if (alone && ch >= 'a' && ch <= 'd') {
      const std::string& name = names[static_cast<std::size_t>(ch - 'a')];
      if (!name.empty() && name[0] == '-' && after_operator(out)) {
        out += '(' + name + ')';
      } else {
        out += name;
      }
    } else {
      out += ch;
    }
  }
  return out;
}

std::string explain_num(double v) {
  if (v == 0) return "0";  // -0 too: 0·ξ5 with a negative ξ5 is no negative number
  return std::isnan(v) ? "nan" : fmt::format("{:.6g}", v);
}

}  // namespace detail

namespace {

std::string num(double v) {
  return detail::explain_num(v);
}

using detail::substitute;

bool same_number(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  return std::abs(a - b) <= 1e-12 * std::max(std::abs(a), std::abs(b));
}

enum class Kind : std::uint8_t { leaf, constant, scalar, tensor };

// One recorded node as the walk sees it.
struct NodeRef {
  Kind kind = Kind::leaf;
  Index slot = 0;
  Index size = 1;      // adjoint slots it occupies
  Op op = Op::leaf;    // scalar nodes
  std::size_t k = 0;   // its first recorded operand
  std::size_t kc = 0;  // its first folded constant
  const TensorNode* tensor = nullptr;
  Index id = 0;  // ξ number; 0 for leaves and constants
};

// A scalar node's recorded inputs, constants and partials.
struct ScalarView {
  const OpInfo* info = nullptr;
  std::array<Index, 2> slot{};
  std::array<double, 2> in{};
  std::array<double, 2> c{};
  std::array<double, 2> recorded{};  // partials stored at record time (what backward used)
  double y = 0;
};

[[noreturn]] void throw_statement_node(const char* what) {
  throw TapeError(fmt::format(
      "{}: this recording has nodes recorded one per statement (Granularity::statement), which "
      "keep no ξ chain to show or check; record the computation with "
      "Tape::set_granularity(Granularity::operation), the default",
      what));
}

// The nodes recorded up to the output, with the printed name of every slot.
class Walk {
 public:
  Walk(const Tape& tape, Index out, const char* what, std::span<const ConstantName> constants = {})
      : tape_(tape), out_(out), constants_(constants) {
    const auto& tensors = tape.tensor_nodes();
    end_ = out + 1;
    if (const TensorNode* t = tape.tensor_at(out))
      end_ = t->slot + static_cast<Index>(t->shape.size());
    node_of_.assign(end_, 0);
    std::size_t k = 0, kc = 0, ti = 0;
    Index id = 0;
    for (Index s = 1; s < end_;) {
      if (ti < tensors.size() && tensors[ti].slot == s) {
        const TensorNode& t = tensors[ti++];
        NodeRef r{Kind::tensor, s, static_cast<Index>(t.shape.size()), Op::tensor, k, kc, &t, ++id};
        for (Index i = 0; i < r.size; ++i) node_of_[s + i] = nodes_.size();
        // An empty tensor owns no slot (the next node starts at the same one): remember it apart.
        if (r.size == 0) empty_.emplace_back(s, nodes_.size());
        nodes_.push_back(r);
        s += r.size;
        continue;
      }
      const Op op = tape.op_at(s);
      if (is_statement(op)) throw_statement_node(what);
      NodeRef r{Kind::scalar, s, 1, op, k, kc, nullptr, 0};
      if (op == Op::leaf) {
        r.kind = Kind::leaf;
      } else if (op == Op::constant) {
        r.kind = Kind::constant;
      } else {
        r.id = ++id;
      }
      k += kArity[static_cast<std::size_t>(op)];
      kc += kConsts[static_cast<std::size_t>(op)];
      node_of_[s] = nodes_.size();
      nodes_.push_back(r);
      ++s;
    }
    group_leaves();
    mark_needed();
  }

  const Tape& tape() const { return tape_; }
  Index out() const { return out_; }
  Index end() const { return end_; }
  const std::vector<NodeRef>& nodes() const { return nodes_; }
  const NodeRef& at(Index slot) const { return nodes_[node_of_[slot]]; }
  /// Whether L depends on the slot.
  bool needed(Index slot) const { return needed_[slot] != 0; }
  bool needed(const NodeRef& r) const { return needed_[r.slot] != 0; }
  Index group_first(Index slot) const { return group_first_[slot]; }
  Index group_size(Index first) const { return group_size_[first]; }
  /// The shape of the leaf group starting at `first` (() for a scalar leaf).
  Shape group_shape(Index first) const {
    const Index n = group_size_[first];
    if (n <= 1 && group_rank_[first] == 0) return Shape::scalar();
    return group_rank_[first] == 2 ? group_dims_[first] : Shape::vector(n);
  }

  ScalarView view(const NodeRef& r) const {
    ScalarView v;
    v.info = &op_info(r.op);
    for (std::size_t j = 0; j < v.info->arity; ++j) {
      v.slot[j] = tape_.inputs()[r.k + j];
      v.in[j] = v.slot[j] == 0 ? 0.0 : tape_.value_at(v.slot[j]);
      v.recorded[j] = tape_.partials()[r.k + j];
    }
    for (std::size_t j = 0; j < v.info->n_consts; ++j) v.c[j] = tape_.consts()[r.kc + j];
    v.y = tape_.value_at(r.slot);
    return v;
  }

  std::string leaf_base(Index first) const {
    const std::string* name = tape_.leaf_name(first);
    return name != nullptr ? *name : fmt::format("x{}", first);
  }

  /// The printed name of the value of `size` elements starting at `slot`.
  std::string name(Index slot, std::size_t size = 1) const {
    if (slot == 0) return "0";
    const NodeRef& r = at(slot);
    switch (r.kind) {
      case Kind::leaf: {
        const Index first = group_first_[slot];
        const Index n = group_size_[first];
        const std::string base = leaf_base(first);
        if (n <= 1 || (slot == first && size == n)) return base;
        return fmt::format("{}[{}]", base, slot - first);
      }
      case Kind::constant: {
        const std::string* given = tape_.leaf_name(slot);
        return given != nullptr ? *given : fmt::format("{:g}", tape_.value_at(slot));
      }
      case Kind::scalar:
        return fmt::format("ξ{}", r.id);
      case Kind::tensor:
        if (slot == r.slot && size == r.size) return fmt::format("ξ{}", r.id);
        return fmt::format("ξ{}[{}]", r.id, slot - r.slot);
    }
    return "?";
  }

  /// The printed name of a tensor node's input; constants print their values when short.
  std::string arg_name(const TensorArg& a) const {
    const std::size_t n = a.shape.size();
    if (a.slot != 0 && n == 0) {
      for (const auto& [slot, i] : empty_) {
        if (slot == a.slot) return fmt::format("ξ{}", nodes_[i].id);
      }
    }
    if (a.slot != 0) {
      std::string given = name(a.slot, n);
      const bool negative = at(a.slot).kind == Kind::constant && given.starts_with('-');
      return negative ? "(" + given + ")" : given;  // W·(-X)
    }
    for (const ConstantName& c : constants_) {
      if (c.data != a.data || c.name.empty()) continue;
      return c.name.starts_with('-') ? "(" + c.name + ")" : c.name;  // W·(-X)
    }
    if (n == 1) return fmt::format("{:g}", a.data[0]);
    if (n <= 4) {
      return fmt::format("[{:g}]", fmt::join(std::span<const double>(a.data, n), ", "));
    }
    return fmt::format("const{}", a.shape);
  }

  /// "1 + ξ3": the right-hand side of a node's definition.
  std::string rhs(const NodeRef& r) const {
    if (r.kind == Kind::tensor) {
      std::array<std::string, 3> in;
      for (Index i = 0; i < r.tensor->n_in && i < 3; ++i) in[i] = arg_name(r.tensor->in[i]);
      return r.tensor->op->definition(*r.tensor, in);
    }
    if (r.kind != Kind::scalar) return name(r.slot);
    const ScalarView v = view(r);
    return substitute(v.info->def, placeholders(v));
  }

  std::string definition(const NodeRef& r) const {
    if (r.kind == Kind::leaf) return fmt::format("{} (a leaf)", name(r.slot));
    if (r.kind == Kind::constant) return fmt::format("the constant {}", name(r.slot));
    return fmt::format("ξ{} = {}", r.id, rhs(r));
  }

  /// Names for a, b, c, d of a scalar node's formulas.
  std::array<std::string, 4> placeholders(const ScalarView& v) const {
    std::array<std::string, 4> p;
    for (std::size_t j = 0; j < v.info->arity; ++j) p[j] = name(v.slot[j]);
    for (std::size_t j = 0; j < v.info->n_consts; ++j) p[2 + j] = fmt::format("{:g}", v.c[j]);
    return p;
  }

 private:
  // A tensor leaf or a parameter is several leaf slots; group them so that they print as "w" and
  // "w[1]". Parameters are known to the tape; tensor leaves are recognised where a tensor node
  // reads them whole.
  void group_leaves() {
    group_first_.resize(end_);
    group_size_.assign(end_, 1);
    group_rank_.assign(end_, 0);
    group_dims_.assign(end_, Shape::scalar());
    for (Index s = 0; s < end_; ++s) group_first_[s] = s;
    auto claim = [this](Index first, const Shape& shape) {
      const std::size_t n = shape.size();
      if (n == 1 && shape.rank > 0 && first > 0 && first < end_ && at(first).kind == Kind::leaf &&
          group_size_[first] == 1) {
        group_rank_[first] = shape.rank;  // a one-element vector leaf is still a vector
        group_dims_[first] = shape;
      }
      if (n <= 1 || first == 0 || first + n > end_) return;
      for (Index s = first; s < first + n; ++s) {
        if (at(s).kind != Kind::leaf || group_first_[s] != s || group_size_[s] != 1) return;
      }
      for (Index s = first; s < first + n; ++s) group_first_[s] = first;
      group_size_[first] = static_cast<Index>(n);
      group_rank_[first] = shape.rank;
      group_dims_[first] = shape;
    };
    for (const auto& [p, slot] : tape_.parameters()) claim(slot, p->shape);
    for (const NodeRef& r : nodes_) {
      if (r.kind != Kind::tensor) continue;
      for (Index i = 0; i < r.tensor->n_in; ++i) {
        claim(r.tensor->in[i].slot, r.tensor->in[i].shape);
      }
    }
  }

  // The nodes L depends on: a reverse pass marking inputs of marked nodes.
  void mark_needed() {
    needed_.assign(end_, 0);
    needed_[out_] = 1;
    const Index* input = tape_.inputs();
    for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
      const NodeRef& r = *it;
      if (r.kind == Kind::scalar) {
        if (!needed_[r.slot]) continue;
        for (std::size_t j = 0; j < kArity[static_cast<std::size_t>(r.op)]; ++j) {
          needed_[input[r.k + j]] = 1;
        }
      } else if (r.kind == Kind::tensor) {
        const auto first = needed_.begin() + r.slot;
        if (std::find(first, first + r.size, 1) == first + r.size) continue;
        std::fill(first, first + r.size, 1);
        for (Index i = 0; i < r.tensor->n_in; ++i) {
          const TensorArg& a = r.tensor->in[i];
          if (a.slot == 0) continue;
          const Index hi = std::min<Index>(end_, a.slot + static_cast<Index>(a.shape.size()));
          for (Index s = a.slot; s < hi; ++s) needed_[s] = 1;
        }
      }
    }
    needed_[0] = 0;
  }

  const Tape& tape_;
  Index out_;
  Index end_;
  std::vector<NodeRef> nodes_;
  std::vector<std::size_t> node_of_;
  std::vector<Index> group_first_;
  std::vector<Index> group_size_;
  std::vector<std::uint8_t> group_rank_;
  std::vector<Shape> group_dims_;
  std::span<const ConstantName> constants_;
  std::vector<char> needed_;
  std::vector<std::pair<Index, std::size_t>> empty_;  // (slot, node) of empty tensor nodes
};

Tape& tape_of(const Var& L, const char* what) {
  Tape& tape = Tape::current();
  if (L.is_constant()) {
    throw TapeError(fmt::format(
        "{}: the output is a constant (it depends on no variable, or was computed under NoGrad)",
        what));
  }
  tape.check(L.slot(), L.generation());
  if (!tape.keep_values()) {
    throw TapeError(fmt::format(
        "{}: this tape does not keep scalar values (Tape::set_keep_values(false)); record again "
        "with values kept",
        what));
  }
  return tape;
}

// The engine's own reverse sweep into the tape's adjoint array (parameters' gradients untouched).
const double* engine_adjoints(Tape& tape, Index out) {
  double* adj = tape.prepare_adjoints();
  adj[out] = 1.0;
  reverse_sweep(tape, adj, out);
  adj[0] = 0.0;
  tape.mark_adjoints_valid();
  return adj;
}

// The kink of a built-in element-wise tensor op (recognised by its op-table name), counted over
// its elements; empty when no element sits on one.
std::string tensor_kink(const TensorNode& n) {
  if (const OpInfo* found = detail::elementwise_info(n); found != nullptr) {
    const OpInfo& info = *found;
    if (info.at_kink == nullptr) return {};
    std::size_t hits = 0, first = 0;
    if (info.arity == 1) {
      if (n.in[0].shape.size() != n.shape.size()) return {};
      for (std::size_t e = 0; e < n.shape.size(); ++e) {
        if (info.at_kink(&n.in[0].data[e], n.c.data()) && hits++ == 0) first = e;
      }
    } else {
      const auto ba = detail::Broadcast::of(n.in[0].shape, n.shape);
      const auto bb = detail::Broadcast::of(n.in[1].shape, n.shape);
      std::size_t e = 0;
      for (Index r = 0; r < n.shape.rows; ++r) {
        for (Index c = 0; c < n.shape.cols; ++c, ++e) {
          const double in[2] = {n.in[0].data[ba.at(r, c)], n.in[1].data[bb.at(r, c)]};
          if (info.at_kink(in, n.c.data()) && hits++ == 0) first = e;
        }
      }
    }
    if (hits == 0) return {};
    if (n.shape.size() == 1) return std::string(info.kink);
    return fmt::format("{} ({} of {} elements, the first at [{}])", info.kink, hits, n.shape.size(),
                       first);
  }
  return {};
}

// The printed names of a tensor node's inputs.
std::vector<std::string> input_names(const Walk& w, const TensorNode& t) {
  std::vector<std::string> names;
  for (Index i = 0; i < t.n_in; ++i) names.push_back(w.arg_name(t.in[i]));
  return names;
}

NodeRow make_row(const Walk& w, const NodeRef& r, const double* adj) {
  NodeRow row;
  row.id = r.id;
  row.slot = r.slot;
  row.definition = w.definition(r);
  row.adjoint = r.size > 0 ? adj[r.slot] : std::numeric_limits<double>::quiet_NaN();
  row.adjoints.assign(adj + r.slot, adj + r.slot + r.size);
  if (r.kind == Kind::tensor) {
    const TensorNode& t = *r.tensor;
    row.op = std::string(t.op->name());
    row.shape = t.shape;
    row.value = t.shape.size() > 0 ? t.value[0] : std::numeric_limits<double>::quiet_NaN();
    row.values.assign(t.value, t.value + t.shape.size());
    row.inputs = input_names(w, t);
    const std::string self = fmt::format("ξ{}", r.id);
    for (Index i = 0; i < t.n_in; ++i) {
      const TensorArg& a = t.in[i];
      row.input_ids.push_back(a.slot == 0 ? 0 : w.at(a.slot).id);
      if (!a.requires_grad() || w.at(a.slot).kind == Kind::constant) continue;  // no partial
      row.partials.push_back(detail::tensor_partial(t, i, row.inputs, self));
    }
    row.kink = tensor_kink(t);
    return row;
  }
  const ScalarView v = w.view(r);
  const OpInfo& info = *v.info;
  row.op = std::string(info.name);
  row.value = v.y;
  row.values = {v.y};
  const auto names = w.placeholders(v);
  std::array<double, 2> partial{};
  info.partials(v.in.data(), v.y, v.c.data(), partial.data());
  std::vector<std::string> notes;
  if (info.at_kink != nullptr && info.at_kink(v.in.data(), v.c.data())) {
    notes.emplace_back(info.kink);
  }
  for (std::size_t j = 0; j < info.arity; ++j) {
    row.inputs.push_back(names[j]);
    row.input_ids.push_back(v.slot[j] == 0 ? 0 : w.at(v.slot[j]).id);
    if (v.slot[j] != 0 && w.at(v.slot[j]).kind == Kind::constant) continue;  // a named constant
    row.partials.push_back(PartialRow{
        names[j], substitute(info.partial[j], names), partial[j], Shape::scalar(), {partial[j]}});
    if (std::isnan(partial[j])) notes.push_back(fmt::format("∂ξ{}/∂{} is nan", r.id, names[j]));
    // The number printed comes from the op table; backward used the one stored at record time.
    if (!same_number(partial[j], v.recorded[j])) {
      notes.push_back(fmt::format("recorded ∂ξ{}/∂{} = {} differs from the op table's {}", r.id,
                                  names[j], num(v.recorded[j]), num(partial[j])));
    }
  }
  row.kink = fmt::format("{}", fmt::join(notes, "; "));
  return row;
}

// A tensor node's steps: one vector–Jacobian product per input that takes a gradient, added
// into `adj` (the same sums as its vjp, input by input).
void steps_of_tensor(const Walk& w, const NodeRef& r, std::vector<double>& adj,
                     std::vector<SweepStep>& steps) {
  const TensorNode& t = *r.tensor;
  const std::vector<double> ybar(adj.begin() + r.slot, adj.begin() + r.slot + r.size);
  const std::vector<std::string> names = input_names(w, t);
  const std::string self = fmt::format("ξ{}", r.id);
  auto first = [](const std::vector<double>& v) {
    return v.empty() ? std::numeric_limits<double>::quiet_NaN() : v.front();
  };
  for (Index i = 0; i < t.n_in; ++i) {
    const TensorArg& a = t.in[i];
    if (!a.requires_grad() || w.at(a.slot).kind == Kind::constant) continue;
    SweepStep s;
    s.tensor = true;
    s.from = self;
    s.to = names[i];
    s.from_shape = t.shape;
    s.to_shape = a.shape;
    s.adjoints = ybar;
    s.partial_row = detail::tensor_partial(t, i, names, self);
    s.contribution = detail::tensor_contribution(t, i, ybar.data());
    const auto at = adj.begin() + a.slot;
    s.before_values.assign(at, at + static_cast<std::ptrdiff_t>(a.shape.size()));
    for (std::size_t k = 0; k < s.contribution.size(); ++k) at[k] += s.contribution[k];
    s.after_values.assign(at, at + static_cast<std::ptrdiff_t>(a.shape.size()));
    s.adjoint = first(ybar);
    s.partial = first(s.partial_row.values);
    s.before = first(s.before_values);
    s.after = first(s.after_values);
    steps.push_back(std::move(s));
  }
}

// The reverse sweep again, one chain-rule step at a time, for the nodes L depends on: the same
// products added in recording order (reverse_sweep may group two additions into one slot
// differently, so a running sum can differ from the engine's adjoint in the last bit; the ξ
// table's adjoint column is the engine's own).
std::vector<SweepStep> sweep_steps(const Walk& w) {
  const Tape& tape = w.tape();
  std::vector<double> adj(tape.slot_count(), 0.0);
  adj[w.out()] = 1.0;
  std::vector<SweepStep> steps;
  const double* partial = tape.partials();
  const Index* input = tape.inputs();
  for (auto it = w.nodes().rbegin(); it != w.nodes().rend(); ++it) {
    const NodeRef& r = *it;
    if (r.kind == Kind::tensor) {
      const TensorNode& t = *r.tensor;
      if (!w.needed(r) || r.size == 0) {
        t.op->vjp(t, VjpArgs{adj.data() + r.slot, adj.data()});
        continue;
      }
      steps_of_tensor(w, r, adj, steps);
      continue;
    }
    if (r.kind != Kind::scalar) continue;
    const double a = adj[r.slot];
    for (std::size_t j = 0; j < kArity[static_cast<std::size_t>(r.op)]; ++j) {
      const Index to = input[r.k + j];
      const double before = adj[to];
      adj[to] += partial[r.k + j] * a;
      if (!w.needed(r) || to == 0 || w.at(to).kind == Kind::constant) continue;
      SweepStep s;
      s.from = w.name(r.slot);
      s.to = w.name(to);
      s.adjoint = a;
      s.partial = partial[r.k + j];
      s.before = before;
      s.after = adj[to];
      steps.push_back(std::move(s));
    }
  }
  return steps;
}

}  // namespace

// ------------------------------------------------------------------ explain

Var named_constant(double value, std::string name) {
  Var c = detail::record_constant_leaf(value);
  Tape::current().name_leaf(c.slot(), std::move(name));
  return c;
}

Tensor named_constant(const double* data, Shape shape, std::string name) {
  if (shape.size() == 0) return constant(data, shape);
  Tape& tape = Tape::current();
  Index first = 0;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const Var c = detail::record_constant_leaf(data[i]);
    if (i == 0) first = c.slot();
  }
  tape.name_leaf(first, std::move(name));
  double* copy = tape.arena().allocate<double>(shape.size());
  std::copy_n(data, shape.size(), copy);
  return Tensor::make(copy, shape, first, tape.generation());
}

Explanation explain(const Var& L, std::span<const ConstantName> constants) {
  Tape& tape = tape_of(L, "explain");
  const Walk w(tape, L.slot(), "explain", constants);
  const double* adj = engine_adjoints(tape, L.slot());
  Explanation ex;
  ex.value = L.value();
  for (const NodeRef& r : w.nodes()) {
    if (r.kind == Kind::leaf) {
      const Index first = w.group_first(r.slot);
      if (first != r.slot) continue;  // a tensor leaf is one row, at its first slot
      const auto n = static_cast<std::size_t>(w.group_size(first));
      LeafRow l;
      l.name = w.name(first, n);
      l.slot = first;
      l.shape = w.group_shape(first);
      for (std::size_t k = 0; k < n; ++k) {
        l.values.push_back(tape.value_at(first + static_cast<Index>(k)));
        l.adjoints.push_back(adj[first + k]);
      }
      l.value = l.values.front();
      l.adjoint = l.adjoints.front();
      ex.leaves.push_back(std::move(l));
    } else if (r.kind != Kind::constant) {
      ex.nodes.push_back(make_row(w, r, adj));
    }
  }
  ex.steps = sweep_steps(w);
  return ex;
}

namespace {

// "[a, b, c, …, z]": at most `shown` items of the row of n elements at v.
std::string row_text(std::span<const double> v, std::size_t shown, bool& cut) {
  std::vector<std::string> items;
  const std::size_t n = v.size();
  if (n <= shown) {
    for (double x : v) items.push_back(num(x));
  } else {
    cut = true;
    const std::size_t head = std::max<std::size_t>(1, shown / 2);
    for (std::size_t k = 0; k < head; ++k) items.push_back(num(v[k]));
    items.emplace_back("…");
    items.push_back(num(v[n - 1]));
  }
  return fmt::format("[{}]", fmt::join(items, ", "));
}

}  // namespace

std::string values_text(const Shape& shape, std::span<const double> values, std::size_t shown) {
  if (shape.is_scalar()) return values.empty() ? std::string() : num(values.front());
  if (shape.size() == 0 || values.size() < shape.size()) return fmt::format("[] {}", shape);
  bool cut = false;
  std::string text;
  if (shape.rank == 1) {
    text = row_text(values, shown, cut);
  } else {
    const auto cols = static_cast<std::size_t>(shape.cols);
    const auto rows = static_cast<std::size_t>(shape.rows);
    std::vector<std::string> lines;
    auto row = [&](std::size_t r) { return row_text(values.subspan(r * cols, cols), shown, cut); };
    if (rows <= shown) {
      for (std::size_t r = 0; r < rows; ++r) lines.push_back(row(r));
    } else {
      cut = true;
      const std::size_t head = std::max<std::size_t>(1, shown / 2);
      for (std::size_t r = 0; r < head; ++r) lines.push_back(row(r));
      lines.emplace_back("…");
      lines.push_back(row(rows - 1));
    }
    text = fmt::format("[{}]", fmt::join(lines, ", "));
  }
  return cut ? fmt::format("{} {}", text, shape) : text;
}

std::string Explanation::table() const {
  return to_text(xi_table(*this));
}

std::string Explanation::steps_text() const {
  return to_text(steps_table(*this));
}

// ------------------------------------------------------------------ Graphviz

namespace {

std::string dot_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else {
      out += ch;
    }
  }
  return out;
}

std::string dot_id(const Walk& w, Index slot) {
  const NodeRef& r = w.at(slot);
  if (r.kind == Kind::leaf) return fmt::format("n{}", w.group_first(slot));
  return fmt::format("n{}", r.slot);
}

// "[2]: " when an edge carries one element of a tensor leaf or tensor node.
std::string element_prefix(const Walk& w, Index slot, std::size_t size) {
  const NodeRef& r = w.at(slot);
  if (r.kind == Kind::leaf) {
    const Index first = w.group_first(slot);
    const Index n = w.group_size(first);
    if (n > 1 && !(slot == first && size == n)) return fmt::format("[{}]: ", slot - first);
  } else if (r.kind == Kind::tensor && !(slot == r.slot && size == r.size)) {
    return fmt::format("[{}]: ", slot - r.slot);
  }
  return {};
}

}  // namespace

std::string to_dot(const Var& L, std::span<const ConstantName> constants) {
  Tape& tape = tape_of(L, "to_dot");
  const Walk w(tape, L.slot(), "to_dot", constants);
  const double* adj = engine_adjoints(tape, L.slot());
  const Index out =
      w.at(L.slot()).kind == Kind::leaf ? w.group_first(L.slot()) : w.at(L.slot()).slot;

  std::string dot =
      "digraph xigrad {\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", "
      "fontsize=10];\n";
  // Leaves, constants and operations each have a colour; the output is highlighted.
  auto node = [&](Index slot, std::string_view label, std::string_view attrs,
                  std::string_view fill) {
    if (slot == out) {
      dot += fmt::format(
          "  n{} [label=\"{}\", {}, fillcolor=\"#ffd966\", color=\"#b45f06\", penwidth=2.5];\n",
          slot, dot_escape(label), attrs);
    } else {
      dot += fmt::format("  n{} [label=\"{}\", {}, fillcolor=\"{}\"];\n", slot, dot_escape(label),
                         attrs, fill);
    }
  };
  auto edge = [&](const std::string& from, Index to, std::string_view label) {
    dot += fmt::format("  {} -> n{} [label=\"{}\"];\n", from, to, dot_escape(label));
  };
  constexpr std::string_view kEllipse = "shape=ellipse, style=filled";
  constexpr std::string_view kBox = "shape=box, style=\"rounded,filled\"";
  constexpr std::string_view kLeafFill = "#cfe2f3", kConstFill = "#e6e6e6", kOpFill = "#ffffff";
  // Recorded constants that nodes read: a scalar one, or the first slot of a constant tensor.
  std::set<Index> scalar_reads;
  std::map<Index, const TensorArg*> constant_args;
  for (const NodeRef& r : w.nodes()) {
    if (r.kind == Kind::scalar) {
      const ScalarView v = w.view(r);
      for (std::size_t j = 0; j < v.info->arity; ++j) scalar_reads.insert(v.slot[j]);
    } else if (r.kind == Kind::tensor) {
      for (Index i = 0; i < r.tensor->n_in; ++i) {
        const TensorArg& a = r.tensor->in[i];
        if (a.slot != 0 && a.shape.size() > 0 && w.at(a.slot).kind == Kind::constant) {
          constant_args.emplace(a.slot, &a);
        }
      }
    }
  }

  for (const NodeRef& r : w.nodes()) {
    if (!w.needed(r.slot)) continue;
    switch (r.kind) {
      case Kind::leaf: {
        const Index first = w.group_first(r.slot);
        if (first != r.slot) break;  // a tensor leaf is drawn once, at its first slot
        const auto n = static_cast<std::size_t>(w.group_size(first));
        const std::string name = w.name(first, n);
        const Shape shape = w.group_shape(first);
        std::vector<double> values;
        for (std::size_t k = 0; k < n; ++k) values.push_back(tape.value_at(first + k));
        node(r.slot,
             fmt::format("{} = {}\n∂L/∂{} = {}", name, values_text(shape, values), name,
                         values_text(shape, std::span<const double>(adj + first, n))),
             kEllipse, kLeafFill);
        break;
      }
      case Kind::constant: {
        if (const auto it = constant_args.find(r.slot); it != constant_args.end()) {
          const TensorArg& a = *it->second;  // a named constant tensor, drawn whole
          const std::string v =
              values_text(a.shape, std::span<const double>(a.data, a.shape.size()));
          node(r.slot, fmt::format("{} = {}", w.name(r.slot, a.shape.size()), v), kEllipse,
               kConstFill);
          break;
        }
        if (!scalar_reads.contains(r.slot)) break;  // an element of a constant tensor
        const std::string value = num(tape.value_at(r.slot));
        const std::string name = w.name(r.slot);  // a named constant: "y = 1"
        node(r.slot,
             name == fmt::format("{:g}", tape.value_at(r.slot)) ? value : name + " = " + value,
             kEllipse, kConstFill);
        break;
      }
      case Kind::scalar: {
        node(r.slot,
             fmt::format("{}\nvalue = {}\n∂L/∂ξ{} = {}", w.definition(r),
                         num(tape.value_at(r.slot)), r.id, num(adj[r.slot])),
             kBox, kOpFill);
        const ScalarView v = w.view(r);
        for (std::size_t j = 0; j < v.info->arity; ++j) {
          if (v.slot[j] == 0) continue;
          const bool constant = w.at(v.slot[j]).kind == Kind::constant;  // feeds no gradient back
          edge(dot_id(w, v.slot[j]), r.slot,
               constant ? std::string() : element_prefix(w, v.slot[j], 1) + num(v.recorded[j]));
        }
        break;
      }
      case Kind::tensor: {
        const TensorNode& t = *r.tensor;
        if (r.size == 0) break;  // an empty tensor has no slot of its own to draw or feed from
        const std::string value = values_text(t.shape, std::span<const double>(t.value, r.size));
        const std::string adjoint =
            values_text(t.shape, std::span<const double>(adj + r.slot, r.size));
        node(r.slot,
             fmt::format("{}\nvalue = {}\n∂L/∂ξ{} = {}", w.definition(r), value, r.id, adjoint),
             kBox, kOpFill);
        const std::vector<std::string> names = input_names(w, t);
        for (Index i = 0; i < t.n_in; ++i) {
          const TensorArg& a = t.in[i];
          if (a.slot != 0 && a.shape.size() == 0) continue;
          if (a.slot == 0) {
            const std::string id = fmt::format("k{}_{}", r.slot, i);
            const std::string name = w.arg_name(a);
            const std::string v =
                values_text(a.shape, std::span<const double>(a.data, a.shape.size()));
            dot += fmt::format("  {} [label=\"{}\", {}, fillcolor=\"{}\"];\n", id,
                               dot_escape(name == v ? v : fmt::format("{} = {}", name, v)),
                               kEllipse, kConstFill);
            edge(id, r.slot, "");
          } else if (w.at(a.slot).kind == Kind::constant) {
            edge(dot_id(w, a.slot), r.slot, "");  // a named constant feeds no gradient back
          } else {
            const PartialRow p = detail::tensor_partial(t, i, names, fmt::format("ξ{}", r.id));
            const std::string v = p.values.empty() ? p.formula : values_text(p.shape, p.values);
            edge(dot_id(w, a.slot), r.slot,
                 element_prefix(w, a.slot, a.shape.size()) +
                     (p.formula == v ? v : fmt::format("{} = {}", p.formula, v)));
          }
        }
        break;
      }
    }
  }
  dot += "}\n";
  return dot;
}

// ------------------------------------------------------------------ anomaly check

namespace {

std::string value_text(const Tape& tape, Index slot) {
  if (slot == 0) return "0";
  if (!tape.keep_values() && tape.tensor_at(slot) == nullptr && tape.op_at(slot) != Op::constant) {
    return "?";
  }
  return num(tape.value_at(slot));
}

bool all_finite(const double* p, std::size_t n) {
  return std::all_of(p, p + n, [](double v) { return std::isfinite(v); });
}

std::string describe_value(const Walk& w, const NodeRef& r, std::size_t e) {
  const Tape& tape = w.tape();
  if (r.kind == Kind::leaf) {
    return fmt::format("the leaf {} is {}: a variable was given a non-finite value", w.name(r.slot),
                       value_text(tape, r.slot));
  }
  if (r.kind == Kind::constant) {
    return fmt::format("the constant recorded at slot {} is {}", r.slot, value_text(tape, r.slot));
  }
  if (r.kind == Kind::scalar) {
    const ScalarView v = w.view(r);
    std::array<std::string, 4> values;
    std::vector<std::string> inputs;
    for (std::size_t j = 0; j < v.info->arity; ++j) {
      values[j] = value_text(tape, v.slot[j]);
      inputs.push_back(fmt::format("{} = {}", w.name(v.slot[j]), values[j]));
    }
    for (std::size_t j = 0; j < v.info->n_consts; ++j) values[2 + j] = fmt::format("{:g}", v.c[j]);
    return fmt::format("{} is {}: {} (inputs: {})", w.definition(r), num(v.y),
                       substitute(v.info->def, values), fmt::join(inputs, ", "));
  }
  const TensorNode& t = *r.tensor;
  // For element-wise shapes (each input a scalar or of the node's shape) show the element's
  // inputs; otherwise whether each input is finite.
  bool elementwise = true;
  for (Index i = 0; i < t.n_in; ++i) {
    const std::size_t n = t.in[i].shape.size();
    elementwise = elementwise && (n == 1 || n == t.shape.size());
  }
  std::vector<std::string> inputs;
  std::array<std::string, 3> values;
  for (Index i = 0; i < t.n_in; ++i) {
    const TensorArg& a = t.in[i];
    const std::size_t n = a.shape.size();
    const std::string name = w.arg_name(a);
    if (elementwise) {
      const std::size_t at = n == 1 ? 0 : e;
      if (i < 3) values[i] = num(a.data[at]);
      inputs.push_back(n == 1 ? fmt::format("{} = {}", name, num(a.data[at]))
                              : fmt::format("{}[{}] = {}", name, at, num(a.data[at])));
    } else {
      inputs.push_back(
          fmt::format("{} {} {}", name, a.shape,
                      all_finite(a.data, n) ? "all finite" : "has non-finite elements"));
    }
  }
  const std::string where =
      t.shape.is_scalar() ? std::string() : fmt::format(" at element {} of {}", e, t.shape);
  return fmt::format("{} is {}{}{} (inputs: {})", w.definition(r), num(t.value[e]), where,
                     elementwise ? ": " + t.op->definition(t, values) : std::string(),
                     fmt::join(inputs, ", "));
}

std::string describe_adjoint(const Walk& w, const NodeRef& r, Index slot, const double* adj) {
  const Tape& tape = w.tape();
  const std::string name = w.name(slot);
  std::string text =
      fmt::format("∂L/∂{} is {} ({}, value {})", name, num(adj[slot]),
                  r.kind == Kind::leaf ? "a leaf" : w.definition(r), value_text(tape, slot));
  // Which consumers passed a non-finite contribution down to it.
  std::vector<std::string> culprits;
  std::vector<double> scratch;
  for (const NodeRef& c : w.nodes()) {
    if (c.slot <= r.slot) continue;
    if (c.kind == Kind::scalar) {
      const ScalarView v = w.view(c);
      for (std::size_t j = 0; j < v.info->arity; ++j) {
        if (v.slot[j] != slot || std::isfinite(v.recorded[j] * adj[c.slot])) continue;
        culprits.push_back(fmt::format("{} passes ∂L/∂ξ{} · ∂ξ{}/∂{} = {} · {} ({})",
                                       w.definition(c), c.id, c.id, name, num(adj[c.slot]),
                                       num(v.recorded[j]),
                                       substitute(v.info->partial[j], w.placeholders(v))));
      }
    } else if (c.kind == Kind::tensor) {
      const TensorNode& t = *c.tensor;
      bool reads = false;
      for (Index i = 0; i < t.n_in; ++i) {
        reads = reads || (t.in[i].slot != 0 && slot >= t.in[i].slot &&
                          slot < t.in[i].slot + t.in[i].shape.size());
      }
      if (!reads) continue;
      std::size_t n = w.end();
      for (Index i = 0; i < t.n_in; ++i) n = std::max(n, t.in[i].slot + t.in[i].shape.size());
      scratch.assign(n, 0.0);
      t.op->vjp(t, VjpArgs{adj + c.slot, scratch.data()});
      if (std::isfinite(scratch[slot])) continue;
      culprits.push_back(fmt::format(
          "{} passes {} through its vector–Jacobian rule ({}∂L/∂ξ{} is {})", w.definition(c),
          num(scratch[slot]), all_finite(adj + c.slot, c.size) ? "although " : "", c.id,
          all_finite(adj + c.slot, c.size) ? "finite" : "not finite"));
    }
  }
  if (culprits.empty()) {
    text += ": its contributions are finite but their sum is not";
  } else {
    text += fmt::format(": {}", fmt::join(culprits, "; "));
  }
  return text;
}

}  // namespace

std::optional<std::string> find_non_finite(const Tape& tape, const Var& L) {
  if (L.is_constant()) return std::nullopt;
  tape.check(L.slot(), L.generation());
  const Walk w(tape, L.slot(), "the non-finite check");
  // Values, in recording order, of the nodes L depends on.
  for (const NodeRef& r : w.nodes()) {
    if (!w.needed(r)) continue;
    if (r.kind == Kind::tensor) {
      const double* v = r.tensor->value;
      for (std::size_t e = 0; e < r.size; ++e) {
        if (!std::isfinite(v[e])) return describe_value(w, r, e);
      }
      continue;
    }
    if (!tape.keep_values() && r.kind != Kind::constant) continue;
    if (!std::isfinite(tape.value_at(r.slot))) return describe_value(w, r, 0);
  }
  // Adjoints, in reverse-sweep order, from a sweep of our own (the tape's may be another L's).
  std::vector<double> adj(tape.slot_count(), 0.0);
  adj[L.slot()] = 1.0;
  reverse_sweep(tape, adj.data(), L.slot());
  for (auto it = w.nodes().rbegin(); it != w.nodes().rend(); ++it) {
    const NodeRef& r = *it;
    if (!w.needed(r) || r.kind == Kind::constant) continue;
    for (Index e = 0; e < r.size; ++e) {
      if (!std::isfinite(adj[r.slot + e])) return describe_adjoint(w, r, r.slot + e, adj.data());
    }
  }
  return std::nullopt;
}

void throw_if_not_finite(const Tape& tape, const Var& L) {
  if (auto message = find_non_finite(tape, L)) throw NonFiniteError(*message);
}

}  // namespace xi
