#pragma once
// --format NAME: how a subcommand prints its result. It takes over the older flags --json and
// --dot, which stay as aliases of `--format json` and `--format dot`.

#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace xi::cli {

enum class OutputFormat { text, json, dot, markdown, latex, html };

/// Declares --format on `cmd`, accepting the names in `allowed` ("text", "json", "dot", "md",
/// "latex", "html"); another name exits 2 listing them.
CLI::Option* add_format(CLI::App& cmd, std::string& value, const std::vector<std::string>& allowed);

/// The format asked for by --format (empty: not given) and the alias flags; two different
/// choices are an xi::InputError naming both.
OutputFormat output_format(const std::string& format, bool json, bool dot = false);

}  // namespace xi::cli
