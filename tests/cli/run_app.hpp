#pragma once
// Runs the xigrad command in-process (the same entry point as the binary) and captures its output.

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "app.hpp"

namespace xi::cli::test {

struct Result {
  int status = -1;
  std::string out, err;
};

inline Result run_app(std::vector<std::string> args) {
  std::ostringstream out, err;
  Result r;
  r.status = run(std::move(args), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace xi::cli::test
