// xigrad check EXPR --at ... --grad NAME=EXPR ...: hand-derived gradient components beside the
// engine's and central finite differences; exits 1 when one disagrees.

#include <memory>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <xigrad/autodiff/check.hpp>
#include <xigrad/autodiff/error.hpp>

#include "command.hpp"
#include "expr/evaluate.hpp"
#include "expr/parser.hpp"
#include "expression_input.hpp"
#include "format.hpp"
#include "options.hpp"

namespace xi::cli {
namespace {

struct HandGradient {
  std::string name;       // the variable
  std::size_t index = 0;  // its place among the --at variables
  Problem expression;     // the hand-derived ∂L/∂name, over the same variables
};

class CheckCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    CLI::App* cmd = app.add_subcommand(
        "check", "hand-derived gradient (--grad) vs the engine vs finite differences");
    args_.add_to(*cmd);
    cmd->add_option("--grad", grads_,
                    "a hand-derived component ∂EXPR/∂NAME as an expression (repeatable)")
        ->allow_extra_args(false)
        ->type_name("NAME=EXPR")
        ->required();
    add_real(*cmd, "--tol", options_.rel_tol, kPositive, "relative error accepted")
        ->capture_default_str();
    return cmd;
  }

  int run(const Io& io) override {
    const Problem problem(args_);
    const std::vector<std::string> names = problem.names();
    const std::vector<HandGradient> hand = parse_hand(problem);

    // The engine's side: a recording with named leaves, checked for non-finite nodes.
    const Recording r = problem.record();
    problem.backward_checked(r);

    // Check the components given with --grad; the other variables stay at their values.
    Vector x(static_cast<Eigen::Index>(hand.size()));
    Vector hand_values(x.size());
    std::vector<std::string> checked;
    for (std::size_t k = 0; k < hand.size(); ++k) {
      x[static_cast<Eigen::Index>(k)] = problem.bindings()[hand[k].index].value;
      hand_values[static_cast<Eigen::Index>(k)] = hand_value(hand[k], problem);
      checked.push_back(hand[k].name);
    }
    const std::vector<double> all = [&] {
      std::vector<double> v;
      for (const Binding& b : problem.bindings()) v.push_back(b.value);
      return v;
    }();
    const ScalarFunction f = [&](const Tensor& t) {
      std::vector<Var> vars;
      for (double v : all) vars.emplace_back(v);
      for (std::size_t k = 0; k < hand.size(); ++k) vars[hand[k].index] = t[k];
      return problem.evaluate(vars);
    };
    const GradientReport report = check_gradient(f, x, hand_values, options_, checked);

    if (args_.json) {
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
  std::vector<HandGradient> parse_hand(const Problem& problem) const {
    std::vector<HandGradient> out;
    const auto names = problem.names();
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
      std::size_t index = 0;
      while (index < names.size() && names[index] != name) ++index;
      if (index == names.size()) {
        throw InputError(
            fmt::format("--grad {}: '{}' is not one of the variables given with --at", item, name));
      }
      for (const HandGradient& h : out) {
        if (h.name == name) throw InputError(fmt::format("--grad: '{}' is given twice", name));
      }
      try {
        out.push_back({name, index, Problem(item.substr(eq + 1), problem.bindings())});
      } catch (const InputError& e) {
        throw InputError(fmt::format("--grad {}=...: {}", name, e.what()));
      }
    }
    return out;
  }

  // The hand-derived component as a number; a NaN or infinity is reported where it arises.
  static double hand_value(const HandGradient& h, const Problem& problem) {
    std::vector<Var> vars;
    for (const Binding& b : problem.bindings()) vars.emplace_back(b.value);  // constants
    const std::vector<Var> values = h.expression.evaluate_all(vars);
    if (const auto bad = first_non_finite(values)) {
      throw NonFiniteError(
          fmt::format("the hand-derived ∂L/∂{} is {} at {}; it becomes "
                      "non-finite at {}",
                      h.name, num(values.back().value()), problem.point_text(),
                      locate(h.expression.program(), *bad)));
    }
    return values.back().value();
  }

  ExpressionArgs args_;
  std::vector<std::string> grads_;
  CheckOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_check_command() {
  return std::make_unique<CheckCommand>();
}

}  // namespace xi::cli
