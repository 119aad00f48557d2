// Builds and lays out the graph drawn by the HTML export (see explain_graph.hpp).

#include "explain_graph.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string_view>

#include <fmt/format.h>

#include "explain_sheet.hpp"

namespace xi::detail {

namespace {

constexpr double kCharWidth = 7.2;  // px per character of the 12px monospace font
constexpr double kPadding = 18;     // px around the text of a box
constexpr double kLineHeight = 18;  // px per text line
constexpr double kLayerGap = 46;    // px between layers: room for an edge label
constexpr double kRowGap = 24;      // px between boxes of one layer
constexpr double kMargin = 12;      // px around the drawing
constexpr std::size_t kShown = 4;   // elements of a vector shown on an edge

// "w[3]" → "[3]: "; a whole value → "".
std::string element_prefix(const std::string& name) {
  const std::string element = split_element(name).second;
  return element.empty() ? element : element + ": ";
}

void size_box(GraphNode& n) {
  std::size_t chars = display_width(n.title);
  if (n.kind != GraphNode::Kind::constant) {
    chars = std::max(
        {chars, display_width(n.value) + 2, display_width(n.label) + display_width(n.adjoint) + 3});
  }
  n.width = std::ceil(static_cast<double>(chars) * kCharWidth + kPadding);
  n.height = n.kind == GraphNode::Kind::constant ? kLineHeight + 12 : 3 * kLineHeight + 12;
}

}  // namespace

Graph layout_graph(const Explanation& e) {
  Graph g;
  std::map<std::string, std::size_t> index;  // key → node
  // Leaves: one node per variable (a tensor leaf is one row, shown as a short vector).
  for (const LeafRow& l : e.leaves) {
    const std::string key = leaf_key(l.name);
    if (index.contains(key)) continue;
    index[key] = g.nodes.size();
    GraphNode n;
    n.kind = GraphNode::Kind::leaf;
    n.key = key;
    n.title = key.substr(std::string_view("leaf-").size());
    n.label = "∂L/∂" + n.title;
    n.value = values_text(l.shape, l.values);
    n.adjoint = values_text(l.shape, l.adjoints);
    g.nodes.push_back(n);
  }
  const std::size_t n_leaves = g.nodes.size();

  // ξ nodes in recording order, with an edge from each input (a constant gets a node per use).
  for (const NodeRow& row : e.nodes) {
    GraphNode n;
    n.key = node_key(row);
    n.title = row.definition;
    n.value = values_text(row.shape, row.values);
    n.label = "∂L/∂" + node_name_cell(row);
    n.adjoint = values_text(row.shape, row.adjoints);
    const std::size_t self = g.nodes.size();
    index[n.key] = self;
    g.nodes.push_back(n);
    std::vector<bool> used(row.partials.size(), false);
    for (std::size_t j = 0; j < row.inputs.size(); ++j) {
      const std::string& name = row.inputs[j];
      const std::string key = j < row.input_ids.size() && row.input_ids[j] != 0
                                  ? fmt::format("xi{}", row.input_ids[j])
                                  : leaf_key(name);
      std::size_t from = 0;
      if (const auto it = index.find(key); it != index.end()) {
        from = it->second;
      } else {
        GraphNode c;
        c.kind = GraphNode::Kind::constant;
        c.key = fmt::format("const-{}", g.nodes.size());
        c.title = name;
        from = g.nodes.size();
        g.nodes.push_back(c);
      }
      // The partial with respect to this input (a tensor node lists only differentiable ones).
      std::string label;
      for (std::size_t p = 0; p < row.partials.size(); ++p) {
        if (used[p] || row.partials[p].input != name) continue;
        used[p] = true;
        const PartialRow& partial = row.partials[p];
        // A scalar partial that is NaN shows its formula (the table's note says why).
        const bool nan = partial.shape.is_scalar() && std::isnan(partial.value);
        label = element_prefix(name) + (nan ? partial.formula : partial_values(partial, kShown));
        break;
      }
      g.edges.push_back({from, self, label});
    }
    g.nodes[self].output = &row == &e.nodes.back();
  }

  // Layers: a ξ node one below its lowest non-constant input; a leaf just above its first
  // reader; a constant just above its reader.
  std::vector<std::vector<std::size_t>> inputs(g.nodes.size()), readers(g.nodes.size());
  for (const GraphEdge& edge : g.edges) {
    inputs[edge.to].push_back(edge.from);
    readers[edge.from].push_back(edge.to);
  }
  for (std::size_t i = n_leaves; i < g.nodes.size(); ++i) {
    GraphNode& n = g.nodes[i];
    if (n.kind != GraphNode::Kind::op) continue;
    int layer = 0;
    for (const std::size_t from : inputs[i]) {
      if (g.nodes[from].kind == GraphNode::Kind::op) layer = std::max(layer, g.nodes[from].layer);
    }
    n.layer = layer + 1;
  }
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    GraphNode& n = g.nodes[i];
    if (n.kind == GraphNode::Kind::op || readers[i].empty()) continue;
    int first = std::numeric_limits<int>::max();
    for (const std::size_t to : readers[i]) first = std::min(first, g.nodes[to].layer);
    n.layer = first - 1;
  }

  // Boxes and rows: layer k is the k-th row from the top.
  int n_layers = 0;
  for (GraphNode& n : g.nodes) {
    size_box(n);
    n_layers = std::max(n_layers, n.layer + 1);
  }
  std::vector<std::vector<std::size_t>> layers(static_cast<std::size_t>(n_layers));
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    layers[static_cast<std::size_t>(g.nodes[i].layer)].push_back(i);
  }
  double y = kMargin;
  std::vector<double> centre(g.nodes.size(), 0.0);
  std::vector<bool> placed(g.nodes.size(), false);
  double right = 0;
  for (auto& layer : layers) {
    double row = 0;
    for (const std::size_t i : layer) row = std::max(row, g.nodes[i].height);
    // Each node wants to sit under the mean of its inputs already placed; the others go to the
    // right, in recording order.
    std::vector<std::pair<double, std::size_t>> wanted;
    for (const std::size_t i : layer) {
      double sum = 0;
      int counted = 0;
      for (const std::size_t from : inputs[i]) {
        if (placed[from]) {
          sum += centre[from];
          ++counted;
        }
      }
      wanted.emplace_back(counted > 0 ? sum / counted : std::numeric_limits<double>::infinity(), i);
    }
    std::stable_sort(wanted.begin(), wanted.end(),
                     [&](const auto& a, const auto& b) { return a.first < b.first; });
    double next = 0;
    for (const auto& [want, i] : wanted) {
      GraphNode& n = g.nodes[i];
      n.x = std::isinf(want) ? next : std::max(want - n.width / 2, next);
      next = n.x + n.width + kRowGap;
      n.y = y + (row - n.height) / 2;
      centre[i] = n.x + n.width / 2;
      right = std::max(right, n.x + n.width);
    }
    for (const std::size_t i : layer) placed[i] = true;
    y += row + kLayerGap;
  }
  // Shift so that the leftmost box starts at the margin.
  double left = std::numeric_limits<double>::infinity();
  for (const GraphNode& n : g.nodes) left = std::min(left, n.x);
  if (g.nodes.empty()) left = 0;
  for (GraphNode& n : g.nodes) n.x += kMargin - left;
  g.width = right - left + 2 * kMargin;
  g.height = std::max(y - kLayerGap + kMargin, 2 * kMargin);
  return g;
}

}  // namespace xi::detail
