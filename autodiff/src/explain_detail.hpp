#pragma once
// Internals shared by explain.cpp and explain_tensor.cpp: number and formula printing, and the
// local partials of tensor nodes as the lecture writes them.

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <xigrad/autodiff/explain.hpp>
#include <xigrad/autodiff/op_table.hpp>
#include <xigrad/autodiff/tensor_op.hpp>

namespace xi::detail {

/// Six significant digits; NaN prints as "nan" whatever its sign bit, -0 as 0.
std::string explain_num(double v);

/// Replaces the placeholders of an op-table formula (a, b: inputs; c, d: folded constants) by
/// `names`, as whole identifiers only.
std::string substitute(std::string_view formula, const std::array<std::string, 4>& names);

/// The op-table entry of a built-in element-wise tensor op, or null: the same name, arity and
/// definition (so that "a - c" and "c - a", both named "sub", are told apart).
const OpInfo* elementwise_info(const TensorNode& t);

/// ∂(t)/∂(input i) as the ξ table shows it. `names` are the inputs' printed names, `self` the
/// node's ("ξ3").
PartialRow tensor_partial(const TensorNode& t, Index i, std::span<const std::string> names,
                          const std::string& self);

/// What input i receives from t in the reverse sweep when t's adjoint is `ybar` (the other
/// inputs cut off): ȳ · ∂t/∂(input i), of input i's shape.
std::vector<double> tensor_contribution(const TensorNode& t, Index i, const double* ybar);

}  // namespace xi::detail
