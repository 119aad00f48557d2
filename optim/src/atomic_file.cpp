#include <xigrad/optim/atomic_file.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/std.h>
#include <cerrno>
#include <cstdint>
#include <random>
#include <string>
#include <system_error>
#include <xigrad/autodiff/error.hpp>

namespace xi::optim {
namespace {

/// Closes a file descriptor and removes the temporary file unless released.
class TempFile {
 public:
  TempFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!released_) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
    }
  }

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }

  /// Closes the descriptor, reporting the error close() gives (some file systems report write
  /// errors only there).
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }
  /// The file has been renamed to its final name: nothing left to remove.
  void release() { released_ = true; }

 private:
  int fd_;
  std::filesystem::path path_;
  bool released_ = false;
};

[[noreturn]] void fail(const std::filesystem::path& path, int err, std::string_view step) {
  throw Error(fmt::format("cannot write {}: {} ({})", path,
                          std::error_code(err, std::system_category()).message(), step));
}

/// Creates a new, uniquely named temporary file next to `path`. Uses O_EXCL and retries on a
/// name clash, so two writers (threads or processes) never share a temporary file.
TempFile create_temp(const std::filesystem::path& path) {
  const std::filesystem::path dir = path.parent_path();
  const std::string base = path.filename().string();
  std::random_device entropy;
  std::mt19937_64 rng((static_cast<std::uint64_t>(entropy()) << 32) ^ entropy());
  int err = 0;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::filesystem::path tmp =
        dir / fmt::format(".{}.tmp.{}.{:016x}", base, static_cast<long>(::getpid()), rng());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return TempFile(fd, std::move(tmp));
    err = errno;
    if (err != EEXIST && err != EINTR) break;
  }
  fail(path, err, "while creating a temporary file in the same directory");
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  if (path.empty()) throw Error("cannot write a file with an empty path");
  if (!path.has_filename()) fail(path, EISDIR, "the path names a directory");

  TempFile tmp = create_temp(path);

  // An existing file keeps its permission bits.
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)) {
    if (::fchmod(tmp.fd(), existing.st_mode & 07777) != 0) {
      fail(path, errno, "while copying the permissions of the existing file");
    }
  }

  const char* data = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    const ssize_t n = ::write(tmp.fd(), data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, errno, "while writing the temporary file");
    }
    if (n == 0) fail(path, EIO, "while writing the temporary file");
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(tmp.fd()) != 0) fail(path, errno, "while flushing the temporary file to disk");
  if (tmp.close() != 0) fail(path, errno, "while closing the temporary file");
  if (::rename(tmp.path().c_str(), path.c_str()) != 0) {
    fail(path, errno, "while renaming the temporary file over it");
  }
  tmp.release();

  // Make the rename itself durable. Best effort: the new file is complete and in place already.
  const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace xi::optim
