#pragma once
// The kind of a file that is not a regular file, in words, for the messages of the input-file
// and output-path policies.

#include <sys/stat.h>

#include <string_view>

namespace xi::optim::detail {

inline std::string_view file_kind(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a file";
}

}  // namespace xi::optim::detail
