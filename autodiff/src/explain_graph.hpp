#pragma once
// The computation graph of an Explanation, laid out in layers from top to bottom for the HTML
// export (the order the lecture writes its ξ table in): leaves (one box per variable, a tensor
// leaf once), constants (one per use, just above the node that reads it) and ξ nodes, each node
// one layer below its lowest input; a leaf sits just above its first reader. Within a layer a
// node sits under the mean of its inputs, as far as the boxes beside it allow.

#include <string>
#include <vector>

#include <xigrad/autodiff/explain.hpp>

namespace xi::detail {

struct GraphNode {
  enum class Kind { leaf, constant, op } kind = Kind::op;
  std::string key;      ///< "xi4", "leaf-w", "const-3" (see explain_sheet.hpp)
  std::string title;    ///< "ξ4 = 1 + ξ3", "w", "2"
  std::string value;    ///< the value cell
  std::string label;    ///< "∂L/∂ξ4" ("" for constants)
  std::string adjoint;  ///< the final adjoint cell
  bool output = false;
  int layer = 0;
  double x = 0, y = 0, width = 0, height = 0;  ///< box, top-left corner
};

struct GraphEdge {
  std::size_t from = 0, to = 0;  ///< indices into Graph::nodes: input → the node reading it
  std::string label;             ///< the local partial's number (or rule, for tensor nodes)
};

struct Graph {
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  double width = 0, height = 0;
};

Graph layout_graph(const Explanation& e);

}  // namespace xi::detail
