#pragma once
// Runs the built `xigrad` binary through the shell, for the tests that check it end to end.

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace xi::test {

struct Outcome {
  int status = -1;
  std::string out;  // stdout only
  std::string err;
};

// Runs `xigrad ARGS` (ARGS as written on a command line). CTest runs test cases in parallel
// processes, so stderr goes to a file named after this process.
inline Outcome run_xigrad(const std::string& args) {
  const std::string err_file =
      ::testing::TempDir() + "xigrad_test." + std::to_string(::getpid()) + ".err";
  const std::string cmd =
      std::string("'") + XIGRAD_CLI_BINARY + "' " + args + " 2>'" + err_file + "'";
  Outcome r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (FILE* e = fopen(err_file.c_str(), "r")) {
    while ((n = fread(buf.data(), 1, buf.size(), e)) > 0) r.err.append(buf.data(), n);
    fclose(e);
  }
  std::error_code ignored;
  std::filesystem::remove(err_file, ignored);
  return r;
}

}  // namespace xi::test
