#include "options.hpp"

#include <xigrad/autodiff/printable.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/optim/atomic_file.hpp>

#include "expression_input.hpp"

namespace xi::cli {
namespace {

std::string number_text(double v) {
  return fmt::format("{}", v);
}

bool in_range(double v, const RealRange& r) {
  const bool above = r.lo_open ? v > r.lo : v >= r.lo;
  const bool below = r.hi_open ? v < r.hi : v <= r.hi;
  return above && below;
}

// A validator that strips the mark app.cpp puts on values starting with '-' and then checks.
template <class Check>
CLI::Validator validator(Check check, std::string description) {
  return CLI::Validator(
      [check](std::string& text) {
        text = unprotect(text);
        return check(text);
      },
      std::move(description));
}

}  // namespace

std::string shown(std::string_view text, std::size_t max_bytes) {
  std::size_t end = text.size();
  if (end > max_bytes) {
    end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  }
  std::string out = xi::printable(text.substr(0, end));
  if (end < text.size()) out += fmt::format("… ({} bytes)", text.size());
  return out;
}

std::string describe(const CountRange& range) {
  return fmt::format("{} to {}", range.lo, range.hi);
}

std::string describe(const RealRange& r) {
  const bool has_lo = std::isfinite(r.lo);
  const bool has_hi = std::isfinite(r.hi);
  if (has_lo && has_hi && !r.lo_open && !r.hi_open) {
    return fmt::format("from {} to {}", number_text(r.lo), number_text(r.hi));
  }
  std::string lo =
      has_lo ? fmt::format("{} {}", r.lo_open ? "greater than" : "at least", number_text(r.lo))
             : "";
  std::string hi =
      has_hi ? fmt::format("{} {}", r.hi_open ? "less than" : "at most", number_text(r.hi)) : "";
  if (has_lo && has_hi) return lo + " and " + hi;
  if (has_lo) return lo;
  if (has_hi) return hi;
  return "a finite number";
}

std::string count_error(std::string_view text, const CountRange& range) {
  std::string_view digits = text;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (negative || (!digits.empty() && digits.front() == '+')) digits.remove_prefix(1);
  const bool whole = !digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos;
  if (!whole) {
    return fmt::format("'{}' is not a whole number (the range is {})", shown(text),
                       describe(range));
  }
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  const bool zero = ec == std::errc() && v == 0;
  if ((negative && !zero) || ec != std::errc() || v < range.lo || v > range.hi) {
    return fmt::format("{} is not in the range {}", shown(text), describe(range));
  }
  return "";
}

std::string real_error(std::string_view text, const RealRange& range) {
  std::string_view t = text;
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  const std::string must = fmt::format("(it must be {})", describe(range));
  if (t.empty() || end != t.data() + t.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return fmt::format("'{}' is not a number {}", shown(text), must);
  }
  if (ec == std::errc::result_out_of_range) {
    const bool overflow = !std::isfinite(std::strtod(std::string(t).c_str(), nullptr));
    return fmt::format("{} is {} for a double {}", shown(text),
                       overflow ? "too large" : "too close to 0", must);
  }
  if (!std::isfinite(v)) return fmt::format("{} is not a finite number {}", shown(text), must);
  if (!in_range(v, range)) return fmt::format("{} is out of range {}", shown(text), must);
  return "";
}

std::uint64_t parse_count(std::string_view text, std::string_view option, const CountRange& range) {
  const std::string error = count_error(text, range);
  if (!error.empty()) throw InputError(fmt::format("{}: {}", option, error));
  std::string_view digits = text;
  if (digits.front() == '+' || digits.front() == '-') digits.remove_prefix(1);
  std::uint64_t v = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), v);
  return v;
}

