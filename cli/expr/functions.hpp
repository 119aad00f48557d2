#pragma once
// The functions and constants of the expression language, each mapped to the engine operation
// that records it (the engine's op table says how it prints and differentiates). Element-wise
// functions have a scalar and a tensor form; reductions (sum, mean) and dot take tensors.

#include <optional>
#include <span>
#include <string_view>

#include <xigrad/autodiff/tensor.hpp>
#include <xigrad/autodiff/var.hpp>

namespace xi::cli {

/// How a function treats the shapes of its arguments.
enum class FunctionKind {
  elementwise,  // each element on its own; two arguments broadcast (a scalar against anything)
  reduction,    // one argument of any shape → a scalar (a scalar is its own sum and mean)
  inner,        // two arguments of the same vector or matrix shape → a scalar
};

struct Function {
  std::string_view name;
  int arity = 1;
  Var (*unary)(const Var&) = nullptr;               // arity 1, a scalar argument
  Var (*binary)(const Var&, const Var&) = nullptr;  // arity 2, scalar arguments
  std::string_view note;                            // kink / domain, for docs and --help
  FunctionKind kind = FunctionKind::elementwise;
  Tensor (*tensor_unary)(const Tensor&) = nullptr;                  // elementwise, arity 1
  Tensor (*tensor_binary)(const Tensor&, const Tensor&) = nullptr;  // elementwise, arity 2
  Var (*reduce)(const Tensor&) = nullptr;                           // reduction
  Var (*inner)(const Tensor&, const Tensor&) = nullptr;             // inner
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
