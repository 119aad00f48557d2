// The output-path policy: where a write lands (through symbolic links) and whether it can.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/optim/atomic_file.hpp>

#include "file_kind.hpp"

namespace xi::optim {
namespace {

constexpr int kMaxLinks = 40;  // as the kernel's ELOOP limit

std::string shown(const std::filesystem::path& p) {
  return p.empty() ? std::string(".") : p.string();
}

// " (the symbolic link leads to T)" when `path` was resolved to another file.
std::string via(const std::filesystem::path& path, const std::filesystem::path& target) {
  return path == target ? std::string()
                        : fmt::format(" (the symbolic link leads to {})", target.string());
}

}  // namespace

std::filesystem::path resolve_output_path(const std::filesystem::path& path) {
  std::filesystem::path p = path;
  for (int links = 0; links <= kMaxLinks; ++links) {
    struct stat st {};
    if (p.empty() || ::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    std::error_code ec;
    const std::filesystem::path target = std::filesystem::read_symlink(p, ec);
    if (ec) {
      throw InputError(fmt::format("{}: cannot read the symbolic link {}: {}", path.string(),
                                   p.string(), ec.message()));
    }
    p = target.is_absolute() ? target : p.parent_path() / target;
  }
  throw InputError(
      fmt::format("{}: more than {} symbolic links (a loop?)", path.string(), kMaxLinks));
}

std::filesystem::path check_output_path(const std::filesystem::path& path) {
  const std::string name = path.string();
  if (name.empty()) throw InputError("an empty path was given for an output file");
  const std::filesystem::path target = resolve_output_path(path);
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      throw InputError(
          fmt::format("{}: is a directory{}; give a file name", name, via(path, target)));
    }
    if (!S_ISREG(st.st_mode)) {
      throw InputError(
          fmt::format("{}: not a regular file ({}){}: refusing to replace it with an output file",
                      name, detail::file_kind(st.st_mode), via(path, target)));
    }
  }
  if (!target.has_filename()) {
    throw InputError(fmt::format("{}: names a directory; give a file name", name));
  }
  const std::filesystem::path dir = target.parent_path();
  const std::filesystem::path probe = dir.empty() ? "." : dir;
  if (::stat(probe.c_str(), &st) != 0) {
    throw InputError(fmt::format("{}: the directory {} {}", name, shown(dir),
                                 errno == ENOENT
                                     ? std::string("does not exist")
                                     : fmt::format("cannot be read: {}", std::strerror(errno))));
  }
  if (!S_ISDIR(st.st_mode)) {
    throw InputError(fmt::format("{}: {} is not a directory", name, shown(dir)));
  }
  // The surest test of "can a file be created here" is to create one; an unnamed one (O_TMPFILE)
  // leaves nothing behind. Where the file system has no O_TMPFILE, ask access().
  int err = 0;
#ifdef O_TMPFILE
  const int fd = ::open(probe.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return target;
  }
  err = errno;
  if (err != EOPNOTSUPP && err != EISDIR && err != EINVAL) {
    throw InputError(fmt::format("{}: cannot create files in the directory {}: {}", name,
                                 shown(dir), std::strerror(err)));
  }
#endif
  if (::access(probe.c_str(), W_OK | X_OK) != 0) {
    err = errno;
    throw InputError(fmt::format("{}: cannot create files in the directory {}: {}", name,
                                 shown(dir), std::strerror(err)));
  }
  return target;
}

}  // namespace xi::optim