double parse_real(std::string_view text, std::string_view option, const RealRange& range) {
  const std::string error = real_error(text, range);
  if (!error.empty()) throw InputError(fmt::format("{}: {}", option, error));
  if (text.front() == '+') text.remove_prefix(1);
  double v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

CLI::Option* add_count(CLI::App& cmd, const std::string& name, std::uint64_t& value,
                       const CountRange& range, const std::string& description) {
  return cmd.add_option(name, value, description)
      ->type_name("N")
      ->check(validator([range](const std::string& t) { return count_error(t, range); },
                        describe(range)));
}

namespace {

// "512M" → {"512", 20}: the digits and the binary shift of the suffix K, M, G or T.
std::pair<std::string_view, unsigned> split_size(std::string_view text) {
  constexpr std::string_view kSuffixes = "KMGT";
  const auto at = text.empty() ? std::string_view::npos
                               : kSuffixes.find(static_cast<char>(std::toupper(text.back())));
  if (at == std::string_view::npos) return {text, 0};
  return {text.substr(0, text.size() - 1), 10 * static_cast<unsigned>(at + 1)};
}

CountRange size_range(unsigned shift) {
  return {0, (std::uint64_t{1} << 60) >> shift};
}

}  // namespace

std::string size_error(std::string_view text) {
  const auto [digits, shift] = split_size(text);
  if (count_error(digits, size_range(shift)).empty()) return "";
  return fmt::format(
      "'{}' is not a size of at most 2^60 bytes (a whole number with an optional "
      "K, M, G or T, e.g. 512M; 0 for no limit)",
      shown(text));
}

std::uint64_t parse_size(std::string_view text, std::string_view option) {
  const std::string error = size_error(text);
  if (!error.empty()) throw InputError(fmt::format("{}: {}", option, error));
  const auto [digits, shift] = split_size(text);
  return parse_count(digits, option, size_range(shift)) << shift;
}

CLI::Option* add_max_memory(CLI::App& cmd, std::string& value) {
  value = std::string(kDefaultMaxMemory);
  return cmd
      .add_option("--max-memory", value,
                  "cap on the memory the recording may take, e.g. 512M, 4G (0: no cap); past "
                  "it the command stops with exit 2")
      ->type_name("SIZE")
      ->capture_default_str()
      ->check(validator([](const std::string& t) { return size_error(t); },
                        "bytes, or with K, M, G, T"));
}

std::string count_list_error(std::string_view text, const CountRange& range,
                             std::size_t max_items) {
  std::size_t items = 0;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (++items > max_items) {
      return fmt::format("'{}' has more than {} items", shown(text), max_items);
    }
    const std::string error = count_error(text.substr(start, comma - start), range);
    if (!error.empty()) return error;
    if (comma == text.size()) return "";
    start = comma + 1;
  }
}

CLI::Option* add_count_list(CLI::App& cmd, const std::string& name, std::string& value,
                            const CountRange& range, std::size_t max_items,
                            const std::string& description) {
  return cmd.add_option(name, value, description)
      ->type_name("N,N,...")
      ->check(validator([range, max_items](
                            const std::string& t) { return count_list_error(t, range, max_items); },
                        ""));
}

CLI::Option* add_seed(CLI::App& cmd, std::uint64_t& value, const std::string& description) {
  return add_count(cmd, "--seed", value, kSeedRange, description)->capture_default_str();
}

CLI::Option* add_real(CLI::App& cmd, const std::string& name, double& value, const RealRange& range,
                      const std::string& description) {
  return cmd.add_option(name, value, description)
      ->type_name("X")
      ->check(validator([range](const std::string& t) { return real_error(t, range); },
                        describe(range)));
}

CLI::Option* add_output(CLI::App& cmd, const std::string& name, std::string& value,
                        const std::string& description, const std::string& type) {
  const std::string refusal =
      fmt::format("the file name is empty (give a {}, or leave {} out)", type, name);
  return cmd.add_option(name, value, description)
      ->type_name(type)
      ->check(validator([refusal](const std::string& t) { return t.empty() ? refusal : ""; }, ""));
}

void check_output_files(std::span<const OutputFile> files) {
  struct Checked {
    const OutputFile* file;
    std::filesystem::path identity;
  };
  std::vector<Checked> checked;
  for (const OutputFile& f : files) {
    if (f.path.empty()) continue;
    std::filesystem::path target;
    try {
      target = optim::check_output_path(f.path);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", f.option, e.what()));
    }
    // The directory exists (checked above), so its canonical form is the file's identity.
    std::error_code ec;
    const std::filesystem::path dir =
        std::filesystem::canonical(target.parent_path().empty() ? "." : target.parent_path(), ec);
    const std::filesystem::path identity = (ec ? target.parent_path() : dir) / target.filename();
    for (const Checked& other : checked) {
      if (other.identity == identity) {
        throw InputError(fmt::format(
            "{} and {} name the same file ({}{}): give each output its own file",
            other.file->option, f.option, shown(other.file->path, kShownPathBytes),
            other.file->path == f.path ? ""
                                       : fmt::format(" and {}", shown(f.path, kShownPathBytes))));
      }
    }
    checked.push_back({&f, identity});
  }
}

}  // namespace xi::cli
