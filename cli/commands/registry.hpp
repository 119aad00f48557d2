#pragma once
// Every subcommand listed in commands.def, freshly made (each run parses into new objects).

#include <memory>
#include <vector>

#include "command.hpp"

namespace xi::cli {

#define XIGRAD_COMMAND(name) std::unique_ptr<Command> make_##name##_command();
#include "commands/commands.def"
#undef XIGRAD_COMMAND

std::vector<std::unique_ptr<Command>> make_commands();

}  // namespace xi::cli
