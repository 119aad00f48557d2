#pragma once
// Run-time view of the element-wise op definitions in scalar_ops.hpp, indexed by op code, for
// the parts of the engine that walk a recorded tape (explain, the Hessian sweep, node checks).
// Every entry is generated from the op's block; nothing here is written a second time.

#include <array>
#include <cstdint>
#include <string_view>

#include <xigrad/autodiff/scalar_ops.hpp>

namespace xi {

struct OpInfo {
  Op code = Op::leaf;
  std::string_view name;                    // "exp"
  std::string_view def;                     // "exp(a)"
  std::array<std::string_view, 2> partial;  // local partial formulas per recorded operand
  std::string_view kink;                    // the subgradient taken at a kink, or empty
  std::uint8_t arity = 0;                   // recorded operands
  std::uint8_t n_consts = 0;                // folded constants
  /// Value from inputs and constants.
  double (*value)(const double* in, const double* c) = nullptr;
  /// First partials, one per recorded operand.
  void (*partials)(const double* in, double y, const double* c, double* out) = nullptr;
  /// Second partials: unary {∂²y/∂a²}; binary {∂²/∂a², ∂²/∂a∂b, ∂²/∂b²}.
  void (*second)(const double* in, double y, const double* c, double* out) = nullptr;
  /// True when the inputs sit on a kink (abs at 0, max at a tie, ...); null if the op has none.
  bool (*at_kink)(const double* in, const double* c) = nullptr;
};

/// The entry of an op code; throws xi::MissingRuleError for an op with no element-wise rule.
const OpInfo& op_info(Op code);

/// Number of stored operands of a scalar node with this op code (hot path of backward); a
/// statement node's code says how many it has (a chain statement's implied operand is not
/// counted).
inline constexpr std::array<std::uint8_t, 256> kArity = [] {
  std::array<std::uint8_t, 256> a{};
  for (std::size_t i = 0; i < static_cast<std::size_t>(Op::count); ++i) a[i] = 1;
  a[static_cast<std::size_t>(Op::leaf)] = 0;
  a[static_cast<std::size_t>(Op::constant)] = 0;
  a[static_cast<std::size_t>(Op::tensor)] = 0;
  for (Op o : {Op::add, Op::sub, Op::mul, Op::div, Op::pow, Op::min, Op::max})
    a[static_cast<std::size_t>(o)] = 2;
  for (unsigned n = 0; n <= kMaxStatementOperands; ++n) {
    a[static_cast<std::size_t>(statement_op(n))] = static_cast<std::uint8_t>(n);
    a[static_cast<std::size_t>(chain_statement_op(n))] = static_cast<std::uint8_t>(n);
  }
  return a;
}();

/// Number of folded constants stored for a scalar node with this op code.
inline constexpr std::array<std::uint8_t, 256> kConsts = [] {
  std::array<std::uint8_t, 256> a{};
  for (Op o : {Op::add_c, Op::sub_c, Op::rsub_c, Op::mul_c, Op::div_c, Op::rdiv_c, Op::pow_c,
               Op::rpow_c, Op::leaky_relu})
    a[static_cast<std::size_t>(o)] = 1;
  a[static_cast<std::size_t>(Op::clamp)] = 2;
  return a;
}();

}  // namespace xi
