#pragma once
// Evaluating a Program with the engine: every instruction becomes the engine operation it names,
// recorded on the current tape (constants fold into the node that uses them, as the engine does).
// Scalars record scalar nodes (the ξ chain); vectors and matrices record tensor nodes.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <xigrad/autodiff/var.hpp>

#include "expr/program.hpp"
#include "expr/value.hpp"

namespace xi::cli {

/// The value of every instruction (index = instruction), with `variables[i]` bound to
/// program.variables[i]. The shapes must have been checked with infer_shapes (a mismatch that
/// was not is a ShapeError from the engine).
std::vector<Value> evaluate_all(const Program& program, std::span<const Value> variables);

/// The value of the expression.
Value evaluate(const Program& program, std::span<const Value> variables);

/// Binds each of the program's variables to the index of its name in `names`. Throws ExprError
/// naming the first variable that is not there (at its first use).
std::vector<std::size_t> resolve(const Program& program, std::span<const std::string> names);

/// The first instruction (in evaluation order) whose value (or an element of it) is not finite,
/// if any: it is where a NaN or infinity first appears.
std::optional<std::uint32_t> first_non_finite(const std::vector<Value>& values);

}  // namespace xi::cli
