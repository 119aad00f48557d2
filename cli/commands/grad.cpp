// xigrad grad EXPR --at ...: the value and the gradient.

#include <memory>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "command.hpp"
#include "expression_input.hpp"
#include "format.hpp"

namespace xi::cli {
namespace {

class GradCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    CLI::App* cmd = app.add_subcommand("grad", "value and gradient of EXPR at the point --at");
    args_.add_to(*cmd);
    return cmd;
  }

  int run(const Io& io) override {
    const Problem problem(args_, io.err);
    const Recording r = problem.record();
    const std::vector<double> gradient = problem.backward_checked(r);
    const double value = r.result().value();

    if (args_.json) {
      Json j = Json::object();
      j["value"] = tidy(value);
      j["gradient"] = variables_json(problem.bindings(), gradient);
      io.out << dump(j);
      return kExitOk;
    }
    io.out << fmt::format("value  {}\n\n", num(value));
    TextTable t({"variable", "value", "∂/∂variable"});
    const std::vector<std::string> names = problem.component_names();
    const Vector x = problem.point();
    for (std::size_t i = 0; i < names.size(); ++i) {
      t.add({names[i], num(x[static_cast<Eigen::Index>(i)]), num(gradient[i])});
    }
    io.out << t.str();
    return kExitOk;
  }

 private:
  ExpressionArgs args_;
};

}  // namespace

std::unique_ptr<Command> make_grad_command() {
  return std::make_unique<GradCommand>();
}

}  // namespace xi::cli
