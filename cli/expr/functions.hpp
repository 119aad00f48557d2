#pragma once
// The functions and constants of the expression language, each mapped to the engine operation
// that records it (the engine's op table says how it prints and differentiates).

#include <optional>
#include <span>
#include <string_view>

#include <xigrad/autodiff/var.hpp>

namespace xi::cli {

struct Function {
  std::string_view name;
  int arity = 1;
  Var (*unary)(const Var&) = nullptr;               // arity 1
  Var (*binary)(const Var&, const Var&) = nullptr;  // arity 2
  std::string_view note;                            // kink / domain, for docs and --help
};

struct Constant {
  std::string_view name;
  double value = 0;
};

/// Every function, in the order the design lists them.
std::span<const Function> functions();
/// pi and e.
std::span<const Constant> constants();

const Function* find_function(std::string_view name);
const Constant* find_constant(std::string_view name);

/// "exp, log, ..., max" for messages.
std::string_view function_names();

}  // namespace xi::cli
