#pragma once
// Text output of the subcommands: numbers and aligned tables (fmt), and JSON (nlohmann).

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace xi::cli {

using Json = nlohmann::ordered_json;

/// A number for people: 6 significant digits, no "-0", "nan"/"inf" spelled out (callers print a
/// verdict beside any non-finite number).
std::string num(double v);

/// 0 for -0 (so JSON never shows -0.0), the number itself otherwise.
inline double tidy(double v) {
  return v == 0 ? 0.0 : v;
}

/// Width of `s` on a terminal, counting one column per UTF-8 code point (ξ, ∂ and → included).
std::size_t display_width(std::string_view s);

/// Columns padded to their widest cell, two spaces apart, no trailing spaces.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  /// Every line prefixed by `indent`, each ending with '\n'.
  std::string str(std::string_view indent = "") const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

/// The JSON text of one object, pretty-printed, ending with '\n'.
std::string dump(const Json& j);

}  // namespace xi::cli
