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
//
// Each table is built once as an xi::Table (xi_table, steps_table, check_table) and rendered by
// to_text (table.hpp), to_markdown, to_latex or to_html; a table of your own renders the same.

#include <span>
#include <string>

#include <xigrad/autodiff/check.hpp>
#include <xigrad/autodiff/explain.hpp>
#include <xigrad/autodiff/table.hpp>

namespace xi {

/// How the ξ table labels its rows: Explanation::table() and the exports use the defaults; the
/// command line writes "node", whole definitions and a kink under the partials.
struct XiTableLayout {
  std::string node_header = "ξ";   ///< the first column's title ("∂L/∂" + it heads the last)
  bool whole_definitions = false;  ///< "ξ4 = 1 + ξ3" rather than "1 + ξ3"
  bool notes_as_partials =
      false;  ///< a kink as a last part "kink: …" of the partials, not a column
};

/// The ξ table: leaves (a tensor leaf is one row, with all its values and its adjoint vector),
/// then the nodes in recording order: definition, value, local partials (one part each: formula
/// and numbers, vectors whole when short), adjoint ∂L/∂ξ [, note].
Table xi_table(const Explanation& e, const XiTableLayout& layout = {});
/// The reverse sweep, one chain-rule step a row: step | chain rule | adjoint · partial |
/// ∂L/∂target; a step through a tensor node shows its vector–Jacobian product with vectors.
Table steps_table(const Explanation& e);
/// A gradient check: variable | [hand |] autodiff | finite difference | rel. error | verdict.
Table check_table(const GradientReport& report);

/// Any table as Markdown (GitHub): a cell's parts joined by "; ", markup characters escaped.
std::string to_markdown(const Table& table);
/// Any table as a LaTeX `tabular`: 'm' columns in math mode, 't' columns as escaped text.
std::string to_latex(const Table& table);

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
/// Tables as one self-contained HTML page: each with its caption as a heading and its notes as
/// paragraphs under it.
std::string to_html(std::span<const Table> tables, const HtmlOptions& options = {});

}  // namespace xi
