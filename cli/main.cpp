// xigrad: reverse-mode automatic differentiation from the command line (see docs/cli.md).

#include <iostream>
#include <string>
#include <vector>

#include "app.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  const int status = xi::cli::run(std::move(args), std::cout, std::cerr);
  std::cout.flush();
  return status;
}
