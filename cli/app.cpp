#include "app.hpp"

#include <algorithm>
#include <cctype>
#include <exception>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/tape.hpp>

#include "commands/registry.hpp"
#include "expression_input.hpp"
#include "options.hpp"

namespace xi::cli {
namespace {

void error_line(std::ostream& err, std::string message) {
  while (!message.empty() && message.back() == '\n') message.pop_back();
  err << "xigrad: error: " << message << '\n';
}

// Every spelling of an option of `app` and of the parsed subcommand `sub`, each with whether it
// takes a value: "-h" → false, "--at" → true.
std::map<std::string, bool> option_spellings(const CLI::App& app, const CLI::App& sub) {
  std::map<std::string, bool> names;
  for (const CLI::App* a : {&app, &sub}) {
    for (const CLI::Option* opt : a->get_options()) {
      const bool takes_value = opt->get_expected_min() > 0 && opt->get_type_size_max() > 0;
      for (const std::string& s : opt->get_snames()) names.emplace("-" + s, takes_value);
      for (const std::string& l : opt->get_lnames()) names.emplace("--" + l, takes_value);
    }
  }
  return names;
}

bool has_positional(const CLI::App& sub) {
  for (const CLI::Option* opt : sub.get_options()) {
    if (opt->get_positional() && !opt->nonpositional()) return true;
  }
  return false;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

bool looks_like_long_option(const std::string& a) {
  if (a.size() < 3 || a[0] != '-' || a[1] != '-') return false;
  const std::string_view name = std::string_view(a).substr(2, a.find('=') - 2);
  return !name.empty() && std::isalpha(static_cast<unsigned char>(name[0])) != 0 &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
         });
}

// An expression such as "-y*log(p)", "-h*2" or "--x" looks like an option to CLI11. Only the
// exact spellings of our options ("-h", "--at", "--at=x=1") are options; the subcommand's first
// positional argument (EXPR) is an expression whatever it starts with, and so is every other
// argument that starts with '-' but a negative number (which CLI11 takes as a value) or the
// separator "--": those are marked so that they reach the subcommand unchanged. A "--word" that
// is no option of the subcommand and not in the EXPR position is a misspelt option: the
// returned message names it (and the closest option).
std::optional<std::string> protect_expressions(std::vector<std::string>& args, const CLI::App& app,
                                               const CLI::App& sub) {
  const std::map<std::string, bool> options = option_spellings(app, sub);
  bool expression_seen = !has_positional(sub);
  bool value_next = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string& a = args[i];
    if (a == "--") break;
    const bool dash = a.size() >= 2 && a[0] == '-';
    const bool number =
        dash && (std::isdigit(static_cast<unsigned char>(a[1])) != 0 || a[1] == '.');
    if (value_next) {
      value_next = false;
      if (dash && !number) a.insert(0, kProtectMark);
      continue;
    }
    if (!dash) {
      expression_seen = true;
      continue;
    }
    const auto known = options.find(a.substr(0, a.find('=')));
    if (known != options.end() && (a[1] == '-' || a.size() == 2)) {
      value_next = known->second && a.find('=') == std::string::npos;
      continue;
    }
    if (number) {
      expression_seen = true;
      continue;
    }
    if (!expression_seen) {
      expression_seen = true;
    } else if (looks_like_long_option(a)) {
      const std::string name = a.substr(0, a.find('='));
      std::string closest;
      std::size_t best = 3;  // suggest only a spelling at most two edits away
      for (const auto& [spelling, takes_value] : options) {
        const std::size_t d = edit_distance(name, spelling);
        if (spelling.size() > 2 && d < best) best = d, closest = spelling;
      }
      return fmt::format("unknown option '{}' for '{}'{}", name, sub.get_name(),
                         closest.empty() ? "" : fmt::format(" (did you mean {}?)", closest));
    }
    a.insert(0, kProtectMark);
  }
  return std::nullopt;
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
  // Every subcommand records on one tape; one option caps its memory.
  std::string max_memory;
  for (const auto& [sub, command] : subs) add_max_memory(*sub, max_memory);

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

  const std::vector<CLI::App*> named = app.get_subcommands(
      [&](const CLI::App* s) { return !args[0].empty() && s->check_name(args[0]); });
  if (!named.empty()) {
    const CLI::App* sub = named.front();
    if (std::optional<std::string> misspelt = protect_expressions(args, app, *sub)) {
      error_line(err, *misspelt);
      err << "Run 'xigrad " << sub->get_name() << " --help' for its options.\n";
      return kExitBadInput;
    }
  }
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
      tape.set_max_bytes(parse_size(max_memory, "--max-memory"));
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
