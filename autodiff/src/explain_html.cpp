// The HTML export: one self-contained page (inline CSS and JavaScript from
// explain_html_template.cpp, the graph as inline SVG, no external reference) with the ξ table and
// the reverse sweep stepped forward and back.

#include <xigrad/autodiff/export.hpp>

#include <algorithm>
#include <map>
#include <span>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include <xigrad/autodiff/printable.hpp>

#include "explain_graph.hpp"
#include "explain_html_template.hpp"
#include "explain_sheet.hpp"

namespace xi {

namespace {

using detail::Graph;
using detail::GraphNode;

std::string esc(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

// At most `max` characters (code points), then "…".
std::string clip(const std::string& s, std::size_t max) {
  if (detail::display_width(s) <= max) return s;
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size() && chars < max - 1; ++chars) {
    std::size_t len = 1;
    while (i + len < s.size() && (static_cast<unsigned char>(s[i + len]) & 0xC0) == 0x80) ++len;
    out += s.substr(i, len);
    i += len;
  }
  return out + "…";
}

// The title and subtitle come from the user (an expression): what a terminal would not show
// as is (controls, invalid UTF-8, bidirectional overrides) is written as an escape here too.
std::string page_start(const HtmlOptions& options, std::string_view body_attributes) {
  const HtmlOptions o{printable(options.title), printable(options.subtitle)};
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"xigrad\">\n<title>{}</title>\n<style>{}</style>\n"
      "</head>\n<body{}>\n<header>\n<h1>{}</h1>\n",
      esc(o.title), detail::kHtmlStyle, body_attributes, esc(o.title));
  if (!o.subtitle.empty()) out += fmt::format("<p class=\"sub mono\">{}</p>\n", esc(o.subtitle));
  return out + "</header>\n";
}

// ------------------------------------------------------------------ the graph

std::string svg_node(const GraphNode& n) {
  const char* kind = n.kind == GraphNode::Kind::leaf       ? "leaf"
                     : n.kind == GraphNode::Kind::constant ? "const"
                                                           : "op";
  std::string out = fmt::format(
      "<g class=\"node {}{}\" data-key=\"{}\">\n<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
      "height=\"{:.1f}\" rx=\"{}\"/>\n",
      kind, n.output ? " output" : "", esc(n.key), n.x, n.y, n.width, n.height,
      n.kind == GraphNode::Kind::op ? 6 : 14);
  const double cx = n.x + n.width / 2;
  if (n.kind == GraphNode::Kind::constant) {
    return out + fmt::format(
                     "<text class=\"title\" x=\"{:.1f}\" y=\"{:.1f}\" "
                     "text-anchor=\"middle\">{}</text>\n</g>\n",
                     cx, n.y + 20, esc(n.title));
  }
  out += fmt::format(
      "<text class=\"title\" x=\"{0:.1f}\" y=\"{1:.1f}\" text-anchor=\"middle\">{2}</text>\n"
      "<text class=\"value\" x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">= {4}</text>\n"
      "<text class=\"adj\" x=\"{0:.1f}\" y=\"{5:.1f}\" text-anchor=\"middle\"><tspan "
      "class=\"adj-label\">{6} = </tspan><tspan class=\"adj-value\" data-adj-key=\"{7}\" "
      "data-final=\"{8}\">{8}</tspan></text>\n</g>\n",
      cx, n.y + 21, esc(n.title), n.y + 39, esc(n.value), n.y + 57, esc(n.label), esc(n.key),
      esc(n.adjoint));
  return out;
}

std::string svg(const Graph& g) {
  std::string out = fmt::format(
      "<svg id=\"graph\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
      "viewBox=\"0 0 {0:.0f} {1:.0f}\" role=\"img\" aria-label=\"the computation graph\">\n"
      "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" "
      "markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path "
      "d=\"M0,0 L10,5 L0,10 z\" "
      "fill=\"#9ca3af\"/></marker></defs>\n<g class=\"edges\">\n",
      g.width, g.height);
  // Two edges between the same nodes (x·x) bend apart.
  std::map<std::pair<std::size_t, std::size_t>, int> seen;
  for (const detail::GraphEdge& e : g.edges) {
    const GraphNode& a = g.nodes[e.from];
    const GraphNode& b = g.nodes[e.to];
    const int dup = seen[{e.from, e.to}]++;
    const double shift = dup == 0 ? 0.0 : (dup % 2 == 1 ? 12.0 : -12.0) * ((dup + 1) / 2);
    const double x1 = a.x + a.width / 2 + shift, y1 = a.y + a.height;
    const double x2 = b.x + b.width / 2 + shift, y2 = b.y;
    const double mid = (y1 + y2) / 2;
    out += fmt::format(
        "<g class=\"edge\" data-src=\"{}\" data-dst=\"{}\"><path d=\"M{:.1f},{:.1f} C{:.1f},{:.1f} "
        "{:.1f},{:.1f} {:.1f},{:.1f}\" marker-end=\"url(#arrow)\"/>",
        esc(a.key), esc(b.key), x1, y1, x1, mid, x2, mid, x2, y2);
    if (!e.label.empty()) {
      // A quarter of the way down, where edges that meet at one node are still apart, and on
      // the outer side: left of an edge that runs to the right, right of the others.
      constexpr double t = 0.25;
      const double bx = x1 + (x2 - x1) * (3 * t * t - 2 * t * t * t);
      const double by = y1 * (1 - t) * (1 - t) * (1 - t) + 3 * mid * t * (1 - t) + y2 * t * t * t;
      const bool rightwards = x2 > x1 + 1;
      out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\">{}</text>",
                         rightwards ? bx - 6 : bx + 6, by + 8, rightwards ? "end" : "start",
                         esc(clip(e.label, 22)));
    }
    out += "</g>\n";
  }
  out += "</g>\n<g class=\"nodes\">\n";
  for (const GraphNode& n : g.nodes) out += svg_node(n);
  return out + "</g>\n</svg>\n";
}

