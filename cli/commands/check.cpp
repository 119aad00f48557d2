// xigrad check EXPR --at ... --grad NAME=EXPR ...: hand-derived gradient components beside the
// engine's and central finite differences; exits 1 when one disagrees. A vector variable's hand
// gradient is a vector expression of its shape. --nodes FILE checks a hand-written ξ table
// instead (node_report.hpp). --format md|latex|html exports the report.

#include <memory>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <xigrad/autodiff/check.hpp>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/export.hpp>

#include "command.hpp"
#include "expr/evaluate.hpp"
#include "expr/parser.hpp"
#include "expression_input.hpp"
#include "format.hpp"
#include "node_report.hpp"
#include "options.hpp"
#include "output_format.hpp"

namespace xi::cli {
namespace {

struct HandItem {
  std::string name;        // the variable
  std::string expression;  // the hand-derived ∂L/∂name
  Program program;         // parsed, for the data columns it uses
};

struct HandGradient {
  std::string name;       // the variable
  std::size_t index = 0;  // its place among the --at variables
  Problem expression;     // the hand-derived ∂L/∂name, over the same variables and data
};

class CheckCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    CLI::App* cmd = app.add_subcommand(
        "check",
        "hand-derived gradient (--grad) vs the engine vs finite differences, or a ξ table "
        "(--nodes) row by row");
    args_.add_to(*cmd);
    cmd->add_option("--grad", grads_,
                    "a hand-derived component ∂EXPR/∂NAME as an expression (repeatable); for a "
                    "vector NAME, a vector expression")
        ->allow_extra_args(false)
        ->type_name("NAME=EXPR");
    cmd->add_option("--nodes", nodes_,
                    "a hand-written ξ table to check row by row (see docs/cli.md)")
        ->type_name("FILE")
        ->excludes("--grad");
    add_real(*cmd, "--tol", options_.rel_tol, kPositive, "relative error accepted")
        ->capture_default_str();
    add_format(*cmd, format_, {"text", "json", "md", "latex", "html"});
    return cmd;
  }

  int run(const Io& io) override {
    const OutputFormat format = output_format(format_, args_.json);
    if (!nodes_.empty()) return run_node_check(args_, nodes_, options_, format, io);
    if (grads_.empty()) throw InputError("check needs --grad NAME=EXPR or --nodes FILE");
    const std::vector<HandItem> items = parse_items();
    std::vector<Program> programs;
    for (const HandItem& h : items) programs.push_back(h.program);
    const Problem problem(args_, io.err, programs);
    const std::vector<HandGradient> hand = bind_hand(problem, items);

    // The engine's side: a recording with named leaves, checked for non-finite nodes.
    const Recording r = problem.record();
    problem.backward_checked(r);

    // Check the variables given with --grad (every component of each); the others stay at their
    // values.
    const Vector all = problem.point();
    std::vector<double> x_values, hand_values;
    std::vector<std::size_t> offsets;  // where each hand variable starts in x
    std::vector<std::string> checked;
    const std::vector<std::string> components = problem.component_names();
    for (const HandGradient& h : hand) {
      offsets.push_back(x_values.size());
      const std::size_t from = problem.offset(h.index), to = problem.offset(h.index + 1);
      for (std::size_t k = from; k < to; ++k) {
        x_values.push_back(all[static_cast<Eigen::Index>(k)]);
        checked.push_back(components[k]);
      }
      const std::vector<double> v = hand_value(h, problem);
      hand_values.insert(hand_values.end(), v.begin(), v.end());
    }
    const Vector x = Eigen::Map<const Vector>(x_values.data(), Eigen::Index(x_values.size()));
    const Vector hv =
        Eigen::Map<const Vector>(hand_values.data(), Eigen::Index(hand_values.size()));
    const ScalarFunction f = [&](const Tensor& t) {
      std::vector<Value> vars = problem.constants();
      for (std::size_t k = 0; k < hand.size(); ++k) {
        vars[hand[k].index] = slice_of(t, offsets[k], problem.bindings()[hand[k].index].shape);
      }
      return problem.evaluate(vars).scalar();
    };
    const GradientReport report = check_gradient(f, x, hv, options_, checked);
    const int status = report.ok ? kExitOk : kExitDisagree;
    if (format == OutputFormat::markdown || format == OutputFormat::latex) {
      io.out << (format == OutputFormat::markdown ? to_markdown(report) : to_latex(report));
      return status;
    }
    if (format == OutputFormat::html) {
      io.out << to_html(report, {fmt::format("Gradient check of L = {}", problem.program().source),
                                 fmt::format("at {}", problem.point_text())});
      return status;
    }
    if (format == OutputFormat::json) {
      Json comps = Json::array();
      for (const CheckComponent& c : report.components) {
        Json j = Json::object();
        j["variable"] = c.name;
        j["hand"] = c.hand.value_or(0.0);
        j["autodiff"] = c.autodiff;
        j["finite_difference"] = c.finite_difference;
        j["rel_error"] = c.rel_error;
        j["ok"] = c.ok;
        comps.push_back(j);
      }
      Json j = Json::object();
      j["ok"] = report.ok;
      j["components"] = comps;
      io.out << dump(j);
      return report.ok ? kExitOk : kExitDisagree;
    }

    std::string out =
        fmt::format("L = {}\nat {}\n\n", problem.program().source, problem.point_text());
    TextTable t({"variable", "hand", "autodiff", "finite difference", "rel error", "verdict"});
    int bad = 0;
    for (const CheckComponent& c : report.components) {
      bad += c.ok ? 0 : 1;
      t.add({c.name, num(c.hand.value_or(0.0)), num(c.autodiff), num(c.finite_difference),
             fmt::format("{:.1e}", c.rel_error), c.ok ? "ok" : "DISAGREE"});
    }
    out += t.str();
    out += "\n";
    for (const HandGradient& h : hand) {
      out += fmt::format("hand ∂L/∂{} = {}\n", h.name, h.expression.program().source);
    }
    out += report.ok ? fmt::format("\nall {} components agree (relative tolerance {})\n",
                                   report.components.size(), num(options_.rel_tol))
                     : fmt::format("\n{} of {} components DISAGREE (relative tolerance {})\n", bad,
                                   report.components.size(), num(options_.rel_tol));
    io.out << out;
    return report.ok ? kExitOk : kExitDisagree;
  }

