// xigrad hessian EXPR --at ...: the Hessian, its eigenvalues, and what kind of point --at is.

#include <algorithm>
#include <cmath>
#include <memory>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <Eigen/Eigenvalues>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/grad.hpp>

#include "command.hpp"
#include "expression_input.hpp"
#include "format.hpp"
#include "options.hpp"

namespace xi::cli {
namespace {

// The design's names for the sign pattern of the eigenvalues; eigenvalues within `zero` of 0
// count as 0.
std::string curvature(const Eigen::VectorXd& lambda, double zero) {
  const auto n = lambda.size();
  const auto pos = (lambda.array() > zero).count();
  const auto neg = (lambda.array() < -zero).count();
  if (pos == n) return "positive definite";
  if (neg == n) return "negative definite";
  if (pos > 0 && neg > 0) return "indefinite";
  if (neg == 0) return "positive semidefinite";
  return "negative semidefinite";
}

std::string kind_of_point(bool stationary, const std::string& curv) {
  if (!stationary) return "not a stationary point (the gradient is not zero)";
  if (curv == "positive definite") return "a local minimum";
  if (curv == "negative definite") return "a local maximum";
  if (curv == "indefinite") return "a saddle point";
  return "a stationary point the second derivatives cannot classify (a zero eigenvalue)";
}

class HessianCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    CLI::App* cmd = app.add_subcommand(
        "hessian", "Hessian of EXPR at --at, its eigenvalues, and what kind of point it is");
    args_.add_to(*cmd);
    add_real(*cmd, "--tol", tol_, kNonNegative,
             "the point is stationary when every gradient component is at most this in "
             "absolute value")
        ->capture_default_str();
    return cmd;
  }

  int run(const Io& io) override {
    const Problem problem(args_, io.err);
    if (problem.bindings().empty()) {
      throw InputError("hessian needs at least one variable: give it with --at NAME=VALUE");
    }
    const Recording r = problem.record();
    const std::vector<double> gradient = problem.backward_checked(r);
    const double value = r.result().value();
    const Matrix H = hessian(problem.function(), problem.point());
    const auto n = H.rows();
    const std::vector<std::string> names = problem.component_names();
    for (Eigen::Index i = 0; i < n; ++i) {
      for (Eigen::Index j = 0; j < n; ++j) {
        if (!std::isfinite(H(i, j))) {
          throw NonFiniteError(fmt::format(
              "the second derivative ∂²L/∂{}∂{} is {} at {}", names[static_cast<std::size_t>(i)],
              names[static_cast<std::size_t>(j)], num(H(i, j)), problem.point_text()));
        }
      }
    }
    const Eigen::MatrixXd sym = 0.5 * (Eigen::MatrixXd(H) + Eigen::MatrixXd(H).transpose());
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(sym, Eigen::EigenvaluesOnly);
    const Eigen::VectorXd lambda = solver.eigenvalues();  // ascending
    const double scale = std::max(1.0, lambda.cwiseAbs().maxCoeff());
    const std::string curv = curvature(lambda, 1e-10 * scale);
    double gmax = 0;
    for (double g : gradient) gmax = std::max(gmax, std::abs(g));
    const bool stationary = gmax <= tol_;
    const Vector x = problem.point();

    if (args_.json) {
      Json j = Json::object();
      j["value"] = tidy(value);
      j["gradient"] = variables_json(problem.bindings(), gradient);
      j["variables"] = names;
      Json rows = Json::array();
      for (Eigen::Index i = 0; i < n; ++i) {
        Json row = Json::array();
        for (Eigen::Index k = 0; k < n; ++k) row.push_back(tidy(H(i, k)));
        rows.push_back(row);
      }
      j["hessian"] = rows;
      Json eig = Json::array();
      for (Eigen::Index i = 0; i < n; ++i) eig.push_back(tidy(lambda[i]));
      j["eigenvalues"] = eig;
      j["stationary"] = stationary;
      j["curvature"] = curv;
      io.out << dump(j);
      return kExitOk;
    }

    std::string out = fmt::format("f = {}\nat {}\n\nvalue  {}\n\n", problem.program().source,
                                  problem.point_text(), num(value));
    TextTable g({"variable", "value", "∂f/∂variable"});
    for (std::size_t i = 0; i < names.size(); ++i) {
      g.add({names[i], num(x[static_cast<Eigen::Index>(i)]), num(gradient[i])});
    }
    out += g.str() + "\n";
    std::vector<std::string> header{"hessian"};
    header.insert(header.end(), names.begin(), names.end());
    TextTable t(header);
    for (Eigen::Index i = 0; i < n; ++i) {
      std::vector<std::string> row{names[static_cast<std::size_t>(i)]};
      for (Eigen::Index k = 0; k < n; ++k) row.push_back(num(H(i, k)));
      t.add(row);
    }
    out += t.str();
    std::string eig;
    for (Eigen::Index i = 0; i < n; ++i) eig += (i > 0 ? "  " : "") + num(lambda[i]);
    TextTable s({"eigenvalues", eig + "  (ascending)"});
    s.add({"stationary",
           fmt::format("{} (max |gradient| = {} {} tolerance {})", stationary ? "yes" : "no",
                       num(gmax), stationary ? "≤" : ">", num(tol_))});
    s.add({"curvature", curv});
    s.add({"point", kind_of_point(stationary, curv)});
    out += "\n" + s.str();
    io.out << out;
    return kExitOk;
  }

 private:
  ExpressionArgs args_;
  double tol_ = 1e-8;
};

}  // namespace

std::unique_ptr<Command> make_hessian_command() {
  return std::make_unique<HessianCommand>();
}

}  // namespace xi::cli
