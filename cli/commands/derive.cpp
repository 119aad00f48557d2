// xigrad derive EXPR --wrt NAME[,NAME...]: each partial derivative as a simplified formula in the
// expression language (it pastes back into grad and check --grad), or as LaTeX.

#include <memory>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "command.hpp"
#include "expr/parser.hpp"
#include "expression_input.hpp"
#include "format.hpp"
#include "symbolic/derivatives.hpp"
#include "symbolic/print.hpp"

namespace xi::cli {
namespace {

class DeriveCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    CLI::App* cmd = app.add_subcommand(
        "derive", "each partial derivative of EXPR as a formula (in the expression language)");
    args_.add_to(*cmd);
    cmd->add_option("--wrt", wrt_,
                    "the variables to differentiate by: NAME[,NAME...] (default: every variable "
                    "that is not data); --at gives their shapes (W=[0,0,0]), values unused")
        ->delimiter(',');
    cmd->add_flag("--latex", latex_, "print the formulas as LaTeX");
    return cmd;
  }

  int run(const Io& io) override {
    const std::string expression = unprotect(args_.expression);
    const std::vector<Binding> at = parse_bindings(args_.at);
    std::vector<std::string> names;
    std::vector<Shape> shapes;
    for (const Binding& b : at) {
      names.push_back(b.name);
      shapes.push_back(b.shape);
    }
    const Program program = parse(expression);
    const Program* programs[] = {&program};
    const std::shared_ptr<const BoundData> data = load_data(args_.data, programs, names, io.err);
    std::vector<std::string> wrt;
    for (const std::string& w : wrt_) wrt.push_back(trim(w));
    sym::Symbolic s = sym::symbolic(expression, names, shapes, data.get());
    const std::vector<sym::Derivative> ds = sym::derivatives(s, wrt, data.get());
    const auto text = [&](sym::Id id) {
      return latex_ ? sym::to_latex(*s.pool, id) : sym::to_text(*s.pool, id);
    };
    if (args_.json) {
      Json j = Json::object();
      j["derivatives"] = Json::object();
      for (const sym::Derivative& d : ds) j["derivatives"][d.name] = text(d.formula);
      io.out << dump(j);
      return kExitOk;
    }
    for (const sym::Derivative& d : ds) {
      io.out << (latex_ ? fmt::format("\\frac{{\\partial f}}{{\\partial {}}} = {}\n", d.name,
                                      text(d.formula))
                        : fmt::format("∂/∂{} = {}\n", d.name, text(d.formula)));
    }
    return kExitOk;
  }

 private:
  ExpressionArgs args_;
  std::vector<std::string> wrt_;
  bool latex_ = false;
};

}  // namespace

std::unique_ptr<Command> make_derive_command() {
  return std::make_unique<DeriveCommand>();
}

}  // namespace xi::cli
