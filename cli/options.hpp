#pragma once
// One validated option layer for every subcommand: counts and seeds (whole numbers in a range),
// real numbers (finite, in a range) and output files (checked before any work). A bad value
// exits 2 with a short message that names the option and what it allows, e.g.
// `--iters: -5 is not in the range 0 to 100000000` or
// `--tol: nan is not a finite number (it must be at least 0)`.

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace xi::cli {

/// Whole numbers from lo to hi (both included).
struct CountRange {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
};

/// Finite real numbers between lo and hi; an infinite bound means no bound on that side.
struct RealRange {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;  ///< lo itself is excluded
  bool hi_open = false;  ///< hi itself is excluded
};

inline constexpr CountRange kSeedRange{0, std::numeric_limits<std::uint64_t>::max()};
inline constexpr RealRange kNonNegative{0.0};
inline constexpr RealRange kPositive{0.0, std::numeric_limits<double>::infinity(), true};

/// "0 to 100000000"; "at least 0 and less than 1".
std::string describe(const CountRange& range);
std::string describe(const RealRange& range);

/// The reason `text` is not a whole number in `range`, or "" when it is.
std::string count_error(std::string_view text, const CountRange& range);
/// The reason `text` is not a list of at most `max_items` such numbers, or "" when it is.
std::string count_list_error(std::string_view text, const CountRange& range, std::size_t max_items);
/// The reason `text` is not a finite number in `range`, or "" when it is.
std::string real_error(std::string_view text, const RealRange& range);

/// `text` as a number of the range, or xi::InputError "OPTION: <reason>" (for values inside an
/// option's text, such as the sizes of --hidden or the bounds of --box).
std::uint64_t parse_count(std::string_view text, std::string_view option, const CountRange& range);
double parse_real(std::string_view text, std::string_view option, const RealRange& range);

/// Declares `name` bound to `value`, validated when parsed (exit 2 naming the option).
CLI::Option* add_count(CLI::App& cmd, const std::string& name, std::uint64_t& value,
                       const CountRange& range, const std::string& description);
/// A comma-separated list of at most `max_items` whole numbers in `range`, kept as text.
CLI::Option* add_count_list(CLI::App& cmd, const std::string& name, std::string& value,
                            const CountRange& range, std::size_t max_items,
                            const std::string& description);
/// --seed: 0 to 2^64-1.
CLI::Option* add_seed(CLI::App& cmd, std::uint64_t& value, const std::string& description);
CLI::Option* add_real(CLI::App& cmd, const std::string& name, double& value, const RealRange& range,
                      const std::string& description);
/// A size in bytes written as a whole number with an optional binary suffix K, M, G or T
/// ("512M" = 512·2^20 bytes); at most 2^60 bytes. `parse_size` returns it, or throws
/// xi::InputError "OPTION: <reason>".
std::string size_error(std::string_view text);
std::uint64_t parse_size(std::string_view text, std::string_view option);
/// --max-memory SIZE: the cap on the bytes the recording tape may reserve (0: no cap).
inline constexpr std::string_view kDefaultMaxMemory = "4G";
CLI::Option* add_max_memory(CLI::App& cmd, std::string& value);

/// An output file option: an empty FILE is refused when parsed; check_output_files does the rest.
CLI::Option* add_output(CLI::App& cmd, const std::string& name, std::string& value,
                        const std::string& description, const std::string& type = "FILE");

/// An output file and the option that names it.
struct OutputFile {
  std::string option;  ///< "--trace"
  std::string path;    ///< empty: not written
};

/// Checks, before any work, every output a command will write (xi::optim::check_output_path:
/// directory exists and accepts files, destination absent or a regular file) and that no two
/// options name the same file (after following symbolic links and making relative paths
/// absolute). Throws xi::InputError naming the option(s).
void check_output_files(std::span<const OutputFile> files);

/// `text` for a message: at most `max_bytes` (then cut, with "… (N bytes)"), control
/// characters as '?'.
inline constexpr std::size_t kShownBytes = 60;
inline constexpr std::size_t kShownPathBytes = 4096;  // PATH_MAX: a path is shown whole
std::string shown(std::string_view text, std::size_t max_bytes = kShownBytes);

}  // namespace xi::cli
