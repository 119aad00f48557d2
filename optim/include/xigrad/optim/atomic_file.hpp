#pragma once
// Writing files so that a reader (or a crash) never sees a half-written file.

#include <filesystem>
#include <string_view>

namespace xi::optim {

/// Replaces the file at `path` with `contents`, atomically.
///
/// The bytes go to a fresh temporary file in the same directory (named
/// `.<filename>.tmp.<pid>.<random>`), which is flushed and fsync'ed and then renamed over `path`.
/// Afterwards `path` holds either the complete new contents or, if anything failed, exactly what
/// it held before (or is still absent). On failure the temporary file is removed and `xi::Error`
/// is thrown; its message names the path and the operating-system error, e.g.
/// `cannot write "out/trace.csv": No space left on device (while writing the temporary file)`.
///
/// A new file gets the usual permissions (0666 minus the umask); an existing file keeps its
/// permission bits.
///
/// Example:
/// \code
///   xi::optim::write_file_atomically("trace.csv", "iteration,loss\n0,1\n");
/// \endcode
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace xi::optim
