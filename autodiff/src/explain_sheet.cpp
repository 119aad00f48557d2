// The ξ table, the reverse sweep and a check report as xi::Tables of plain-text cells: the one
// model that the text, Markdown, LaTeX and HTML renderers draw.

#include "explain_sheet.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include <xigrad/autodiff/export.hpp>

#include "explain_detail.hpp"

namespace xi {
namespace detail {
namespace {

// A formula that is just a number ("-1", "1") is shown once, not as "-1 = -1".
bool is_number(const std::string& s) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

std::string base_of(const std::string& name) {
  return split_element(name).first;
}

}  // namespace

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t from = 0;
  for (std::size_t end = text.find('\n'); end != std::string_view::npos;
       end = text.find('\n', from)) {
    out.push_back(text.substr(from, end - from));
    from = end + 1;
  }
  out.push_back(text.substr(from));
  return out;
}

std::pair<std::string, std::string> split_element(const std::string& printed_name) {
  const std::size_t open = printed_name.rfind('[');
  if (printed_name.empty() || printed_name.back() != ']' || open == std::string::npos ||
      open == 0) {
    return {printed_name, ""};
  }
  return {printed_name.substr(0, open), printed_name.substr(open)};
}

std::string node_name_cell(const NodeRow& n) {
  return fmt::format("ξ{}", n.id);
}

std::string definition_cell(const NodeRow& n) {
  const std::string lhs = node_name_cell(n) + " = ";
  return n.definition.starts_with(lhs) ? n.definition.substr(lhs.size()) : n.definition;
}

std::string partial_values(const PartialRow& p, std::size_t shown) {
  return p.values.empty() ? p.formula : values_text(p.shape, p.values, shown);
}

std::string partial_cell(const NodeRow& n, const PartialRow& p) {
  const std::string lhs = fmt::format("∂{}/∂{}", node_name_cell(n), p.input);
  // A Jacobian too large to keep has its formula only.
  if (p.values.empty()) return fmt::format("{} = {}", lhs, p.formula);
  // A scalar node's NaN partial: its note says so.
  if (p.values.size() == 1 && std::isnan(p.values.front())) {
    return fmt::format("{}: {}", lhs, p.formula);
  }
  const std::string v = values_text(p.shape, p.values);
  if (p.formula.empty() || p.formula == v || (p.shape.is_scalar() && is_number(p.formula))) {
    return fmt::format("{} = {}", lhs, v);
  }
  return fmt::format("{} = {} = {}", lhs, p.formula, v);
}

std::string step_after_cell(const SweepStep& s) {
  return s.tensor ? values_text(s.to_shape, s.after_values) : explain_num(s.after);
}

std::string node_key(const NodeRow& n) {
  return fmt::format("xi{}", n.id);
}

std::string leaf_key(const std::string& leaf_name) {
  return "leaf-" + base_of(leaf_name);
}

std::string key_of_name(const std::string& printed_name) {
  const std::string base = base_of(printed_name);
  if (base.starts_with("ξ") && base.size() > 2) return "xi" + base.substr(2);
  return leaf_key(base);
}

}  // namespace detail

Table xi_table(const Explanation& e, const XiTableLayout& layout) {
  Table t{.header = {layout.node_header, "definition", "value", "local partials",
                     "∂L/∂" + layout.node_header},
          .align = "llrlr",
          .kind = "mmmmm"};
  for (const LeafRow& l : e.leaves) {
    t.rows.push_back({{l.name},
                      {"leaf"},
                      {values_text(l.shape, l.values)},
                      {},
                      {values_text(l.shape, l.adjoints)}});
  }
  const bool note_column =
      !layout.notes_as_partials &&
      std::any_of(e.nodes.begin(), e.nodes.end(), [](const NodeRow& n) { return !n.kink.empty(); });
  for (const NodeRow& n : e.nodes) {
    Table::Cell partials;
    for (const PartialRow& p : n.partials) partials.push_back(detail::partial_cell(n, p));
    if (layout.notes_as_partials && !n.kink.empty()) partials.push_back("kink: " + n.kink);
    std::vector<Table::Cell> row = {
        {detail::node_name_cell(n)},
        {layout.whole_definitions ? n.definition : detail::definition_cell(n)},
        {values_text(n.shape, n.values)},
        partials,
        {values_text(n.shape, n.adjoints)}};
    if (note_column) row.push_back(n.kink.empty() ? Table::Cell{} : Table::Cell{n.kink});
    t.rows.push_back(std::move(row));
  }
  if (note_column) {
    t.header.emplace_back("note");
    t.align += 'l';
    t.kind += 't';
    for (auto& row : t.rows) row.resize(t.header.size());
  }
  return t;
}

Table steps_table(const Explanation& e) {
  Table t{.header = {"step", "chain rule", "adjoint · partial", "∂L/∂target"},
          .align = "rlll",
          .kind = "mmmm"};
  std::map<std::string, int> total, seen;
  for (const SweepStep& st : e.steps) ++total[st.to];
  int k = 0;
  for (const SweepStep& st : e.steps) {
    const int nth = ++seen[st.to];
    std::string product;
    std::string acc;
    if (st.tensor) {
      const PartialRow& p = st.partial_row;
      product = fmt::format("{} {} {} = {}", values_text(st.from_shape, st.adjoints), p.product,
                            detail::partial_values(p), values_text(st.to_shape, st.contribution));
      acc = fmt::format("{} → {}", values_text(st.to_shape, st.before_values),
                        values_text(st.to_shape, st.after_values));
    } else {
      product = fmt::format("{} · {} = {}", detail::explain_num(st.adjoint),
                            detail::explain_num(st.partial),
                            detail::explain_num(st.adjoint * st.partial));
      acc = fmt::format("{} → {}", detail::explain_num(st.before), detail::explain_num(st.after));
    }
    if (total[st.to] > 1) acc += fmt::format("  (contribution {} of {})", nth, total[st.to]);
    t.rows.push_back({{std::to_string(++k)},
                      {fmt::format("∂L/∂{} += ∂L/∂{} · ∂{}/∂{}", st.to, st.from, st.from, st.to)},
                      {product},
                      {acc}});
  }
  return t;
}

Table check_table(const GradientReport& r) {
  const bool with_hand = std::any_of(r.components.begin(), r.components.end(),
                                     [](const CheckComponent& c) { return c.hand.has_value(); });
  Table t;
  t.header = {"variable"};
  if (with_hand) t.header.emplace_back("hand");
  for (const char* h : {"autodiff", "finite difference", "rel. error", "verdict"}) {
    t.header.emplace_back(h);
  }
  t.align = with_hand ? "lrrrrl" : "lrrrl";
  t.kind = with_hand ? "mmmmmt" : "mmmmt";
  for (const CheckComponent& c : r.components) {
    std::vector<Table::Cell> row = {{c.name}};
    if (with_hand) row.push_back({c.hand ? detail::explain_num(*c.hand) : ""});
    row.push_back({detail::explain_num(c.autodiff)});
    row.push_back({detail::explain_num(c.finite_difference)});
    row.push_back({std::isnan(c.rel_error) ? "nan" : fmt::format("{:.1e}", c.rel_error)});
    row.push_back({c.ok ? "ok" : "DISAGREE"});
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace xi
