// xigrad minimize EXPR --from NAME=V,... --optimizer NAME: runs an optimizer on the expression,
// optionally from random restarts, and reports where it stopped and why.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/parameter.hpp>
#include <xigrad/optim/minimize.hpp>
#include <xigrad/optim/optimizers.hpp>
#include <xigrad/optim/plot.hpp>
#include <xigrad/optim/trace.hpp>

#include "command.hpp"
#include "expr/expr_error.hpp"
#include "expr/parser.hpp"
#include "expression_input.hpp"
#include "format.hpp"
#include "options.hpp"

namespace xi::cli {
namespace {

// The ranges of minimize's options (docs/optimizers.md).
constexpr CountRange kIterRange{0, 100'000'000};
constexpr CountRange kRestartRange{0, 10'000};
constexpr RealRange kBetaRange{0.0, 1.0, false, true};

// "--at x=one: ..." from parse_bindings, said of --from.
std::vector<Binding> parse_from(const std::vector<std::string>& from) {
  try {
    return parse_bindings(from);
  } catch (const InputError& e) {
    std::string msg = e.what();
    if (msg.rfind("--at", 0) == 0) msg.replace(0, 4, "--from");
    throw InputError(msg);
  }
}

// The command-line flag of a HyperParameters field named in make_optimizer's message.
std::string flag_of(const std::string& field) {
  std::string flag = "--" + field;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

std::string yes_no(bool b) {
  return b ? "yes" : "no";
}

std::string point_of(const std::vector<std::string>& names, const Vector& x) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!s.empty()) s += ", ";
    s += fmt::format("{} = {}", names[i], num(x[static_cast<Eigen::Index>(i)]));
  }
  return s;
}

Json object_of(const std::vector<Binding>& bindings, const Vector& x) {
  return variables_json(bindings, std::span<const double>(x.data(), std::size_t(x.size())));
}

// A number that may be non-finite, with the verdict beside it.
std::string num_or_verdict(double v, const optim::Run& run) {
  if (std::isfinite(v)) return num(v);
  return fmt::format("{} ({})", num(v), run.diverged ? "diverged" : "not finite");
}

class MinimizeCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    CLI::App* cmd = app.add_subcommand(
        "minimize",
        "run an optimizer on EXPR from the point --from (random restarts, trace, plot)");
    cmd->add_option("EXPR", expression_, "the function to minimise, e.g. \"(x-3)^2\"")->required();
    cmd->add_option("--from", from_,
                    "starting point: NAME=VALUE[,NAME=VALUE...] for every variable (repeatable)")
        ->allow_extra_args(false)
        ->type_name("NAME=VALUE,...")
        ->required();
    cmd->add_option("--const", consts_,
                    "names bound as constants: NAME=VALUE[,NAME=VALUE...] (repeatable)")
        ->allow_extra_args(false)
        ->type_name("NAME=VALUE,...");
    std::string names;
    for (std::string_view n : optim::optimizer_names()) {
      names += (names.empty() ? "" : ", ") + std::string(n);
    }
    cmd->add_option("--optimizer", optimizer_, "the optimizer: " + names)->capture_default_str();
    lr_opt_ = add_real(*cmd, "--lr", lr_, kNonNegative, "learning rate (default: the optimizer's)");
    momentum_opt_ = add_real(*cmd, "--momentum", momentum_, kNonNegative,
                             "momentum (sgd, momentum, nesterov, rmsprop)");
    cmd->add_flag("--nesterov", nesterov_, "Nesterov momentum (sgd)");
    betas_opt_ =
        cmd->add_option("--betas", betas_, "Adam's betas (adam, adamw)")->type_name("B1,B2");
    eps_opt_ = add_real(*cmd, "--eps", eps_, kNonNegative, "eps (adagrad, rmsprop, adam, adamw)");
    wd_opt_ = add_real(*cmd, "--weight-decay", weight_decay_, kNonNegative,
                       "weight decay (gd, sgd, momentum, nesterov, adagrad, rmsprop, adam, "
                       "adamw)");
    add_count(*cmd, "--iters", iters_, kIterRange,
              "iteration budget (0: only evaluate the starting point)")
        ->capture_default_str();
    add_real(*cmd, "--tol", tol_, kNonNegative,
             "stop when the gradient norm is at most this (0: run the whole budget)")
        ->capture_default_str();
    add_count(*cmd, "--restarts", restarts_, kRestartRange,
              "further runs from points drawn uniformly from the --box")
        ->capture_default_str();
    add_seed(*cmd, seed_, "seed of the restarts and of the gradient noise");
    box_opt_ = cmd->add_option("--box", box_,
                               "box of the restarts, and of the contour plot (default -1:1 for "
                               "restarts; the plot fits the paths)")
                   ->type_name("LO:HI");
    add_real(*cmd, "--noise", noise_, kNonNegative,
             "annealed gradient noise: variance ETA/(1+t)^0.55 (first-order optimizers)")
        ->type_name("ETA");
    add_output(*cmd, "--trace", trace_, "write the trace (the best run's) as CSV to FILE",
               "FILE.csv");
    add_output(*cmd, "--plot", plot_,
               "write an SVG plot to FILE: the loss per iteration, or for two variables the "
               "contour of EXPR with the path of every run",
               "FILE.svg");
    cmd->add_flag("--json", json_, "print one JSON object");
    data_.add_to(*cmd);
    return cmd;
  }

  int run(const Io& io) override {
    const OutputFile outputs[] = {{"--trace", trace_}, {"--plot", plot_}};
    check_output_files(outputs);
    const std::string expression = unprotect(expression_);
    const Program program = parse(expression);
    std::vector<Binding> bindings = parse_from(from_);
    if (bindings.empty()) {
      throw InputError("minimize needs a starting point: give it with --from NAME=VALUE,...");
    }
    std::vector<Binding> constants = parse_bindings(consts_, "--const");
    std::vector<std::string> given_names;
    for (const Binding& b : bindings) given_names.push_back(b.name);
    for (const Binding& c : constants) given_names.push_back(c.name);
    const std::vector<const Program*> programs{&program};
    std::shared_ptr<const BoundData> data = load_data(data_, programs, given_names, io.err);
    for (const VariableRef& ref : program.variables) {
      const bool given = std::any_of(bindings.begin(), bindings.end(),
                                     [&](const Binding& b) { return b.name == ref.name; }) ||
                         std::any_of(constants.begin(), constants.end(),
                                     [&](const Binding& c) { return c.name == ref.name; }) ||
                         (data && data->find(ref.name) != nullptr);
      if (!given) {
        throw ExprError(fmt::format("variable '{}' is missing from --from (give its starting "
                                    "value with --from {}=VALUE)",
                                    ref.name, ref.name),
                        program.source, ref.offset, ref.name.size());
      }
    }
    const optim::OptimizerSpec spec = optimizer_spec();
    const Problem problem(expression, std::move(bindings), std::move(data), Shape::scalar(),
                          std::move(constants));
    const std::vector<std::string> names = problem.component_names();
    check_hyper_parameters(spec, problem);
    const optim::MinimizeOptions options = minimize_options(names);

    // The starting point must have a finite value and gradient (exit 3 names the ξ node).
    {
      const Recording r = problem.record();
      (void)problem.backward_checked(r);
    }

    const optim::Result result =
        optim::minimize(problem.function(), problem.point(), spec, options);

    if (!trace_.empty()) optim::save_trace_csv(trace_, result.runs[result.best].trace);
    if (!plot_.empty()) save_plot(problem, result);

    if (json_) {
      io.out << dump(to_json(result, problem.bindings()));
    } else {
      io.out << text(problem, spec, result);
    }
    if (result.diverged) {
      // As train does: the verdict on stderr too, so that a script sees why the status is 4.
      io.out.flush();
      io.err << fmt::format(
          "xigrad: error: the optimizer diverged{}: {}; try a smaller --lr ({})\n",
          restarts_ > 0 ? fmt::format(" in all {} runs", result.runs.size()) : "",
          result.stop_reason.substr(std::min(result.stop_reason.size(), std::size_t{10})),
          spec.hyper.lr ? fmt::format("it was {}", num(*spec.hyper.lr))
                        : fmt::format("{}'s default was used", spec.name));
      return kExitDiverged;
    }
    return kExitOk;
  }

 private:
  optim::OptimizerSpec optimizer_spec() const {
    const auto known = optim::optimizer_names();
    if (std::find(known.begin(), known.end(), optimizer_) == known.end()) {
      throw InputError(fmt::format("--optimizer: unknown optimizer '{}' (the optimizers are: {})",
                                   optimizer_, fmt::join(known, ", ")));
    }
    optim::OptimizerSpec spec;
    spec.name = optimizer_;
    auto& h = spec.hyper;
    if (lr_opt_->count() > 0) h.lr = lr_;
    if (momentum_opt_->count() > 0) h.momentum = momentum_;
    if (nesterov_) h.nesterov = true;
    if (eps_opt_->count() > 0) h.eps = eps_;
    if (wd_opt_->count() > 0) h.weight_decay = weight_decay_;
    if (betas_opt_->count() > 0) {
      const std::string betas = unprotect(betas_);
      const auto comma = betas.find(',');
      if (comma == std::string::npos) {
        throw InputError(fmt::format("--betas '{}': expected B1,B2", shown(betas)));
      }
      h.betas = std::pair{parse_real(betas.substr(0, comma), "--betas", kBetaRange),
                          parse_real(betas.substr(comma + 1), "--betas", kBetaRange)};
    }
    return spec;
  }

  // make_optimizer refuses a hyper-parameter the optimizer does not take, or a bad value; say it
  // in terms of the flag.
  static void check_hyper_parameters(const optim::OptimizerSpec& spec, const Problem& problem) {
    try {
      Parameter probe(problem.point(), "x");
      (void)optim::make_optimizer(spec.name, {probe}, spec.hyper, problem.function());
    } catch (const InputError& e) {
      const std::string msg = e.what();
      const std::string key = "hyper-parameter '";
      const auto at = msg.find(key);
      if (at == std::string::npos) throw InputError(msg);
      const auto from = at + key.size();
      const std::string field = msg.substr(from, msg.find('\'', from) - from);
      throw InputError(fmt::format("{}: {}", flag_of(field), msg));
    }
  }

  optim::MinimizeOptions minimize_options(const std::vector<std::string>& names) {
    optim::MinimizeOptions o;
    o.stop.max_iterations = iters_;
    o.stop.tol = tol_;
    o.names = names;
    o.restarts.count = restarts_;
    o.restarts.seed = seed_;
    if (box_opt_->count() > 0) {
      const std::string box = unprotect(box_);
      const auto colon = box.find(':', 1);
      if (colon == std::string::npos) {
        throw InputError(fmt::format("--box '{}': expected LO:HI, e.g. -2:2", shown(box)));
      }
      box_lo_ = parse_real(box.substr(0, colon), "--box", {});
      box_hi_ = parse_real(box.substr(colon + 1), "--box", {});
      if (!(box_lo_ < box_hi_)) {
        throw InputError(fmt::format("--box '{}': LO must be less than HI", shown(box)));
      }
      o.restarts.lo = box_lo_;
      o.restarts.hi = box_hi_;
    }
    if (noise_ > 0 && (optimizer_ == "lbfgs" || optimizer_ == "newton")) {
      throw InputError(fmt::format(
          "--noise: gradient noise applies to first-order optimizers, not '{}'", optimizer_));
    }
    o.noise.eta = noise_;
    o.noise.seed = seed_;
    return o;
  }

  void save_plot(const Problem& problem, const optim::Result& result) const {
    std::vector<optim::Trace> traces;
    for (const optim::Run& run : result.runs) traces.push_back(run.trace);
    const std::size_t n = problem.dimension();
    optim::PlotOptions po;
    po.title = fmt::format("{}: {}", result.optimizer, problem.program().source);
    if (n == 2) {
      optim::Box box;
      if (box_opt_->count() > 0) {
        box = {box_lo_, box_hi_, box_lo_, box_hi_};
      } else {
        // Fit the runs that stayed finite, so that a diverged path does not blow up the box.
        std::vector<optim::Trace> fit;
        for (const optim::Run& run : result.runs) {
          if (!run.diverged) fit.push_back(run.trace);
        }
        box = optim::bounding_box(fit.empty() ? traces : fit);
      }
      auto f = [&problem](double x, double y) { return problem.value_at(Vector{{x, y}}); };
      optim::save_contour_plot(plot_, f, box, traces, po);
      return;
    }
    bool positive = true;
    for (const optim::Trace& t : traces) {
      for (const optim::TraceRow& row : t.rows) {
        if (std::isfinite(row.loss) && row.loss <= 0) positive = false;
      }
    }
    po.log_y = positive;
    optim::save_loss_plot(plot_, traces, po);
  }

  // The per-run keys, appended to `j`.
  static void add_run(Json& j, const optim::Run& run, const std::vector<Binding>& names) {
    j["converged"] = run.converged;
    j["stop_reason"] = run.stop_reason;
    j["iterations"] = run.iterations;
    j["value"] = run.value;
    j["argmin"] = object_of(names, run.x);
    j["gradient_norm"] = run.gradient_norm;
  }

  Json to_json(const optim::Result& result, const std::vector<Binding>& names) const {
    Json j = Json::object();
    j["optimizer"] = result.optimizer;
    add_run(j, result, names);
    if (restarts_ > 0) {
      Json runs = Json::array();
      for (const optim::Run& run : result.runs) {
        Json r = Json::object();
        r["start"] = object_of(names, run.start);
        add_run(r, run, names);
        runs.push_back(r);
      }
      j["runs"] = runs;
      j["best"] = result.best;
    }
    return j;
  }

  std::string hyper_text(const optim::OptimizerSpec& spec) const {
    std::vector<std::string> parts;
    const auto& h = spec.hyper;
    if (h.lr) parts.push_back(fmt::format("lr = {}", num(*h.lr)));
    if (h.momentum) parts.push_back(fmt::format("momentum = {}", num(*h.momentum)));
    if (h.nesterov) parts.push_back("nesterov");
    if (h.betas) {
      parts.push_back(fmt::format("betas = {},{}", num(h.betas->first), num(h.betas->second)));
    }
    if (h.eps) parts.push_back(fmt::format("eps = {}", num(*h.eps)));
    if (h.weight_decay) parts.push_back(fmt::format("weight_decay = {}", num(*h.weight_decay)));
    if (parts.empty()) return spec.name;
    return fmt::format("{} ({})", spec.name, fmt::join(parts, ", "));
  }

  std::string text(const Problem& problem, const optim::OptimizerSpec& spec,
                   const optim::Result& result) const {
    const std::vector<std::string> names = problem.component_names();
    std::string out = fmt::format("f = {}\nfrom {}\n\n", problem.program().source,
                                  point_of(names, result.runs.front().start));
    TextTable s({"optimizer", hyper_text(spec)});
    if (restarts_ > 0) {
      s.add({"best run", fmt::format("{} of {}", result.best + 1, result.runs.size())});
    }
    s.add({"stop reason", result.stop_reason});
    s.add({"converged", yes_no(result.converged)});
    s.add({"iterations", fmt::format("{}", result.iterations)});
    s.add({"value", num_or_verdict(result.value, result)});
    for (std::size_t i = 0; i < names.size(); ++i) {
      s.add({"argmin " + names[i], num_or_verdict(result.x[static_cast<Eigen::Index>(i)], result)});
    }
    s.add({"gradient norm", num_or_verdict(result.gradient_norm, result)});
    if (!trace_.empty()) {
      s.add({"trace", restarts_ > 0 ? trace_ + " (the best run)" : trace_});
    }
    if (!plot_.empty()) s.add({"plot", plot_});
    out += s.str();
    if (restarts_ > 0) {
      std::vector<std::string> header{"run"};
      for (const std::string& n : names) header.push_back("start " + n);
      header.insert(header.end(), {"stop reason", "converged", "iterations", "value"});
      for (const std::string& n : names) header.push_back("argmin " + n);
      header.insert(header.end(), {"gradient norm", ""});
      TextTable t(header);
      for (std::size_t r = 0; r < result.runs.size(); ++r) {
        const optim::Run& run = result.runs[r];
        std::vector<std::string> row{fmt::format("{}", r + 1)};
        for (Eigen::Index i = 0; i < run.start.size(); ++i) row.push_back(num(run.start[i]));
        row.insert(row.end(), {run.stop_reason, yes_no(run.converged),
                               fmt::format("{}", run.iterations), num_or_verdict(run.value, run)});
        for (Eigen::Index i = 0; i < run.x.size(); ++i) {
          row.push_back(num_or_verdict(run.x[i], run));
        }
        row.push_back(num_or_verdict(run.gradient_norm, run));
        row.push_back(r == result.best ? "← best" : "");
        t.add(row);
      }
      out += "\n" + t.str();
    }
    if (result.diverged) {
      out += fmt::format(
          "\nThe optimizer diverged ({}); try a smaller --lr.\n",
          result.stop_reason.substr(std::min(result.stop_reason.size(), std::size_t{10})));
    } else if (!result.converged) {
      out += fmt::format(
          "\nNot converged: stopped by '{}' after {} iterations with the gradient norm {} (--tol "
          "{}).\n",
          result.stop_reason, result.iterations, num(result.gradient_norm), num(tol_));
    }
    return out;
  }

  std::string expression_;
  std::vector<std::string> from_;
  std::vector<std::string> consts_;
  DataArgs data_;
  std::string optimizer_ = "gd";
  double lr_ = 0, momentum_ = 0, eps_ = 0, weight_decay_ = 0, noise_ = 0;
  bool nesterov_ = false;
  std::string betas_, box_, trace_, plot_;
  std::uint64_t iters_ = 1000, restarts_ = 0;
  double tol_ = 1e-6;
  std::uint64_t seed_ = 0;
  bool json_ = false;
  double box_lo_ = -1, box_hi_ = 1;
  CLI::Option* lr_opt_ = nullptr;
  CLI::Option* momentum_opt_ = nullptr;
  CLI::Option* betas_opt_ = nullptr;
  CLI::Option* eps_opt_ = nullptr;
  CLI::Option* wd_opt_ = nullptr;
  CLI::Option* box_opt_ = nullptr;
};

}  // namespace

std::unique_ptr<Command> make_minimize_command() {
  return std::make_unique<MinimizeCommand>();
}

}  // namespace xi::cli
