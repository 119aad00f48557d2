// xigrad explain EXPR --at ...: the ξ table of the recorded computation (--steps: the reverse
// sweep one chain-rule step at a time; --dot: Graphviz; --json).

#include <charconv>
#include <cmath>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <xigrad/autodiff/explain.hpp>

#include "command.hpp"
#include "expression_input.hpp"
#include "format.hpp"
#include "lecture_table.hpp"

namespace xi::cli {
namespace {

// A formula that is just a number ("-1", "1") is shown once, not as "-1 = -1".
bool is_number(const std::string& s) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string node_name(const NodeRow& n) {
  return fmt::format("ξ{}", n.id);
}

std::string partial_text(const NodeRow& n, const PartialRow& p) {
  const std::string lhs = fmt::format("∂{}/∂{}", node_name(n), p.input);
  // A tensor node's rule is a vector–Jacobian product with no single number (its value is NaN).
  if (std::isnan(p.value) && !p.formula.empty()) {
    return fmt::format("{} = {} (vector–Jacobian rule)", lhs, p.formula);
  }
  if (p.formula.empty() || is_number(p.formula)) return fmt::format("{} = {}", lhs, num(p.value));
  return fmt::format("{} = {} = {}", lhs, p.formula, num(p.value));
}

std::string table_text(const Explanation& e, const Problem& problem) {
  TextTable t({"node", "definition", "value", "local partials", "∂L/∂node"});
  for (const LeafRow& l : e.leaves) t.add({l.name, "leaf", num(l.value), "", num(l.adjoint)});
  for (const NodeRow& n : e.nodes) {
    std::vector<std::string> lines;
    for (const PartialRow& p : n.partials) lines.push_back(partial_text(n, p));
    if (!n.kink.empty()) lines.push_back("kink: " + n.kink);
    t.add(
        {node_name(n), n.definition, num(n.value), lines.empty() ? "" : lines[0], num(n.adjoint)});
    for (std::size_t i = 1; i < lines.size(); ++i) t.add({"", "", "", lines[i], ""});
  }
  std::string out =
      fmt::format("ξ table of L = {}\nat {}\n\n", problem.program().source, problem.point_text());
  out += t.str();
  if (!e.nodes.empty()) {
    out += fmt::format("\nL = {} = {}\n", node_name(e.nodes.back()), num(e.value));
  }
  return out;
}

std::string steps_text(const Explanation& e) {
  if (e.steps.empty() && e.nodes.empty()) {
    return "L is a leaf itself: the reverse sweep has no chain-rule steps\n";
  }
  if (e.steps.empty()) {
    return "the reverse sweep goes through tensor nodes only: their steps are vector–Jacobian "
           "products, not single numbers; the ξ table (explain without --steps) shows each "
           "node's rule and adjoint\n";
  }
  std::map<std::string, int> total;
  for (const SweepStep& s : e.steps) ++total[s.to];
  std::map<std::string, int> seen;
  TextTable t({"step", "chain rule", "adjoint · partial", "∂L/∂target"});
  int k = 0;
  for (const SweepStep& s : e.steps) {
    const int nth = ++seen[s.to];
    std::string acc = fmt::format("{} → {}", num(s.before), num(s.after));
    if (total[s.to] > 1) acc += fmt::format("  (contribution {} of {})", nth, total[s.to]);
    t.add({std::to_string(++k),
           fmt::format("∂L/∂{} += ∂L/∂{} · ∂{}/∂{}", s.to, s.from, s.from, s.to),
           fmt::format("{} · {} = {}", num(s.adjoint), num(s.partial), num(s.adjoint * s.partial)),
           acc});
  }
  std::string out;
  if (!e.nodes.empty()) {
    out += fmt::format("reverse sweep from L = {}, seeded with ∂L/∂{} = 1\n\n",
                       node_name(e.nodes.back()), node_name(e.nodes.back()));
  }
  out += t.str();
  std::string grads;
  for (const LeafRow& l : e.leaves) {
    grads += fmt::format("{}∂L/∂{} = {}", grads.empty() ? "" : ", ", l.name, num(l.adjoint));
  }
  if (!grads.empty()) out += fmt::format("\n{}\n", grads);
  return out;
}

Json to_json(const Explanation& e, bool with_steps) {
  Json j = Json::object();
  j["value"] = tidy(e.value);
  Json leaves = Json::array();
  for (const LeafRow& l : e.leaves) {
    leaves.push_back(
        Json{{"name", l.name}, {"value", tidy(l.value)}, {"adjoint", tidy(l.adjoint)}});
  }
  Json nodes = Json::array();
  for (const NodeRow& n : e.nodes) {
    Json partials = Json::array();
    for (const PartialRow& p : n.partials) {
      partials.push_back(
          Json{{"input", p.input}, {"formula", p.formula}, {"value", tidy(p.value)}});
    }
    Json node = Json::object();
    node["id"] = n.id;
    node["op"] = n.op;
    node["definition"] = n.definition;
    node["inputs"] = n.inputs;
    node["value"] = tidy(n.value);
    node["partials"] = partials;
    node["adjoint"] = tidy(n.adjoint);
    if (!n.kink.empty()) node["kink"] = n.kink;
    nodes.push_back(node);
  }
  j["nodes"] = nodes;
  j["leaves"] = leaves;
  if (with_steps) {
    Json steps = Json::array();
    for (const SweepStep& s : e.steps) {
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
    lecture_.add_to(*cmd);
    return cmd;
  }

  int run(const Io& io) override {
    const Problem problem(args_, io.err);
    if (lecture_.requested()) {
      io.out << lecture_table(problem, lecture_.wrt, lecture_.latex);
      return kExitOk;
    }
    const Recording r = problem.record();
    if (r.result().is_constant()) {
      throw InputError(fmt::format(
          "'{}' depends on none of the variables given with --at, so nothing is recorded on the "
          "tape and there is no ξ table (its value is {})",
          problem.program().source, num(r.result().value())));
    }
    problem.backward_checked(r);
    if (dot_) {
      io.out << to_dot(r.result());
      return kExitOk;
    }
    const Explanation e = explain(r.result());
    if (args_.json) {
      io.out << dump(to_json(e, steps_));
    } else {
      io.out << (steps_ ? steps_text(e) : table_text(e, problem));
    }
    return kExitOk;
  }

 private:
  ExpressionArgs args_;
  bool steps_ = false;
  bool dot_ = false;
  LectureArgs lecture_;
};

}  // namespace

std::unique_ptr<Command> make_explain_command() {
  return std::make_unique<ExplainCommand>();
}

}  // namespace xi::cli
