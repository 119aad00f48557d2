#pragma once
// `xigrad check EXPR --at ... --nodes FILE`: reads the student's ξ table (node_table.hpp),
// checks it row by row (node_check.hpp) and prints the rows, the chain and the first wrong row:
// as text, JSON, or the same tables (xi::Table) as Markdown, LaTeX or a self-contained HTML page.

#include <string>

#include <xigrad/autodiff/check.hpp>

#include "command.hpp"
#include "expression_input.hpp"
#include "output_format.hpp"

namespace xi::cli {

/// Prints the report in `format`: text, JSON, or its tables as Markdown, LaTeX or an HTML page.
/// Returns kExitOk when every row and the chain agree, kExitDisagree otherwise.
int run_node_check(const ExpressionArgs& args, const std::string& file, const CheckOptions& options,
                   OutputFormat format, const Io& io);

}  // namespace xi::cli
