#pragma once
// The expression recorded for `explain` as the lecture writes its ξ table. The --at variables are
// the leaves. Every constant subexpression that uses a --const name or a data column (X, y,
// 1-y, ...) is one named constant, printed by name rather than by value; a negation of a product
// with such a constant factor is folded into the product, as the engine folds `1 + ξ3` into one
// node: -dot(W,X) records ξ1 = W·(-X) and -y*log(p) records -y·ξ5. Without --const names and
// data the recording is exactly Problem::record()'s.

#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

#include <xigrad/autodiff/explain.hpp>

#include "expression_input.hpp"

namespace xi::cli {

struct ExplainRecording {
  Recording recording;
  std::vector<ConstantName> names;          // constant tensors, by name, for explain / to_dot
  std::deque<std::vector<double>> storage;  // values of the constants made here (stable addresses)
};

/// How explain records the program of `problem`, per instruction: `constant` (uses no --at
/// variable), `named` (constant and uses a --const name or a data column: one named constant),
/// `feeds` (read by an instruction that is recorded), `absorbed` (a product whose negation is
/// folded into it: the product and the negation are one node, the product's).
struct ExplainFolding {
  std::vector<char> constant, named, feeds, absorbed;
};
ExplainFolding explain_folding(const Problem& problem);

/// Records `problem` on the current tape for explain. With `row`, each data column is bound to
/// its value in that data row (0-based; a --matrix to that row's vector): one example of a loss
/// written over the data. Throws InputError for a row without --data or out of range.
ExplainRecording record_for_explain(const Problem& problem, std::optional<std::size_t> row);

}  // namespace xi::cli
