#include "output_format.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>
#include <xigrad/autodiff/error.hpp>

namespace xi::cli {
namespace {

OutputFormat named(const std::string& name) {
  if (name == "json") return OutputFormat::json;
  if (name == "dot") return OutputFormat::dot;
  if (name == "md") return OutputFormat::markdown;
  if (name == "latex") return OutputFormat::latex;
  if (name == "html") return OutputFormat::html;
  return OutputFormat::text;
}

}  // namespace

CLI::Option* add_format(CLI::App& cmd, std::string& value,
                        const std::vector<std::string>& allowed) {
  return cmd
      .add_option("--format", value,
                  fmt::format("how to print the result: {} (text is the default)",
                              fmt::join(allowed, ", ")))
      ->type_name("NAME")
      ->check(CLI::IsMember(allowed));
}

OutputFormat output_format(const std::string& format, bool json, bool dot) {
  const OutputFormat chosen = named(format);
  const auto clash = [&](const char* flag) {
    return InputError(
        fmt::format("{} and --format {} ask for two different outputs: give one", flag, format));
  };
  if (json && !format.empty() && chosen != OutputFormat::json) throw clash("--json");
  if (dot && !format.empty() && chosen != OutputFormat::dot) throw clash("--dot");
  if (json) return OutputFormat::json;
  if (dot) return OutputFormat::dot;
  return chosen;
}

}  // namespace xi::cli
