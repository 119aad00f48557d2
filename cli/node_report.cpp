#include "node_report.hpp"

#include <fmt/format.h>
#include <xigrad/autodiff/error.hpp>

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

std::string text(const NodeCheckReport& r, const Problem& problem, const HandTable& table,
                 const CheckOptions& options) {
  std::string out = fmt::format("ξ table {} checked against L = {}\nat {}\n\n", table.file,
                                problem.program().source, problem.point_text());
  TextTable t({"node", "definition", "value", "in EXPR", "partial", "hand", "engine", "verdict"});
  for (std::size_t k = 0; k < r.rows.size(); ++k) {
    const NodeRowResult& row = r.rows[k];
    const bool last = k + 1 == r.rows.size();
    std::string in_expr = row.match ? cut(*row.match) : "(none)";
    if (last) in_expr = row.value_ok ? "EXPR" : fmt::format("not EXPR ({})", num(r.value));
    std::vector<std::string> head{row.name, row.definition, brief_value(row.shape, row.value),
                                  in_expr};
    const std::string value_verdict = row.value_ok ? "" : "value WRONG";
    if (row.partials.empty() && row.missing.empty()) {
      t.add({head[0], head[1], head[2], head[3], "", "", "",
             value_verdict.empty() ? "ok" : value_verdict});
    }
    bool first = true;
    const auto add = [&](std::vector<std::string> tail, const std::string& verdict) {
      std::vector<std::string> cells = first ? head : std::vector<std::string>{"", "", "", ""};
      cells.insert(cells.end(), tail.begin(), tail.end());
      cells.push_back(first && !value_verdict.empty() ? "value WRONG, partial " + verdict
                                                      : verdict);
      t.add(std::move(cells));
      first = false;
    };
    for (const NodePartialResult& p : row.partials) {
      add({fmt::format("d/{} = {}", p.input, p.formula), brief_value(p.hand_shape, p.hand),
           brief_value(p.engine_shape, p.engine)},
          p.ok ? "ok" : "DISAGREE");
    }
    for (const std::string& m : row.missing) {
      add({fmt::format("d/{} missing", m), "", "", ""}, "MISSING");
    }
  }
  out += t.str();
  if (r.derived.empty()) {
    out += "\nchain: no variable of --at has a partial in the table\n";
  } else {
    out += fmt::format("\nchain: ∂{}/∂variable from the table's partials vs the engine\n\n",
                       r.rows.back().name);
    TextTable c({"variable", "table", "engine", "verdict"});
    for (const NodeChainComponent& comp : r.chain) {
      c.add({comp.name, num(comp.table), num(comp.engine), comp.ok ? "ok" : "DISAGREE"});
    }
    out += c.str();
  }
  out += "\n";
  if (r.first_wrong) {
    const NodeRowResult& w = r.rows[*r.first_wrong];
    out += fmt::format("first wrong row: {} (line {}): {}\n", w.name, w.line, w.why);
  }
  if (!r.chain_ok) {
    std::size_t bad = 0;
    for (const NodeChainComponent& comp : r.chain) bad += comp.ok ? 0 : 1;
    out += fmt::format("the chain DISAGREES with the engine in {} of {} components\n", bad,
                       r.chain.size());
  }
  if (r.ok) {
    out += fmt::format("all {} rows and the chain agree (relative tolerance {})\n", r.rows.size(),
                       num(options.rel_tol));
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
  if (format != OutputFormat::text && format != OutputFormat::json) {
    throw InputError("check --nodes prints text or JSON (--format text|json)");
  }
  const HandTable table = read_node_table(file);
  std::vector<Program> programs;
  for (const HandRow& row : table.rows) {
    programs.push_back(row.definition.program);
    for (const HandPartial& p : row.partials) programs.push_back(p.formula.program);
  }
  const Problem problem(args, io.err, programs);
  const NodeCheckReport report = check_node_table(problem, table, options);
  io.out << (format == OutputFormat::json ? dump(json(report))
                                          : text(report, problem, table, options));
  return report.ok ? kExitOk : kExitDisagree;
}

}  // namespace xi::cli
