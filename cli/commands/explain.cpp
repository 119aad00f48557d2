// xigrad explain EXPR --at ...: the ξ table of the recorded computation (--steps: the reverse
// sweep one chain-rule step at a time; --dot: Graphviz; --json; --format md|latex|html).

#include <memory>
#include <optional>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <xigrad/autodiff/explain.hpp>
#include <xigrad/autodiff/export.hpp>

#include "command.hpp"
#include "explain_recording.hpp"
#include "expression_input.hpp"
#include "format.hpp"
#include "lecture_table.hpp"
#include "output_format.hpp"

namespace xi::cli {
namespace {

// The command line's text layout of the library's tables: columns left-aligned, no rule, a
// node's partials one per line.
const TextStyle kTextStyle{.rule = false, .right_align = false, .join = ""};

std::string node_name(const NodeRow& n) {
  return fmt::format("ξ{}", n.id);
}

// "W = [0.5, -1]", then the constants and the data row when given.
std::string point_text(const Problem& problem, std::optional<std::size_t> row) {
  std::string s = problem.point_text();
  std::vector<std::string> consts;
  for (const Binding& c : problem.constant_bindings()) {
    consts.push_back(fmt::format("{} = {}", c.name, value_text(c.shape, c.values)));
  }
  if (!consts.empty()) s += fmt::format("; constants {}", fmt::join(consts, ", "));
  if (row) s += fmt::format("; data row {} of {}", *row, problem.data()->source);
  return s;
}

std::string table_text(const Explanation& e, const Problem& problem,
                       std::optional<std::size_t> row) {
  const XiTableLayout layout{
      .node_header = "node", .whole_definitions = true, .notes_as_partials = true};
  std::string out = fmt::format("ξ table of L = {}\nat {}\n\n", problem.program().source,
                                point_text(problem, row));
  out += to_text(xi_table(e, layout), kTextStyle);
  if (!e.nodes.empty()) {
    out += fmt::format("\nL = {} = {}\n", node_name(e.nodes.back()), num(e.value));
  }
  return out;
}

std::string steps_text(const Explanation& e) {
  if (e.steps.empty() && e.nodes.empty()) {
    return "L is a leaf itself: the reverse sweep has no chain-rule steps\n";
  }
  std::string out;
  if (!e.nodes.empty()) {
    out += fmt::format("reverse sweep from L = {}, seeded with ∂L/∂{} = 1\n\n",
                       node_name(e.nodes.back()), node_name(e.nodes.back()));
  }
  out += to_text(steps_table(e), kTextStyle);
  std::string grads;
  for (const LeafRow& l : e.leaves) {
    grads += fmt::format("{}∂L/∂{} = {}", grads.empty() ? "" : ", ", l.name,
                         values_text(l.shape, l.adjoints));
  }
  if (!grads.empty()) out += fmt::format("\n{}\n", grads);
  return out;
}

// A number for shape (), an array for a vector, an array of rows for a matrix.
Json values_json(const Shape& shape, const std::vector<double>& v) {
  if (shape.is_scalar()) return v.empty() ? Json() : Json(tidy(v.front()));
  const auto row = [&](std::size_t first, std::size_t n) {
    Json a = Json::array();
    for (std::size_t k = first; k < first + n && k < v.size(); ++k) a.push_back(tidy(v[k]));
    return a;
  };
  if (shape.rank == 1) return row(0, v.size());
  Json rows = Json::array();
  for (Index r = 0; r < shape.rows; ++r) {
    rows.push_back(row(std::size_t{r} * shape.cols, static_cast<std::size_t>(shape.cols)));
  }
  return rows;
}

Json to_json(const Explanation& e, bool with_steps) {
  Json j = Json::object();
  j["value"] = tidy(e.value);
  Json leaves = Json::array();
  for (const LeafRow& l : e.leaves) {
    leaves.push_back(Json{{"name", l.name},
                          {"value", values_json(l.shape, l.values)},
                          {"adjoint", values_json(l.shape, l.adjoints)}});
  }
  Json nodes = Json::array();
  for (const NodeRow& n : e.nodes) {
    Json partials = Json::array();
    for (const PartialRow& p : n.partials) {
      partials.push_back(Json{
          {"input", p.input}, {"formula", p.formula}, {"value", values_json(p.shape, p.values)}});
    }
    Json node = Json::object();
    node["id"] = n.id;
    node["op"] = n.op;
    node["definition"] = n.definition;
    node["inputs"] = n.inputs;
    node["value"] = values_json(n.shape, n.values);
    node["partials"] = partials;
    node["adjoint"] = values_json(n.shape, n.adjoints);
    if (!n.kink.empty()) node["kink"] = n.kink;
    nodes.push_back(node);
  }
  j["nodes"] = nodes;
  j["leaves"] = leaves;
  if (with_steps) {
    Json steps = Json::array();
    for (const SweepStep& s : e.steps) {
      if (s.tensor) {
        steps.push_back(Json{{"from", s.from},
                             {"to", s.to},
                             {"adjoint", values_json(s.from_shape, s.adjoints)},
                             {"partial", values_json(s.partial_row.shape, s.partial_row.values)},
                             {"contribution", values_json(s.to_shape, s.contribution)},
                             {"before", values_json(s.to_shape, s.before_values)},
                             {"after", values_json(s.to_shape, s.after_values)}});
        continue;
      }
      steps.push_back(Json{{"from", s.from},
                           {"to", s.to},
                           {"adjoint", tidy(s.adjoint)},
                           {"partial", tidy(s.partial)},
                           {"before", tidy(s.before)},
                           {"after", tidy(s.after)}});
    }
    j["steps"] = steps;
  }
  return j;
}

class ExplainCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    CLI::App* cmd = app.add_subcommand(
        "explain",
        "the ξ table of EXPR: each node's definition, value, local partials and adjoint");
    args_.add_to(*cmd);
    CLI::Option* steps =
        cmd->add_flag("--steps", steps_, "print the reverse sweep one chain-rule step at a time");
    CLI::Option* dot = cmd->add_flag("--dot", dot_, "print the computation as a Graphviz graph");
    dot->excludes(steps);
    dot->excludes(cmd->get_option("--json"));
    add_format(*cmd, format_, {"text", "json", "dot", "md", "latex", "html"});
    row_opt_ = cmd->add_option("--row", row_,
                               "explain one row of the data: each --data column bound to its value "
                               "in row K (from 0)")
                   ->type_name("K");
    lecture_.add_to(*cmd);
    return cmd;
  }