// ------------------------------------------------------------------ tables

std::string cell_text(const Table::Cell& cell) {
  std::string out;
  for (const std::string& part : cell) {
    if (part.empty()) continue;
    out += (out.empty() ? "" : "<br>") + esc(part);
  }
  return out;
}

// A table; `adjoint_column` (when < the number of columns) is filled in step by step.
std::string html_table(const Table& s, std::string_view id, std::size_t adjoint_column) {
  std::string out;
  if (!s.caption.empty()) out += fmt::format("<h2>{}</h2>\n", esc(s.caption));
  out += fmt::format("<table id=\"{}\">\n<thead><tr>", id);
  for (const std::string& h : s.header) out += fmt::format("<th>{}</th>", esc(h));
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : s.rows) {
    const std::string name = row.empty() || row[0].empty() ? "" : row[0][0];
    out += fmt::format("<tr data-row=\"{}\">", esc(name));
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string cls = c < s.align.size() && s.align[c] == 'r' ? " class=\"r\"" : "";
      const std::string text = cell_text(row[c]);
      if (c == adjoint_column && name != "…") {
        out += fmt::format("<td{}><span data-adj-name=\"{}\" data-final=\"{}\">{}</span></td>", cls,
                           esc(name), text, text);
      } else {
        out += fmt::format("<td{}>{}</td>", cls, text);
      }
    }
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  for (const std::string& note : s.notes) {
    std::string lines;
    for (const std::string_view line : detail::lines_of(note)) {
      if (!lines.empty()) lines += "<br>";
      lines += esc(line);
    }
    out += fmt::format("<p>{}</p>\n", lines);
  }
  return out;
}

