#pragma once
// The `xigrad` command: parses the arguments, runs the subcommand, and turns errors into a
// message on stderr ("xigrad: error: ...") and an exit status (see command.hpp).

#include <ostream>
#include <string>
#include <vector>

namespace xi::cli {

/// Runs `xigrad` with `args` (without the program name). Returns the exit status.
int run(std::vector<std::string> args, std::ostream& out, std::ostream& err);

}  // namespace xi::cli