 private:
  // NAME=EXPR items, parsed (the variables are bound once the --at values are known).
  std::vector<HandItem> parse_items() const {
    std::vector<HandItem> out;
    for (const std::string& raw : grads_) {
      const std::string item = unprotect(raw);
      const auto eq = item.find('=');
      if (eq == std::string::npos) {
        throw InputError(fmt::format("--grad {}: expected NAME=EXPR", item));
      }
      std::string name = item.substr(0, eq);
      while (!name.empty() && name.back() == ' ') name.pop_back();
      while (!name.empty() && name.front() == ' ') name.erase(0, 1);
      check_variable_name(name, fmt::format("--grad {}", item));
      for (const HandItem& h : out) {
        if (h.name == name) throw InputError(fmt::format("--grad: '{}' is given twice", name));
      }
      try {
        out.push_back({name, item.substr(eq + 1), parse(item.substr(eq + 1))});
      } catch (const InputError& e) {
        throw InputError(fmt::format("--grad {}=...: {}", name, e.what()));
      }
    }
    return out;
  }

  static std::vector<HandGradient> bind_hand(const Problem& problem,
                                             const std::vector<HandItem>& items) {
    std::vector<HandGradient> out;
    const auto names = problem.names();
    for (const HandItem& h : items) {
      std::size_t index = 0;
      while (index < names.size() && names[index] != h.name) ++index;
      if (index == names.size()) {
        throw InputError(
            fmt::format("--grad {}={}: '{}' is not one of the variables given with --at", h.name,
                        h.expression, h.name));
      }
      try {
        out.push_back({h.name, index,
                       Problem(h.expression, problem.bindings(), problem.data(),
                               problem.bindings()[index].shape, problem.constant_bindings())});
      } catch (const InputError& e) {
        throw InputError(fmt::format("--grad {}=...: {}", h.name, e.what()));
      }
    }
    return out;
  }

  // The hand-derived components as numbers; a NaN or infinity is reported where it arises.
  static std::vector<double> hand_value(const HandGradient& h, const Problem& problem) {
    const std::vector<Value> values = h.expression.evaluate_all(problem.constants());
    if (const auto bad = first_non_finite(values)) {
      const Value& v = values.back();
      throw NonFiniteError(
          fmt::format("the hand-derived ∂L/∂{} is {} at {}; it becomes "
                      "non-finite at {}",
                      h.name, v.is_scalar() ? num(v.scalar().value()) : std::string("not finite"),
                      problem.point_text(), locate(h.expression.program(), *bad)));
    }
    std::vector<double> out;
    for (std::size_t i = 0; i < values.back().size(); ++i) out.push_back(values.back().element(i));
    return out;
  }

  ExpressionArgs args_;
  std::vector<std::string> grads_;
  std::string nodes_;
  CheckOptions options_;
  std::string format_;
};

}  // namespace

std::unique_ptr<Command> make_check_command() {
  return std::make_unique<CheckCommand>();
}

}  // namespace xi::cli
