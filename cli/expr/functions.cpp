#include "expr/functions.hpp"

#include <array>
#include <numbers>

namespace xi::cli {
namespace {

// Lambdas rather than &xi::exp: the engine's functions are overloaded for Var and Tensor.
const std::array<Function, 16> kFunctions = {{
    {"exp", 1, [](const Var& a) -> Var { return xi::exp(a); }, nullptr, ""},
    {"log", 1, [](const Var& a) -> Var { return xi::log(a); }, nullptr, "natural logarithm"},
    {"log1p", 1, [](const Var& a) -> Var { return xi::log1p(a); }, nullptr,
     "log(1 + a), accurate near 0"},
    {"expm1", 1, [](const Var& a) -> Var { return xi::expm1(a); }, nullptr,
     "exp(a) - 1, accurate near 0"},
    {"sqrt", 1, [](const Var& a) -> Var { return xi::sqrt(a); }, nullptr, ""},
    {"abs", 1, [](const Var& a) -> Var { return xi::abs(a); }, nullptr, "subgradient 0 at 0"},
    {"sin", 1, [](const Var& a) -> Var { return xi::sin(a); }, nullptr, ""},
    {"cos", 1, [](const Var& a) -> Var { return xi::cos(a); }, nullptr, ""},
    {"tan", 1, [](const Var& a) -> Var { return xi::tan(a); }, nullptr, ""},
    {"tanh", 1, [](const Var& a) -> Var { return xi::tanh(a); }, nullptr, ""},
    {"sigmoid", 1, [](const Var& a) -> Var { return xi::sigmoid(a); }, nullptr,
     "1/(1 + exp(-a)), stable"},
    {"softplus", 1, [](const Var& a) -> Var { return xi::softplus(a); }, nullptr,
     "log(1 + exp(a)), stable"},
    {"relu", 1, [](const Var& a) -> Var { return xi::relu(a); }, nullptr,
     "max(a, 0); subgradient 0 at 0"},
    {"pow", 2, nullptr, [](const Var& a, const Var& b) -> Var { return xi::pow(a, b); },
     "pow(a, b) = a^b"},
    {"min", 2, nullptr, [](const Var& a, const Var& b) -> Var { return xi::min(a, b); },
     "at a tie each side gets 1/2"},
    {"max", 2, nullptr, [](const Var& a, const Var& b) -> Var { return xi::max(a, b); },
     "at a tie each side gets 1/2"},
}};

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
  return "exp, log, log1p, expm1, sqrt, abs, sin, cos, tan, tanh, sigmoid, softplus, relu, pow, "
         "min, max";
}

}  // namespace xi::cli
