#pragma once
// Evaluating a Program with the engine: every instruction becomes the engine operation it names,
// recorded on the current tape (constants fold into the node that uses them, as the engine does).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <xigrad/autodiff/var.hpp>

#include "expr/program.hpp"

namespace xi::cli {

/// The value of every instruction (index = instruction), with `variables[i]` bound to
/// program.variables[i]. The result is the last element.
std::vector<Var> evaluate_all(const Program& program, std::span<const Var> variables);

/// The value of the expression.
Var evaluate(const Program& program, std::span<const Var> variables);

/// Binds each of the program's variables to the index of its name in `names`. Throws ExprError
/// naming the first variable that is not there (at its first use).
std::vector<std::size_t> resolve(const Program& program, std::span<const std::string> names);

/// The first instruction (in evaluation order) whose value is not finite, if any: it is where a
/// NaN or infinity first appears.
std::optional<std::uint32_t> first_non_finite(const std::vector<Var>& values);

}  // namespace xi::cli