std::string steps_list(const Explanation& e) {
  const Table s = steps_table(e);
  std::string out = "<ol id=\"steps\">\n";
  for (std::size_t i = 0; i < e.steps.size(); ++i) {
    const SweepStep& st = e.steps[i];
    const auto& row = s.rows[i];
    out += fmt::format(
        "<li data-from=\"{}\" data-from-key=\"{}\" data-to=\"{}\" data-to-key=\"{}\" "
        "data-after=\"{}\" data-element=\"{}\"><span class=\"rule\">{}</span> = <span "
        "class=\"calc\">{}</span> <span class=\"acc\">(∂L/∂{}: {})</span></li>\n",
        esc(st.from), esc(detail::key_of_name(st.from)), esc(st.to),
        esc(detail::key_of_name(st.to)), esc(detail::step_after_cell(st)),
        esc(detail::split_element(st.to).second), cell_text(row[1]), cell_text(row[2]), esc(st.to),
        cell_text(row[3]));
  }
  return out + "</ol>\n";
}

constexpr std::string_view kFooter =
    "<footer>Made by xigrad. Step with the buttons or the keys <kbd>←</kbd> <kbd>→</kbd> "
    "(<kbd>Home</kbd>, <kbd>End</kbd>). Orange: the node the step leaves and the edge it "
    "follows; green: the node whose adjoint it updates.</footer>\n";

}  // namespace

std::string to_html(const Explanation& e, const HtmlOptions& options) {
  const std::string out_name = e.nodes.empty() ? "" : detail::node_name_cell(e.nodes.back());
  const std::string out_key = e.nodes.empty() ? "" : detail::node_key(e.nodes.back());
  std::string out = page_start(
      options, fmt::format(" data-step=\"0\" data-output-key=\"{}\" data-output-name=\"{}\"",
                           esc(out_key), esc(out_name)));
  const std::string empty =
      e.nodes.empty()
          ? "L is a leaf itself: the reverse sweep has no chain-rule steps"
          : "the reverse sweep goes through tensor nodes only: each passes its adjoint on as a "
            "vector–Jacobian product, so the adjoints shown are the final ones";
  out += fmt::format(
      "<section id=\"sweep\">\n<div class=\"controls\">"
      "<button id=\"first\" title=\"first (Home)\">first</button>"
      "<button id=\"prev\" title=\"back (←)\">◀ back</button>"
      "<button id=\"next\" title=\"forward (→)\">forward ▶</button>"
      "<button id=\"last\" title=\"last (End)\">last</button>"
      "<span id=\"status\" aria-live=\"polite\" data-empty=\"{}\"></span></div>\n"
      "<div class=\"board\">\n<div class=\"figure\">\n{}</div>\n<div class=\"side\">\n",
      esc(empty), svg(detail::layout_graph(e)));
  out += "<h2>The reverse sweep</h2>\n" + steps_list(e);
  out += "<h2>The ξ table</h2>\n" + html_table(xi_table(e), "xi-table", 4);
  out += "</div>\n</div>\n</section>\n";
  out += kFooter;
  return out + fmt::format("<script>{}</script>\n</body>\n</html>\n", detail::kHtmlScript);
}

std::string to_html(const GradientReport& report, const HtmlOptions& options) {
  std::size_t bad = 0;
  for (const CheckComponent& c : report.components) bad += c.ok ? 0 : 1;
  Table table = check_table(report);
  table.notes.push_back(
      bad == 0 ? fmt::format("All {} components agree.", report.components.size())
               : fmt::format("{} of {} components DISAGREE.", bad, report.components.size()));
  return to_html(std::span<const Table>(&table, 1), options);
}

std::string to_html(std::span<const Table> tables, const HtmlOptions& options) {
  std::string out = page_start(options, "");
  for (std::size_t i = 0; i < tables.size(); ++i) {
    out += "<section>\n" +
           html_table(tables[i], fmt::format("table-{}", i + 1), tables[i].header.size()) +
           "</section>\n";
  }
  return out + "<footer>Made by xigrad.</footer>\n</body>\n</html>\n";
}

}  // namespace xi
