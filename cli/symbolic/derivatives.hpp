#pragma once
// The derivative of an expression of the language with respect to some of its variables, as
// formulas: what `xigrad derive` prints and the lecture table's last row.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "data_input.hpp"
#include "expr/program.hpp"
#include "symbolic/expr.hpp"

namespace xi::cli::sym {

/// A program in a pool: its nodes as written (one per instruction) and its variables' shapes.
struct Symbolic {
  Program program;
  std::unique_ptr<Pool> pool;
  std::vector<Id> nodes;  // node of each instruction
  Id root() const { return nodes.back(); }
};

/// Parses `expression` with the variables of shape `shapes` (by name; a name not given is a
/// scalar, a name of `data` has the data's shape) and checks its shapes (a scalar result).
Symbolic symbolic(const std::string& expression, std::span<const std::string> names,
                  std::span<const Shape> shapes, const BoundData* data);

struct Derivative {
  std::string name;  // the variable
  Id formula = 0;
};

/// ∂/∂name for each of `wrt` (all the variables that are not data when empty). Throws
/// InputError for a name that is not a variable of the expression, or is data.
std::vector<Derivative> derivatives(Symbolic& s, std::span<const std::string> wrt,
                                    const BoundData* data);

}  // namespace xi::cli::sym
