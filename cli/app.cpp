#include "app.hpp"

#include <algorithm>
#include <exception>
#include <set>

#include <CLI/CLI.hpp>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/tape.hpp>

#include "commands/registry.hpp"
#include "expression_input.hpp"

namespace xi::cli {
namespace {

void error_line(std::ostream& err, std::string message) {
  while (!message.empty() && message.back() == '\n') message.pop_back();
  err << "xigrad: error: " << message << '\n';
}

// Every spelling of an option of the app and its subcommands: "-h", "--help", "--at", ...
void collect_option_names(const CLI::App& app, std::set<std::string>& names) {
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& s : opt->get_snames()) names.insert("-" + s);
    for (const std::string& l : opt->get_lnames()) names.insert("--" + l);
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    collect_option_names(*sub, names);
  }
}

// An expression such as "-y*log(p)", "-h*2" or "--x" looks like an option to CLI11. Only the
// exact spellings of our options ("-h", "--at", "--at=x=1") are options; every other argument
// that starts with '-' (but a negative number, which CLI11 already takes as a value, and the
// separator "--") is marked so that it reaches the subcommand as an expression or a value.
void protect_expressions(std::vector<std::string>& args, const CLI::App& app) {
  std::set<std::string> options;
  collect_option_names(app, options);
  bool after_separator = false;
  for (std::string& a : args) {
    if (a == "--") after_separator = true;
    if (after_separator || a.size() < 2 || a[0] != '-') continue;
    if (a[1] >= '0' && a[1] <= '9') continue;
    if (options.count(a.substr(0, a.find('='))) != 0 && (a[1] == '-' || a.size() == 2)) continue;
    a.insert(0, kProtectMark);
  }
}

}  // namespace

int run(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "xigrad: reverse-mode automatic differentiation of expressions: gradients, the ξ table of "
      "backprop, Hessians, and checks of hand-derived gradients.",
      "xigrad"};
  app.require_subcommand(1);
  app.footer(
      "Exit status: 0 ok, 1 check disagrees, 2 bad usage or input, 3 non-finite value, 4 the "
      "optimizer diverged. See docs/cli.md.");
  auto commands = make_commands();
  std::vector<std::pair<CLI::App*, Command*>> subs;
  for (auto& c : commands) subs.emplace_back(c->add_to(app), c.get());

  // Name an unknown subcommand rather than CLI11's "A subcommand is required".
  std::string known;
  for (const auto& [sub, command] : subs) known += (known.empty() ? "" : ", ") + sub->get_name();
  if (args.empty()) {
    error_line(err, "a subcommand is required: " + known);
    err << "Run 'xigrad --help' for usage.\n";
    return kExitBadInput;
  }
  if (!args[0].empty() && args[0][0] != '-' &&
      std::none_of(subs.begin(), subs.end(),
                   [&](const auto& s) { return s.first->check_name(args[0]); })) {
    error_line(err, "unknown subcommand '" + args[0] + "' (the subcommands are: " + known + ")");
    return kExitBadInput;
  }

  protect_expressions(args, app);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    error_line(err, unprotect(e.what()));
    err << "Run 'xigrad --help' (or 'xigrad SUBCOMMAND --help') for usage.\n";
    return kExitBadInput;
  }

  for (auto& [sub, command] : subs) {
    if (!sub->parsed()) continue;
    Io io{out, err};
    try {
      Tape tape;  // each run records on a fresh tape
      Tape::Scope scope(tape);
      return command->run(io);
    } catch (const NonFiniteError& e) {
      error_line(err, e.what());
      return kExitNonFinite;
    } catch (const InputError& e) {
      error_line(err, e.what());
      return kExitBadInput;
    } catch (const Error& e) {
      error_line(err, e.what());
      return kExitBadInput;
    } catch (const std::exception& e) {
      error_line(err, std::string("internal error: ") + e.what());
      return kExitBadInput;
    }
  }
  error_line(err, "no subcommand given");
  return kExitBadInput;
}

}  // namespace xi::cli
