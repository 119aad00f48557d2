// The ξ table, the reverse sweep and a check report as rows of plain-text cells, shared by the
// Markdown, LaTeX and HTML exports (explain_markdown.cpp, explain_latex.cpp, explain_html.cpp).

#include "explain_sheet.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace xi::detail {
namespace {

bool is_number(const std::string& s) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

std::string shaped(double first, const Shape& shape) {
  if (shape.is_scalar()) return cell_number(first);
  if (shape.size() == 0) return fmt::format("[] {}", shape);
  if (shape.size() == 1) return fmt::format("[{}] {}", cell_number(first), shape);
  return fmt::format("[{}, …] {}", cell_number(first), shape);
}

std::string base_of(const std::string& name) {
  return split_element(name).first;
}

}  // namespace

std::pair<std::string, std::string> split_element(const std::string& printed_name) {
  const std::size_t open = printed_name.rfind('[');
  if (printed_name.empty() || printed_name.back() != ']' || open == std::string::npos ||
      open == 0) {
    return {printed_name, ""};
  }
  return {printed_name.substr(0, open), printed_name.substr(open)};
}

std::string cell_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return "0";
  return fmt::format("{:.6g}", v);
}

std::string leaf_value_cell(const LeafRow& l) {
  return cell_number(l.value);
}

std::string leaf_adjoint_cell(const LeafRow& l) {
  return cell_number(l.adjoint);
}

std::string node_name_cell(const NodeRow& n) {
  return fmt::format("ξ{}", n.id);
}

std::string definition_cell(const NodeRow& n) {
  const std::string lhs = node_name_cell(n) + " = ";
  return n.definition.starts_with(lhs) ? n.definition.substr(lhs.size()) : n.definition;
}

std::string value_cell(const NodeRow& n) {
  return shaped(n.value, n.shape);
}

std::string adjoint_cell(const NodeRow& n) {
  return shaped(n.adjoint, n.shape);
}

std::string partial_cell(const NodeRow& n, const PartialRow& p) {
  const std::string lhs = fmt::format("∂{}/∂{}", node_name_cell(n), p.input);
  // A tensor node's rule is a vector–Jacobian product with no single number (its value is NaN).
  if (std::isnan(p.value) && !p.formula.empty()) return fmt::format("{} = {}", lhs, p.formula);
  if (p.formula.empty() || is_number(p.formula)) {
    return fmt::format("{} = {}", lhs, cell_number(p.value));
  }
  return fmt::format("{} = {} = {}", lhs, p.formula, cell_number(p.value));
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

Sheet xi_sheet(const Explanation& e) {
  Sheet s{{"ξ", "definition", "value", "local partials", "∂L/∂ξ"}, "llrlr", "mmmmm", {}, {}};
  // A long tensor leaf shows its first elements and its last.
  constexpr std::size_t kShown = 4;
  std::map<std::string, std::size_t> seen, count;
  for (const LeafRow& l : e.leaves) ++count[base_of(l.name)];
  for (const LeafRow& l : e.leaves) {
    const std::string base = base_of(l.name);
    const std::size_t i = seen[base]++;
    if (i >= kShown && i + 1 < count[base]) {
      if (i == kShown) {
        s.rows.push_back({{"…"}, {}, {}, {}, {}});
        s.keys.push_back(leaf_key(l.name));
      }
      continue;
    }
    s.rows.push_back({{l.name}, {"leaf"}, {leaf_value_cell(l)}, {}, {leaf_adjoint_cell(l)}});
    s.keys.push_back(leaf_key(l.name));
  }
  const bool any_note =
      std::any_of(e.nodes.begin(), e.nodes.end(), [](const NodeRow& n) { return !n.kink.empty(); });
  for (const NodeRow& n : e.nodes) {
    Cell partials;
    for (const PartialRow& p : n.partials) partials.push_back(partial_cell(n, p));
    std::vector<Cell> row = {
        {node_name_cell(n)}, {definition_cell(n)}, {value_cell(n)}, partials, {adjoint_cell(n)}};
    if (any_note) row.push_back(n.kink.empty() ? Cell{} : Cell{n.kink});
    s.rows.push_back(std::move(row));
    s.keys.push_back(node_key(n));
  }
  if (any_note) {
    s.header.emplace_back("note");
    s.align += 'l';
    s.kind += 't';
    for (auto& row : s.rows) row.resize(s.header.size());
  }
  return s;
}

Sheet steps_sheet(const Explanation& e) {
  Sheet s{{"step", "chain rule", "adjoint · partial", "∂L/∂target"}, "rlll", "mmmm", {}, {}};
  std::map<std::string, int> total, seen;
  for (const SweepStep& st : e.steps) ++total[st.to];
  int k = 0;
  for (const SweepStep& st : e.steps) {
    const int nth = ++seen[st.to];
    std::string acc = fmt::format("{} → {}", cell_number(st.before), cell_number(st.after));
    if (total[st.to] > 1) acc += fmt::format(" (contribution {} of {})", nth, total[st.to]);
    s.rows.push_back({{std::to_string(++k)},
                      {fmt::format("∂L/∂{} += ∂L/∂{} · ∂{}/∂{}", st.to, st.from, st.from, st.to)},
                      {fmt::format("{} · {} = {}", cell_number(st.adjoint), cell_number(st.partial),
                                   cell_number(st.adjoint * st.partial))},
                      {acc}});
    s.keys.push_back(key_of_name(st.to));
  }
  return s;
}

Sheet check_sheet(const GradientReport& r) {
  const bool with_hand = std::any_of(r.components.begin(), r.components.end(),
                                     [](const CheckComponent& c) { return c.hand.has_value(); });
  Sheet s;
  s.header = {"variable"};
  if (with_hand) s.header.emplace_back("hand");
  for (const char* h : {"autodiff", "finite difference", "rel. error", "verdict"}) {
    s.header.emplace_back(h);
  }
  s.align = with_hand ? "lrrrrl" : "lrrrl";
  s.kind = with_hand ? "mmmmmt" : "mmmmt";
  for (const CheckComponent& c : r.components) {
    std::vector<Cell> row = {{c.name}};
    if (with_hand) row.push_back({c.hand ? cell_number(*c.hand) : ""});
    row.push_back({cell_number(c.autodiff)});
    row.push_back({cell_number(c.finite_difference)});
    row.push_back({std::isnan(c.rel_error) ? "nan" : fmt::format("{:.1e}", c.rel_error)});
    row.push_back({c.ok ? "ok" : "DISAGREE"});
    s.rows.push_back(std::move(row));
    s.keys.push_back(leaf_key(c.name));
  }
  return s;
}

}  // namespace xi::detail
