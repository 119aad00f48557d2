#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/std.h>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <system_error>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/optim/atomic_file.hpp>

#include "file_kind.hpp"

namespace xi::optim {
namespace {

/// A named temporary file of a writer that died is removed by a later write once it is this old
/// (a live writer on another host of a network file system keeps its file's time fresh).
constexpr auto kStaleTempAge = std::chrono::minutes(10);

/// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  /// Closes the descriptor, reporting the error close() gives (some file systems report write
  /// errors only there).
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

/// Removes a named temporary file unless released (renamed to its final name).
class TempName {
 public:
  explicit TempName(std::filesystem::path path) : path_(std::move(path)) {}
  TempName(const TempName&) = delete;
  TempName& operator=(const TempName&) = delete;
  ~TempName() {
    if (!released_) ::unlink(path_.c_str());
  }
  const std::filesystem::path& path() const { return path_; }
  void release() { released_ = true; }

 private:
  std::filesystem::path path_;
  bool released_ = false;
};

[[noreturn]] void fail(const std::filesystem::path& path, int err, std::string_view step) {
  throw Error(fmt::format("cannot write {}: {} ({})", path,
                          std::error_code(err, std::system_category()).message(), step));
}

std::string temp_prefix(const std::filesystem::path& target) {
  return fmt::format(".{}.tmp.", target.filename().string());
}

/// `.<filename>.tmp.<pid>.<16 hex digits>` in the target's directory.
class TempNames {
 public:
  explicit TempNames(const std::filesystem::path& target)
      : dir_(target.parent_path()), prefix_(temp_prefix(target)) {
    std::random_device entropy;
    rng_.seed((static_cast<std::uint64_t>(entropy()) << 32) ^ entropy());
  }
  std::filesystem::path next() {
    return dir_ / fmt::format("{}{}.{:016x}", prefix_, static_cast<long>(::getpid()), rng_());
  }

 private:
  std::filesystem::path dir_;
  std::string prefix_;
  std::mt19937_64 rng_;
};

/// Removes the named temporary files that writers of `target` left when they were killed: those
/// whose process no longer exists and that have not changed for kStaleTempAge. Best effort.
void remove_stale_temps(const std::filesystem::path& target) {
  const std::filesystem::path dir = target.parent_path().empty() ? "." : target.parent_path();
  const std::string prefix = temp_prefix(target);
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return;
  const auto now = std::filesystem::file_time_type::clock::now();
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string_view rest = std::string_view(name).substr(prefix.size());
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos || rest.size() - dot - 1 != 16) continue;
    long pid = 0;
    const auto [end, err] = std::from_chars(rest.data(), rest.data() + dot, pid);
    if (err != std::errc() || end != rest.data() + dot || pid <= 0) continue;
    if (rest.substr(dot + 1).find_first_not_of("0123456789abcdef") != std::string_view::npos) {
      continue;
    }
    if (pid == static_cast<long>(::getpid())) continue;                       // ours: a live thread
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive
    const auto written = std::filesystem::last_write_time(entry.path(), ec);
    if (ec || now - written < kStaleTempAge) continue;
    std::filesystem::remove(entry.path(), ec);
  }
}

void write_all(int fd, std::string_view contents, const std::filesystem::path& path) {
  const char* data = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, errno, "while writing the temporary file");
    }
    if (n == 0) fail(path, EIO, "while writing the temporary file");
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

/// Writes the data, with the permission bits of the file it replaces, and flushes them to disk.
void fill(Fd& fd, std::string_view contents, const std::filesystem::path& path,
          const std::filesystem::path& target) {
  struct stat existing {};
  if (::stat(target.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)) {
    if (::fchmod(fd.get(), existing.st_mode & 07777) != 0) {
      fail(path, errno, "while copying the permissions of the existing file");
    }
  }
  write_all(fd.get(), contents, path);
  if (::fsync(fd.get()) != 0) fail(path, errno, "while flushing the temporary file to disk");
}

void rename_into_place(TempName& tmp, const std::filesystem::path& path,
                       const std::filesystem::path& target) {
  if (::rename(tmp.path().c_str(), target.c_str()) != 0) {
    fail(path, errno, "while renaming the temporary file over it");
  }
  tmp.release();
}

/// The named method: a new file created with O_EXCL (two writers never share one), written,
/// then renamed.
void write_named(const std::filesystem::path& path, const std::filesystem::path& target,
                 std::string_view contents) {
  TempNames names(target);
  for (int attempt = 0;; ++attempt) {
    std::filesystem::path name = names.next();
    Fd fd(::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (fd.get() < 0) {
      const int err = errno;
      if ((err == EEXIST || err == EINTR) && attempt < 100) continue;
      fail(path, err, "while creating a temporary file in the same directory");
    }
    TempName tmp(std::move(name));
    fill(fd, contents, path, target);
    if (fd.close() != 0) fail(path, errno, "while closing the temporary file");
    rename_into_place(tmp, path, target);
    return;
  }
}

/// The unnamed method: the data go to an O_TMPFILE file, which gets a (temporary) name only when
/// complete and is then renamed over the target. Returns false, having written nothing, where the
/// file system does not support it.
bool write_unnamed(const std::filesystem::path& path, const std::filesystem::path& target,
                   std::string_view contents) {
#ifdef O_TMPFILE
  const std::filesystem::path dir = target.parent_path().empty() ? "." : target.parent_path();
  Fd fd(::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == EOPNOTSUPP || err == EISDIR || err == EINVAL) return false;
    fail(path, err, "while creating a temporary file in the same directory");
  }
  fill(fd, contents, path, target);
  // linkat through /proc needs no privilege; AT_EMPTY_PATH works without /proc but needs
  // CAP_DAC_READ_SEARCH.
  const std::string proc = fmt::format("/proc/self/fd/{}", fd.get());
  TempNames names(target);
  for (int attempt = 0;; ++attempt) {
    std::filesystem::path name = names.next();
    int rc = ::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW);
    if (rc != 0 && errno == ENOENT)
      rc = ::linkat(fd.get(), "", AT_FDCWD, name.c_str(), AT_EMPTY_PATH);
    if (rc != 0) {
      const int err = errno;
      if ((err == EEXIST || err == EINTR) && attempt < 100) continue;
      if (err == ENOENT || err == EPERM || err == EOPNOTSUPP) return false;
      fail(path, err, "while giving the temporary file a name");
    }
    TempName tmp(std::move(name));
    if (fd.close() != 0) fail(path, errno, "while closing the temporary file");
    rename_into_place(tmp, path, target);
    return true;
  }
#else
  (void)path;
  (void)target;
  (void)contents;
  return false;
#endif
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view contents,
                           TempFileMethod method) {
  if (path.empty()) throw InputError("cannot write a file with an empty path");
  const std::filesystem::path target = resolve_output_path(path);
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) {
      throw InputError(fmt::format("{}: is a directory; give a file name", path.string()));
    }
    throw InputError(fmt::format(
        "{}: not a regular file ({}): refusing to replace it with an output file{}", path.string(),
        detail::file_kind(st.st_mode),
        path == target ? "" : fmt::format(" (the symbolic link leads to {})", target.string())));
  }
  if (!target.has_filename()) fail(path, EISDIR, "the path names a directory");

  remove_stale_temps(target);
  if (method == TempFileMethod::named || !write_unnamed(path, target, contents)) {
    write_named(path, target, contents);
  }

  // Make the rename itself durable. Best effort: the new file is complete and in place already.
  const std::filesystem::path dir = target.parent_path().empty() ? "." : target.parent_path();
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace xi::optim
