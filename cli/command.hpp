#pragma once
// A subcommand of `xigrad`. Each lives in its own file under commands/ and is listed once in
// commands/commands.def; adding one (minimize, train) is a new file plus one line there.

#include <ostream>

namespace CLI {
class App;
}

namespace xi::cli {

/// Exit status of `xigrad` (see docs/cli.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitDisagree = 1,   // `check`: a hand-derived component disagrees
  kExitBadInput = 2,   // bad usage or bad input (the message says what and where)
  kExitNonFinite = 3,  // a non-finite value or adjoint (the message names the ξ node)
  kExitDiverged = 4,   // the optimizer diverged
};

struct Io {
  std::ostream& out;
  std::ostream& err;
};

class Command {
 public:
  virtual ~Command() = default;
  /// Adds this subcommand (name, description, options bound to members) under `app` and
  /// returns it.
  virtual CLI::App* add_to(CLI::App& app) = 0;
  /// Runs the parsed subcommand on a fresh tape and returns the exit status. Errors are thrown:
  /// xi::InputError exits 2, xi::NonFiniteError exits 3, with the message on stderr.
  virtual int run(const Io& io) = 0;
};

}  // namespace xi::cli
