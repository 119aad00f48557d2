#pragma once
// `xigrad check EXPR --at ... --nodes FILE`: reads the student's ξ table (node_table.hpp),
// checks it row by row (node_check.hpp) and prints the rows, the chain and the first wrong row,
// as text or with --json.

#include <string>

#include <xigrad/autodiff/check.hpp>

#include "command.hpp"
#include "expression_input.hpp"

namespace xi::cli {

/// Returns kExitOk when every row and the chain agree, kExitDisagree otherwise.
int run_node_check(const ExpressionArgs& args, const std::string& file, const CheckOptions& options,
                   const Io& io);

}  // namespace xi::cli
