#include "commands/registry.hpp"

namespace xi::cli {

std::vector<std::unique_ptr<Command>> make_commands() {
  std::vector<std::unique_ptr<Command>> commands;
#define XIGRAD_COMMAND(name) commands.push_back(make_##name##_command());
#include "commands/commands.def"
#undef XIGRAD_COMMAND
  return commands;
}

}  // namespace xi::cli
