#pragma once
// Writing files so that a reader (or a crash) never sees a half-written file, under one
// output-path policy for every writer (traces, plots, checkpoints): symbolic links are written
// through to their target, and a destination that is not a regular file (a device such as
// /dev/null, a FIFO, a socket, a directory) is refused, never replaced.

#include <filesystem>
#include <string_view>

namespace xi::optim {

/// How write_file_atomically makes its temporary file.
enum class TempFileMethod {
  /// An unnamed file (Linux O_TMPFILE) that gets a name only once it is complete, so a process
  /// killed during the write leaves nothing behind; named temporary files where the file system
  /// does not support O_TMPFILE.
  automatic,
  /// Always a named temporary file (`.<filename>.tmp.<pid>.<random>`) written in place. What
  /// `automatic` falls back to; selectable so that the fallback can be tested.
  named,
};

/// Replaces the file at `path` with `contents`, atomically.
///
/// `path` is first resolved through symbolic links (resolve_output_path): a link is kept and its
/// target is written. The bytes go to a fresh temporary file in the target's directory, which is
/// flushed and fsync'ed and then renamed over the target. Afterwards the target holds either the
/// complete new contents or, if anything failed, exactly what it held before (or is still
/// absent).
///
/// Throws xi::InputError, before anything is written, when `path` is empty or its target exists
/// and is not a regular file (a directory, FIFO, socket or device): e.g.
/// `/dev/null: not a regular file (a character device): refusing to replace it with an output
/// file`. On a failure of the operating system the temporary file is removed and xi::Error is
/// thrown; its message names the path and the error, e.g.
/// `cannot write "out/trace.csv": No space left on device (while writing the temporary file)`.
///
/// A process killed during the write leaves no file behind where O_TMPFILE is supported (ext4,
/// xfs, btrfs, tmpfs). Elsewhere a killed writer leaves its named temporary file; the next write
/// to the same destination removes such files when their process is gone and they are older
/// than ten minutes.
///
/// A new file gets the usual permissions (0666 minus the umask); an existing file keeps its
/// permission bits.
///
/// Example:
/// \code
///   xi::optim::write_file_atomically("trace.csv", "iteration,loss\n0,1\n");
/// \endcode
void write_file_atomically(const std::filesystem::path& path, std::string_view contents,
                           TempFileMethod method = TempFileMethod::automatic);

/// The file a write to `path` lands in: symbolic links are followed to their final target
/// (relative targets from the link's directory), also a dangling link, whose target is then
/// created. Any other path is returned as given. Throws xi::InputError after 40 links (a loop).
std::filesystem::path resolve_output_path(const std::filesystem::path& path);

/// Checks, before any work is done, that write_file_atomically(path, ...) can succeed: `path` is
/// not empty, its target (after resolve_output_path) is absent or a regular file, and its
/// directory exists and accepts new files (probed by creating an unnamed file there, which
/// leaves nothing behind). Returns the resolved target. Throws xi::InputError whose message
/// starts with `path`, e.g. `/no/such/dir/x.ckpt: the directory /no/such/dir does not exist`.
std::filesystem::path check_output_path(const std::filesystem::path& path);

}  // namespace xi::optim
