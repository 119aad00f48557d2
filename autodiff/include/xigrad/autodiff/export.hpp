#pragma once
// Exports for slides and pages: the ξ table, the reverse sweep and a gradient check report as
// Markdown or LaTeX tables, and the ξ table as one self-contained HTML page (no network: inline
// CSS and JavaScript) with the graph drawn in SVG and the reverse sweep steppable forward and
// back (buttons, arrow keys), the adjoints filled in as they flow.
//
//   xi::Var L = -y * xi::log(1 / (1 + xi::exp(-w * x)));
//   const xi::Explanation e = xi::explain(L);
//   fmt::print("{}", xi::to_markdown(e));        // | ξ | definition | value | ... |
//   fmt::print("{}", xi::to_latex(e));           // \begin{tabular} ... $\xi_{5}$ & $1/\xi_{4}$ ...
//   std::ofstream("sweep.html") << xi::to_html(e, {.title = "L = -y·log(1/(1+exp(-w·x)))"});

#include <string>

#include <xigrad/autodiff/check.hpp>
#include <xigrad/autodiff/explain.hpp>

namespace xi {

/// The ξ table (leaves first, then the nodes in recording order: definition, value, local
/// partials as formula and number, adjoint ∂L/∂ξ) as a Markdown (GitHub) table. `|` and the
/// other characters Markdown would read as markup are escaped.
std::string to_markdown(const Explanation& e);
/// The reverse sweep, one chain-rule step a row, as a Markdown table.
std::string steps_to_markdown(const Explanation& e);
/// A gradient check, one component a row (hand-derived value when given, engine, finite
/// difference, relative error, verdict), as a Markdown table.
std::string to_markdown(const GradientReport& report);

/// The same three tables as LaTeX `tabular` environments (no package needed): names and
/// formulas in math mode (ξ4 as \xi_{4}, ∂ as \partial, · as \cdot), text escaped.
std::string to_latex(const Explanation& e);
std::string steps_to_latex(const Explanation& e);
std::string to_latex(const GradientReport& report);

struct HtmlOptions {
  std::string title = "ξ table";  ///< the page's heading (plain text; escaped)
  std::string subtitle;           ///< a line under it, e.g. the point "at w = 0.5, x = 2"
};

/// One self-contained HTML page: the computation graph (leaves, constants, ξ nodes and edges,
/// in layers left to right) as inline SVG, the ξ table and the reverse sweep, stepped with the
/// buttons or ← and → (Home, End): each step highlights the node it leaves, the node it
/// reaches and the edge between, and fills in the adjoint reached.
std::string to_html(const Explanation& e, const HtmlOptions& options = {});
/// A gradient check report as a self-contained HTML page (the table of to_markdown).
std::string to_html(const GradientReport& report, const HtmlOptions& options = {});

}  // namespace xi
