#include "node_report.hpp"

#include <fmt/format.h>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/export.hpp>
#include <xigrad/autodiff/table.hpp>

#include "format.hpp"
#include "node_check.hpp"
#include "node_table.hpp"

namespace xi::cli {
namespace {

// Subexpressions longer than this are cut in the text table (--json has them whole).
constexpr std::size_t kCell = 28;

std::string cut(const std::string& s) {
  if (display_width(s) <= kCell) return s;
  std::string out;
  std::size_t glyphs = 0;
  for (std::size_t i = 0; i < s.size() && glyphs < kCell - 1; ++i) {
    out += s[i];
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++glyphs;
    if (glyphs == kCell - 1) {
      while (i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) {
        out += s[++i];
      }
    }
  }
  return out + "…";
}

Json value_json(const Shape& shape, const std::vector<double>& values) {
  Binding b;
  b.name = "v";
  b.shape = shape;
  b.values = values;
  return variables_json({b}, values)["v"];
}

// The rows: one line a partial (the row's own cells on its first line only), as the text shows
// them; each export renders this one table.
Table rows_table(const NodeCheckReport& r) {
  Table t{
      .header = {"node", "definition", "value", "in EXPR", "partial", "hand", "engine", "verdict"},
      .align = "llrllrrl",
      .kind = "mmmtmmmt"};
  for (std::size_t k = 0; k < r.rows.size(); ++k) {
    const NodeRowResult& row = r.rows[k];
    const bool last = k + 1 == r.rows.size();
    std::string in_expr = row.match ? cut(*row.match) : "(none)";
    if (last) in_expr = row.value_ok ? "EXPR" : fmt::format("not EXPR ({})", num(r.value));
    const std::vector<std::string> head{row.name, row.definition, brief_value(row.shape, row.value),
                                        in_expr};
    const std::string value_verdict = row.value_ok ? "" : "value WRONG";
    const auto add = [&](bool first, const std::vector<std::string>& tail,
                         const std::string& verdict) {
      std::vector<Table::Cell> cells;
      for (const std::string& h : head) cells.push_back({first ? h : std::string()});
      for (const std::string& cell : tail) cells.push_back({cell});
      cells.push_back({first && !value_verdict.empty() && verdict != value_verdict
                           ? "value WRONG, partial " + verdict
                           : verdict});
      t.rows.push_back(std::move(cells));
    };
    if (row.partials.empty() && row.missing.empty()) {
      add(true, {"", "", ""}, value_verdict.empty() ? "ok" : value_verdict);
    }
    bool first = true;
    for (const NodePartialResult& p : row.partials) {
      add(first,
          {fmt::format("d/{} = {}", p.input, p.formula), brief_value(p.hand_shape, p.hand),
           brief_value(p.engine_shape, p.engine)},
          p.ok ? "ok" : "DISAGREE");
      first = false;
    }
    for (const std::string& m : row.missing) {
      add(first, {fmt::format("d/{} missing", m), "", ""}, "MISSING");
      first = false;
    }
  }
  return t;
}

// The verdict: the first wrong row, a chain that disagrees, or that all agree.
std::string verdict(const NodeCheckReport& r, const CheckOptions& options) {
  std::vector<std::string> lines;
  if (r.first_wrong) {
    const NodeRowResult& w = r.rows[*r.first_wrong];
    lines.push_back(fmt::format("first wrong row: {} (line {}): {}", w.name, w.line, w.why));
  }
  if (!r.chain_ok) {
    std::size_t bad = 0;
    for (const NodeChainComponent& comp : r.chain) bad += comp.ok ? 0 : 1;
    lines.push_back(fmt::format("the chain DISAGREES with the engine in {} of {} components", bad,
                                r.chain.size()));
  }
  if (r.ok) {
    lines.push_back(fmt::format("all {} rows and the chain agree (relative tolerance {})",
                                r.rows.size(), num(options.rel_tol)));
  }
  return fmt::format("{}", fmt::join(lines, "\n"));
}

// The report as tables: the rows, then the chain (when the table derives a variable of --at)
// with the verdict under the last.
std::vector<Table> tables(const NodeCheckReport& r, const CheckOptions& options) {
  std::vector<Table> out{rows_table(r)};
  if (r.derived.empty()) {
    out.back().notes.emplace_back("chain: no variable of --at has a partial in the table");
  } else {
    Table c{.header = {"variable", "table", "engine", "verdict"}, .align = "lrrl", .kind = "mmmt"};
    c.caption = fmt::format("chain: ∂{}/∂variable from the table's partials vs the engine",
                            r.rows.back().name);
    for (const NodeChainComponent& comp : r.chain) {
      c.rows.push_back(
          {{comp.name}, {num(comp.table)}, {num(comp.engine)}, {comp.ok ? "ok" : "DISAGREE"}});
    }
    out.push_back(std::move(c));
  }
  if (std::string v = verdict(r, options); !v.empty()) out.back().notes.push_back(std::move(v));
  return out;
}

std::string render(const std::vector<Table>& tables, OutputFormat format, const HtmlOptions& page) {
  // The command line's text layout: columns left-aligned, no rule.
  const TextStyle style{.rule = false, .right_align = false, .join = ""};
  if (format == OutputFormat::html) return to_html(tables, page);
  std::string out;
  for (const Table& t : tables) {
    if (!out.empty()) out += '\n';
    out += format == OutputFormat::markdown ? to_markdown(t)
           : format == OutputFormat::latex  ? to_latex(t)
                                            : to_text(t, style);
  }
  return out;
}

Json json(const NodeCheckReport& r) {
  Json rows = Json::array();
  for (const NodeRowResult& row : r.rows) {
    Json j = Json::object();
    j["name"] = row.name;
    j["line"] = row.line;
    j["definition"] = row.definition;
    j["value"] = value_json(row.shape, row.value);
    j["matches"] = row.match ? Json(*row.match) : Json(nullptr);
    j["value_ok"] = row.value_ok;
    Json partials = Json::array();
    for (const NodePartialResult& p : row.partials) {
      Json pj = Json::object();
      pj["input"] = p.input;
      pj["formula"] = p.formula;
      pj["hand"] = value_json(p.hand_shape, p.hand);
      pj["engine"] = value_json(p.engine_shape, p.engine);
      pj["ok"] = p.ok;
      partials.push_back(pj);
    }
    j["partials"] = partials;
    j["missing"] = row.missing;
    j["ok"] = row.ok();
    if (!row.ok()) j["why"] = row.why;
    rows.push_back(j);
  }
  Json chain = Json::array();
  for (const NodeChainComponent& c : r.chain) {
    Json j = Json::object();
    j["variable"] = c.name;
    j["table"] = tidy(c.table);
    j["engine"] = tidy(c.engine);
    j["ok"] = c.ok;
    chain.push_back(j);
  }
  Json out = Json::object();
  out["ok"] = r.ok;
  out["value"] = tidy(r.value);
  out["rows"] = rows;
  out["chain"] = chain;
  out["chain_ok"] = r.chain_ok;
  if (r.first_wrong) {
    const NodeRowResult& w = r.rows[*r.first_wrong];
    out["first_wrong"] = Json{{"name", w.name}, {"line", w.line}, {"why", w.why}};
  } else {
    out["first_wrong"] = nullptr;
  }
  return out;
}

}  // namespace

int run_node_check(const ExpressionArgs& args, const std::string& file, const CheckOptions& options,
                   OutputFormat format, const Io& io) {
  const HandTable table = read_node_table(file);
  std::vector<Program> programs;
  for (const HandRow& row : table.rows) {
    programs.push_back(row.definition.program);
    for (const HandPartial& p : row.partials) programs.push_back(p.formula.program);
  }
  const Problem problem(args, io.err, programs);
  const NodeCheckReport report = check_node_table(problem, table, options);
  const std::string title =
      fmt::format("ξ table {} checked against L = {}", table.file, problem.program().source);
  const std::string at = fmt::format("at {}", problem.point_text());
  if (format == OutputFormat::json) {
    io.out << dump(json(report));
  } else if (format == OutputFormat::text) {
    io.out << fmt::format("{}\n{}\n\n", title, at) << render(tables(report, options), format, {});
  } else {
    io.out << render(tables(report, options), format, {title, at});
  }
  return report.ok ? kExitOk : kExitDisagree;
}

}  // namespace xi::cli
