#pragma once
// Reading a user's input file under one policy: only regular files (a FIFO, a device such as
// /dev/zero or a directory is refused at once, before a byte is read), at most a bounded size,
// and a clear xi::InputError that names the file and says what is wrong.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace xi::optim {

/// Bounds on an input file. The defaults fit every file xigrad reads (CSV data sets of millions
/// of rows, traces, checkpoints) and stop a mistaken input before it exhausts memory.
struct InputLimits {
  std::uint64_t max_bytes = std::uint64_t{4} << 30;       ///< 4 GiB
  std::uint64_t max_line_bytes = std::uint64_t{1} << 20;  ///< 1 MiB per line
};

/// Reads the whole file at `path`; `what` names its kind in messages ("CSV file", "checkpoint").
///
/// Symbolic links are followed. Throws xi::InputError when the path does not exist, is not a
/// regular file (directory, FIFO, socket, device), is larger than `limits.max_bytes`, has a line
/// longer than `limits.max_line_bytes`, or cannot be read. Messages start with the path, e.g.
/// `/dev/zero: not a regular file (a character device): refusing to read it as a CSV file`.
std::string read_input_file(const std::filesystem::path& path, std::string_view what,
                            const InputLimits& limits = {});

}  // namespace xi::optim