  int run(const Io& io) override {
    const Problem problem(args_, io.err);
    const std::optional<std::size_t> row =
        row_opt_->count() > 0 ? std::optional<std::size_t>(row_) : std::nullopt;
    if (lecture_.requested()) {
      if (row)
        throw InputError("--lecture shows the formulas of the whole expression: leave out --row");
      if (!format_.empty() && format_ != "text") {
        throw InputError("--lecture prints text, or LaTeX with --latex: leave out --format");
      }
      io.out << lecture_table(problem, lecture_.wrt, lecture_.latex);
      return kExitOk;
    }
    {
      // The expression as every subcommand records it, on a tape of its own: the checks say
      // where in the expression a value stops being finite.
      Tape scratch;
      Tape::Scope scope(scratch);
      const Recording r = problem.record();
      if (r.result().is_constant()) {
        throw InputError(fmt::format(
            "'{}' depends on none of the variables given with --at, so nothing is recorded on "
            "the tape and there is no ξ table (its value is {})",
            problem.program().source, num(r.result().value())));
      }
      if (!row) problem.backward_checked(r);
    }
    const ExplainRecording rec = record_for_explain(problem, row);
    const Var& L = rec.recording.result();
    if (row) throw_if_not_finite(Tape::current(), L);
    const OutputFormat format = output_format(format_, args_.json, dot_);
    if (format == OutputFormat::dot) {
      if (steps_) throw InputError("--steps has no Graphviz form: leave out one of the two");
      io.out << to_dot(L, rec.names);
      return kExitOk;
    }
    const Explanation e = explain(L, rec.names);
    switch (format) {
      case OutputFormat::json:
        io.out << dump(to_json(e, steps_));
        break;
      case OutputFormat::markdown:
        io.out << (steps_ ? steps_to_markdown(e) : to_markdown(e));
        break;
      case OutputFormat::latex:
        io.out << (steps_ ? steps_to_latex(e) : to_latex(e));
        break;
      case OutputFormat::html:  // the page shows the table and the steps both
        io.out << to_html(e, {fmt::format("ξ table of L = {}", problem.program().source),
                              fmt::format("at {}", point_text(problem, row))});
        break;
      default:
        io.out << (steps_ ? steps_text(e) : table_text(e, problem, row));
    }
    return kExitOk;
  }

 private:
  ExpressionArgs args_;
  bool steps_ = false;
  bool dot_ = false;
  std::string format_;
  std::size_t row_ = 0;
  CLI::Option* row_opt_ = nullptr;
  LectureArgs lecture_;
};

}  // namespace

std::unique_ptr<Command> make_explain_command() {
  return std::make_unique<ExplainCommand>();
}

}  // namespace xi::cli
