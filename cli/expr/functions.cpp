#include "expr/functions.hpp"

#include <array>
#include <numbers>
#include <vector>

namespace xi::cli {
namespace {

// Lambdas rather than &xi::exp: the engine's functions are overloaded for Var and Tensor.
#define XIGRAD_UNARY(fn, note)                                                               \
  Function {                                                                                 \
#fn, 1, [](const Var& a) -> Var { return xi::fn(a); }, nullptr, note,                    \
                                                        FunctionKind::elementwise,           \
                                                        [](const Tensor& a)                  \
                                                             -> Tensor { return xi::fn(a); } \
  }
#define XIGRAD_BINARY(fn, note)                                                                   \
  Function {                                                                                      \
#fn, 2, nullptr,                                                                              \
        [](const Var& a, const Var& b)                                                            \
             -> Var { return xi::fn(a, b); }, note, FunctionKind::elementwise, nullptr,           \
                                           [](const Tensor& a,                                    \
                                              const Tensor& b) -> Tensor { return xi::fn(a, b); } \
  }
#define XIGRAD_REDUCTION(fn, note)                                                               \
  Function {                                                                                     \
#fn, 1, [](const Var& a) -> Var { return a; }, nullptr, note, FunctionKind::reduction,       \
                                                nullptr, nullptr,                                \
                                                [](const Tensor& a) -> Var { return xi::fn(a); } \
  }

// sign(a): -1, 0 or 1, a constant (its derivative is 0, taken as 0 at 0 too). `derive` writes
// the subgradients of abs, relu, min and max with it.
double sign_of(double a) {
  return a > 0 ? 1.0 : (a < 0 ? -1.0 : a);  // 0 stays 0, NaN stays NaN
}
Var sign_var(const Var& a) {
  return Var(sign_of(a.value()));
}
Tensor sign_tensor(const Tensor& a) {
  std::vector<double> s(a.data(), a.data() + a.shape().size());
  for (double& v : s) v = sign_of(v);
  return constant(s.data(), a.shape());
}

const std::array<Function, 20> kFunctions = {{
    XIGRAD_UNARY(exp, ""),
    XIGRAD_UNARY(log, "natural logarithm"),
    XIGRAD_UNARY(log1p, "log(1 + a), accurate near 0"),
    XIGRAD_UNARY(expm1, "exp(a) - 1, accurate near 0"),
    XIGRAD_UNARY(sqrt, ""),
    XIGRAD_UNARY(abs, "subgradient 0 at 0"),
    XIGRAD_UNARY(sin, ""),
    XIGRAD_UNARY(cos, ""),
    XIGRAD_UNARY(tan, ""),
    XIGRAD_UNARY(tanh, ""),
    XIGRAD_UNARY(sigmoid, "1/(1 + exp(-a)), stable"),
    XIGRAD_UNARY(softplus, "log(1 + exp(a)), stable"),
    XIGRAD_UNARY(relu, "max(a, 0); subgradient 0 at 0"),
    Function{"sign", 1, sign_var, nullptr, "-1, 0 or 1; a constant (derivative 0)",
             FunctionKind::elementwise, sign_tensor},
    XIGRAD_BINARY(pow, "pow(a, b) = a^b"),
    XIGRAD_BINARY(min, "at a tie each side gets 1/2"),
    XIGRAD_BINARY(max, "at a tie each side gets 1/2"),
    XIGRAD_REDUCTION(sum, "sum of the elements of a vector or matrix"),
    XIGRAD_REDUCTION(mean, "mean of the elements of a vector or matrix"),
    Function{"dot", 2, nullptr, nullptr, "Σ aᵢbᵢ of two vectors (or matrices) of the same shape",
             FunctionKind::inner, nullptr, nullptr, nullptr,
             [](const Tensor& a, const Tensor& b) -> Var { return xi::dot(a, b); }},
}};
#undef XIGRAD_UNARY
#undef XIGRAD_BINARY
#undef XIGRAD_REDUCTION

const std::array<Constant, 2> kConstants = {{
    {"pi", std::numbers::pi},
    {"e", std::numbers::e},
}};

}  // namespace

std::span<const Function> functions() {
  return kFunctions;
}
std::span<const Constant> constants() {
  return kConstants;
}

const Function* find_function(std::string_view name) {
  for (const Function& f : functions()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const Constant* find_constant(std::string_view name) {
  for (const Constant& c : constants()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string_view function_names() {
  return "exp, log, log1p, expm1, sqrt, abs, sin, cos, tan, tanh, sigmoid, softplus, relu, sign, "
         "pow, "
         "min, max, sum, mean, dot";
}

}  // namespace xi::cli
