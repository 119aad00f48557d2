#include <xigrad/optim/input_file.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <xigrad/autodiff/error.hpp>

#include "file_kind.hpp"

namespace xi::optim {
namespace {

/// Closes the descriptor on every path out.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string read_input_file(const std::filesystem::path& path, std::string_view what,
                            const InputLimits& limits) {
  const std::string name = path.string();
  if (name.empty()) throw InputError(fmt::format("an empty path was given for the {}", what));
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat below then refuses it.
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  if (file.fd < 0) {
    throw InputError(fmt::format("{}: cannot open the {}: {}", name, what, std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) {
    throw InputError(fmt::format("{}: cannot read the {}: {}", name, what, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    throw InputError(fmt::format("{}: not a regular file ({}): refusing to read it as a {}", name,
                                 detail::file_kind(st.st_mode), what));
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > limits.max_bytes) {
    throw InputError(fmt::format("{}: the {} has {} bytes, more than the limit of {} bytes", name,
                                 what, size, limits.max_bytes));
  }
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(size));
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(file.fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw InputError(fmt::format("{}: cannot read the {}: {}", name, what, std::strerror(errno)));
    }
    if (n == 0) break;
    // The file can grow while it is read: the bound holds for what is read, not only for st_size.
    if (bytes.size() + static_cast<std::uint64_t>(n) > limits.max_bytes) {
      throw InputError(fmt::format("{}: the {} is larger than the limit of {} bytes", name, what,
                                   limits.max_bytes));
    }
    bytes.append(buffer, static_cast<std::size_t>(n));
  }
  // Lines end at LF, CRLF or CR (as the CSV reader accepts).
  std::size_t line = 1;
  std::size_t start = 0;
  while (start <= bytes.size()) {
    std::size_t end = bytes.find_first_of("\r\n", start);
    if (end == std::string::npos) end = bytes.size();
    if (end - start > limits.max_line_bytes) {
      throw InputError(fmt::format("{}:{}: line longer than the limit of {} bytes in the {}", name,
                                   line, limits.max_line_bytes, what));
    }
    if (end + 1 < bytes.size() && bytes[end] == '\r' && bytes[end + 1] == '\n') ++end;
    start = end + 1;
    ++line;
  }
  return bytes;
}

}  // namespace xi::optim
