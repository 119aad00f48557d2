#pragma once
// The element-wise operations: each one is defined here, once. A block gives the op's printable
// name, its definition and local partials as formulas (what `explain` prints, in terms of the
// inputs a, b and the folded constants c, d), its value, its first partials and its second
// partials. Scalar Vars and tensors both evaluate and differentiate through these blocks, the
// ξ table prints from them, and the Hessian sweep reads their second partials.
//
// Conventions: `a`, `b` are input values, `y` the op's value, `c`, `d` folded constants.
// Kinks take a documented subgradient (see `kink`). Numerically delicate ops use the stable
// formulation noted beside them.

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

namespace xi {

/// Op codes of every node the tape records. Scalar nodes use the element-wise ops; every tensor
/// operation is recorded under `tensor` and described by its TensorOp.
enum class Op : std::uint8_t {
  leaf,      // an independent variable
  constant,  // a constant that an op needed as a recorded input (e.g. max(x, 0.5))
  // binary: two recorded operands
  add,
  sub,
  mul,
  div,
  pow,
  min,
  max,
  // one recorded operand and folded constants
  add_c,
  sub_c,
  rsub_c,
  mul_c,
  div_c,
  rdiv_c,
  pow_c,
  rpow_c,
  leaky_relu,
  clamp,
  // unary
  neg,
  exp,
  log,
  log1p,
  expm1,
  sqrt,
  square,
  reciprocal,
  abs,
  sin,
  cos,
  tan,
  tanh,
  sigmoid,
  softplus,
  relu,
  // a tensor node (its TensorOp says what it is)
  tensor,
  count
};

/// Statement nodes (Tape::set_granularity(Granularity::statement)): one node per assignment to a
/// Var, whose n operands' partials were multiplied out when it was recorded; op code
/// kStatementBase + n. An accumulating statement (`z += e` right after z was recorded) also
/// depends on the node just before it with partial 1, which is implied rather than stored: op
/// code kChainBase + n. Statement nodes carry no element-wise rule of their own.
inline constexpr unsigned kStatementBase = 128;
inline constexpr unsigned kChainBase = 192;
inline constexpr unsigned kMaxStatementOperands = 63;
static_assert(static_cast<unsigned>(Op::count) <= kStatementBase);
constexpr Op statement_op(unsigned operands) noexcept {
  return static_cast<Op>(kStatementBase + operands);
}
constexpr Op chain_statement_op(unsigned operands) noexcept {
  return static_cast<Op>(kChainBase + operands);
}
constexpr bool is_statement(Op op) noexcept {
  return static_cast<unsigned>(op) >= kStatementBase;
}
constexpr bool is_chain_statement(Op op) noexcept {
  return static_cast<unsigned>(op) >= kChainBase;
}

namespace ops {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// σ(a) without overflow: exp only ever sees -|a|.
inline double stable_sigmoid(double a) {
  const double e = std::exp(-std::abs(a));
  const double r = 1.0 / (1.0 + e);
  return a >= 0 ? r : e * r;
}
// σ(a)·σ(−a) = σ'(a), accurate in both tails.
inline double sigmoid_slope(double a) {
  const double e = std::exp(-std::abs(a));
  const double r = 1.0 / (1.0 + e);
  return e * r * r;
}

// 1 − tanh(a)² = sech²(a), accurate in both tails.
inline double tanh_slope(double a) {
  const double e = std::exp(-2.0 * std::abs(a));
  const double r = 1.0 / (1.0 + e);
  return 4.0 * e * r * r;
}

// ---------------------------------------------------------------- unary ops
// value(a, c, d) · d1(a, y, c, d) = ∂y/∂a · d2(a, y, c, d) = ∂²y/∂a²

struct Neg {
  static constexpr Op code = Op::neg;
  static constexpr std::string_view name = "neg", def = "-a", partial = "-1", kink = "";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) { return -a; }
  static double d1(double, double, double = 0, double = 0) { return -1.0; }
  static double d2(double, double, double = 0, double = 0) { return 0.0; }
};

struct Exp {
  static constexpr Op code = Op::exp;
  static constexpr std::string_view name = "exp", def = "exp(a)", partial = "exp(a)", kink = "";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) { return std::exp(a); }
  static double d1(double, double y, double = 0, double = 0) { return y; }
  static double d2(double, double y, double = 0, double = 0) { return y; }
};

struct Log {
  static constexpr Op code = Op::log;
  static constexpr std::string_view name = "log", def = "log(a)", partial = "1/a", kink = "";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) { return std::log(a); }
  static double d1(double a, double, double = 0, double = 0) { return 1.0 / a; }
  static double d2(double a, double, double = 0, double = 0) { return -1.0 / (a * a); }
};

struct Log1p {
  static constexpr Op code = Op::log1p;
  static constexpr std::string_view name = "log1p", def = "log1p(a)", partial = "1/(1 + a)",
                                    kink = "";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) { return std::log1p(a); }
  static double d1(double a, double, double = 0, double = 0) { return 1.0 / (1.0 + a); }
  static double d2(double a, double, double = 0, double = 0) {
    return -1.0 / ((1.0 + a) * (1.0 + a));
  }
};

struct Expm1 {
  static constexpr Op code = Op::expm1;
  static constexpr std::string_view name = "expm1", def = "expm1(a)", partial = "exp(a)", kink = "";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) { return std::expm1(a); }
  static double d1(double a, double, double = 0, double = 0) { return std::exp(a); }
  static double d2(double a, double, double = 0, double = 0) { return std::exp(a); }
};

struct Sqrt {
  static constexpr Op code = Op::sqrt;
  static constexpr std::string_view name = "sqrt", def = "sqrt(a)", partial = "1/(2·sqrt(a))",
                                    kink = "";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) { return std::sqrt(a); }
  static double d1(double, double y, double = 0, double = 0) { return 0.5 / y; }
  static double d2(double a, double y, double = 0, double = 0) { return -0.25 / (a * y); }
};

struct Square {
  static constexpr Op code = Op::square;
  static constexpr std::string_view name = "square", def = "a^2", partial = "2·a", kink = "";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) { return a * a; }
  static double d1(double a, double, double = 0, double = 0) { return 2.0 * a; }
  static double d2(double, double, double = 0, double = 0) { return 2.0; }
};

struct Reciprocal {
  static constexpr Op code = Op::reciprocal;
  static constexpr std::string_view name = "reciprocal", def = "1/a", partial = "-1/a^2", kink = "";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) { return 1.0 / a; }
  static double d1(double, double y, double = 0, double = 0) { return -y * y; }
  static double d2(double, double y, double = 0, double = 0) { return 2.0 * y * y * y; }
};

struct Abs {
  static constexpr Op code = Op::abs;
  static constexpr std::string_view name = "abs", def = "|a|", partial = "sign(a)",
                                    kink = "abs at 0: subgradient 0 taken";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) { return std::abs(a); }
  static double d1(double a, double, double = 0, double = 0) {
    return a > 0 ? 1.0 : (a < 0 ? -1.0 : 0.0);
  }
  static double d2(double, double, double = 0, double = 0) { return 0.0; }
  static bool at_kink(double a, double = 0, double = 0) { return a == 0; }
};

struct Sin {
  static constexpr Op code = Op::sin;
  static constexpr std::string_view name = "sin", def = "sin(a)", partial = "cos(a)", kink = "";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) { return std::sin(a); }
  static double d1(double a, double, double = 0, double = 0) { return std::cos(a); }
  static double d2(double, double y, double = 0, double = 0) { return -y; }
};

struct Cos {
  static constexpr Op code = Op::cos;
  static constexpr std::string_view name = "cos", def = "cos(a)", partial = "-sin(a)", kink = "";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) { return std::cos(a); }
  static double d1(double a, double, double = 0, double = 0) { return -std::sin(a); }
  static double d2(double, double y, double = 0, double = 0) { return -y; }
};

struct Tan {
  static constexpr Op code = Op::tan;
  static constexpr std::string_view name = "tan", def = "tan(a)", partial = "1 + tan(a)^2",
                                    kink = "";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) { return std::tan(a); }
  static double d1(double, double y, double = 0, double = 0) { return 1.0 + y * y; }
  static double d2(double, double y, double = 0, double = 0) { return 2.0 * y * (1.0 + y * y); }
};

struct Tanh {
  static constexpr Op code = Op::tanh;
  static constexpr std::string_view name = "tanh", def = "tanh(a)", partial = "1 - tanh(a)^2",
                                    kink = "";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) { return std::tanh(a); }
  // 1 − tanh(a)² computed as sech²(a) = 4e/(1+e)², e = exp(−2|a|): 1 − y·y keeps no digits once
  // y rounds towards ±1 (|a| ≳ 10).
  static double d1(double a, double, double = 0, double = 0) { return tanh_slope(a); }
  static double d2(double a, double y, double = 0, double = 0) { return -2.0 * y * tanh_slope(a); }
};

// Stable: σ(a) = 1/(1+e^{-|a|}) or e^{-|a|}/(1+e^{-|a|}); σ' = σ(a)σ(−a) from e^{-|a|}.
struct Sigmoid {
  static constexpr Op code = Op::sigmoid;
  static constexpr std::string_view name = "sigmoid", def = "sigmoid(a)",
                                    partial = "sigmoid(a)·(1 - sigmoid(a))", kink = "";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) { return stable_sigmoid(a); }
  static double d1(double a, double, double = 0, double = 0) { return sigmoid_slope(a); }
  static double d2(double a, double, double = 0, double = 0) {
    return sigmoid_slope(a) * (1.0 - 2.0 * stable_sigmoid(a));
  }
};

// Stable: softplus(a) = max(a, 0) + log1p(e^{-|a|}) never overflows.
struct Softplus {
  static constexpr Op code = Op::softplus;
  static constexpr std::string_view name = "softplus", def = "log(1 + exp(a))",
                                    partial = "sigmoid(a)", kink = "";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) {
    return std::max(a, 0.0) + std::log1p(std::exp(-std::abs(a)));
  }
  static double d1(double a, double, double = 0, double = 0) { return stable_sigmoid(a); }
  static double d2(double a, double, double = 0, double = 0) { return sigmoid_slope(a); }
};

struct Relu {
  static constexpr Op code = Op::relu;
  static constexpr std::string_view name = "relu", def = "max(a, 0)", partial = "[a > 0]",
                                    kink = "relu at 0: subgradient 0 taken";
  static constexpr int n_consts = 0;
  static double value(double a, double = 0, double = 0) { return a > 0 ? a : 0.0; }
  static double d1(double a, double, double = 0, double = 0) { return a > 0 ? 1.0 : 0.0; }
  static double d2(double, double, double = 0, double = 0) { return 0.0; }
  static bool at_kink(double a, double = 0, double = 0) { return a == 0; }
};

// ---------------------------------------------------------- unary ops with folded constants

struct AddC {
  static constexpr Op code = Op::add_c;
  static constexpr std::string_view name = "add", def = "c + a", partial = "1", kink = "";
  static constexpr int n_consts = 1;
  static double value(double a, double c, double = 0) { return c + a; }
  static double d1(double, double, double, double = 0) { return 1.0; }
  static double d2(double, double, double, double = 0) { return 0.0; }
};

struct SubC {
  static constexpr Op code = Op::sub_c;
  static constexpr std::string_view name = "sub", def = "a - c", partial = "1", kink = "";
  static constexpr int n_consts = 1;
  static double value(double a, double c, double = 0) { return a - c; }
  static double d1(double, double, double, double = 0) { return 1.0; }
  static double d2(double, double, double, double = 0) { return 0.0; }
};

struct RsubC {
  static constexpr Op code = Op::rsub_c;
  static constexpr std::string_view name = "sub", def = "c - a", partial = "-1", kink = "";
  static constexpr int n_consts = 1;
  static double value(double a, double c, double = 0) { return c - a; }
  static double d1(double, double, double, double = 0) { return -1.0; }
  static double d2(double, double, double, double = 0) { return 0.0; }
};

struct MulC {
  static constexpr Op code = Op::mul_c;
  static constexpr std::string_view name = "mul", def = "c·a", partial = "c", kink = "";
  static constexpr int n_consts = 1;
  static double value(double a, double c, double = 0) { return c * a; }
  static double d1(double, double, double c, double = 0) { return c; }
  static double d2(double, double, double, double = 0) { return 0.0; }
};

struct DivC {
  static constexpr Op code = Op::div_c;
  static constexpr std::string_view name = "div", def = "a/c", partial = "1/c", kink = "";
  static constexpr int n_consts = 1;
  static double value(double a, double c, double = 0) { return a / c; }
  static double d1(double, double, double c, double = 0) { return 1.0 / c; }
  static double d2(double, double, double, double = 0) { return 0.0; }
};

struct RdivC {
  static constexpr Op code = Op::rdiv_c;
  static constexpr std::string_view name = "div", def = "c/a", partial = "-c/a^2", kink = "";
  static constexpr int n_consts = 1;
  static double value(double a, double c, double = 0) { return c / a; }
  static double d1(double a, double, double c, double = 0) { return -c / (a * a); }
  static double d2(double a, double, double c, double = 0) { return 2.0 * c / (a * a * a); }
};

struct PowC {
  static constexpr Op code = Op::pow_c;
  static constexpr std::string_view name = "pow", def = "a^c", partial = "c·a^(c-1)", kink = "";
  static constexpr int n_consts = 1;
  static double value(double a, double c, double = 0) { return std::pow(a, c); }
  static double d1(double a, double, double c, double = 0) {
    return c == 0 ? 0.0 : c * std::pow(a, c - 1.0);
  }
  static double d2(double a, double, double c, double = 0) {
    return (c == 0 || c == 1) ? 0.0 : c * (c - 1.0) * std::pow(a, c - 2.0);
  }
};

struct RpowC {
  static constexpr Op code = Op::rpow_c;
  static constexpr std::string_view name = "pow", def = "c^a", partial = "c^a·log(c)", kink = "";
  static constexpr int n_consts = 1;
  static double value(double a, double c, double = 0) { return std::pow(c, a); }
  static double d1(double, double y, double c, double = 0) {
    return c == 1 ? 0.0 : y * std::log(c);
  }
  static double d2(double, double y, double c, double = 0) {
    const double l = c == 1 ? 0.0 : std::log(c);
    return y * l * l;
  }
};

struct LeakyRelu {
  static constexpr Op code = Op::leaky_relu;
  static constexpr std::string_view name = "leaky_relu", def = "leaky_relu(a, c)",
                                    partial = "[a > 0] + c·[a <= 0]",
                                    kink = "leaky_relu at 0: subgradient c taken";
  static constexpr int n_consts = 1;
  static double value(double a, double c, double = 0) { return a > 0 ? a : c * a; }
  static double d1(double a, double, double c, double = 0) { return a > 0 ? 1.0 : c; }
  static double d2(double, double, double, double = 0) { return 0.0; }
  static bool at_kink(double a, double = 0, double = 0) { return a == 0; }
};

// clamp(a, c, d) with c <= d; inside the closed interval the slope is 1 (PyTorch's choice).
struct Clamp {
  static constexpr Op code = Op::clamp;
  static constexpr std::string_view name = "clamp", def = "clamp(a, c, d)",
                                    partial = "[c <= a <= d]",
                                    kink = "clamp at a bound: subgradient 1 taken";
  static constexpr int n_consts = 2;
  static double value(double a, double c, double d) { return a < c ? c : (a > d ? d : a); }
  static double d1(double a, double, double c, double d) { return (a >= c && a <= d) ? 1.0 : 0.0; }
  static double d2(double, double, double, double) { return 0.0; }
  static bool at_kink(double a, double c, double d) { return a == c || a == d; }
};

// ---------------------------------------------------------------- binary ops
// value(a, b) · da, db = ∂y/∂a, ∂y/∂b · d2 = {∂²y/∂a², ∂²y/∂a∂b, ∂²y/∂b²}
// fold_a / fold_b: the unary op with a folded constant recorded instead when input a / b is a
// constant (void: the constant is recorded as a constant leaf).

using Second = std::array<double, 3>;

struct Add {
  static constexpr Op code = Op::add;
  using fold_a = AddC;
  using fold_b = AddC;
  static constexpr std::string_view name = "add", def = "a + b", partial_a = "1", partial_b = "1",
                                    kink = "";
  static double value(double a, double b) { return a + b; }
  static double da(double, double, double) { return 1.0; }
  static double db(double, double, double) { return 1.0; }
  static Second d2(double, double, double) { return {0.0, 0.0, 0.0}; }
};

struct Sub {
  static constexpr Op code = Op::sub;
  using fold_a = RsubC;
  using fold_b = SubC;
  static constexpr std::string_view name = "sub", def = "a - b", partial_a = "1", partial_b = "-1",
                                    kink = "";
  static double value(double a, double b) { return a - b; }
  static double da(double, double, double) { return 1.0; }
  static double db(double, double, double) { return -1.0; }
  static Second d2(double, double, double) { return {0.0, 0.0, 0.0}; }
};

struct Mul {
  static constexpr Op code = Op::mul;
  using fold_a = MulC;
  using fold_b = MulC;
  static constexpr std::string_view name = "mul", def = "a·b", partial_a = "b", partial_b = "a",
                                    kink = "";
  static double value(double a, double b) { return a * b; }
  static double da(double, double b, double) { return b; }
  static double db(double a, double, double) { return a; }
  static Second d2(double, double, double) { return {0.0, 1.0, 0.0}; }
};

struct Div {
  static constexpr Op code = Op::div;
  using fold_a = RdivC;
  using fold_b = DivC;
  static constexpr std::string_view name = "div", def = "a/b", partial_a = "1/b",
                                    partial_b = "-a/b^2", kink = "";
  static double value(double a, double b) { return a / b; }
  static double da(double, double b, double) { return 1.0 / b; }
  static double db(double, double b, double y) { return -y / b; }
  static Second d2(double a, double b, double) {
    return {0.0, -1.0 / (b * b), 2.0 * a / (b * b * b)};
  }
};

// ∂/∂b uses log(a); at a = 0 with b >= 0 it is taken as 0 (the limit, PyTorch's convention).
struct Pow {
  static constexpr Op code = Op::pow;
  using fold_a = RpowC;
  using fold_b = PowC;
  static constexpr std::string_view name = "pow", def = "a^b", partial_a = "b·a^(b-1)",
                                    partial_b = "a^b·log(a)", kink = "";
  static double value(double a, double b) { return std::pow(a, b); }
  static double da(double a, double b, double) { return b == 0 ? 0.0 : b * std::pow(a, b - 1.0); }
  static double db(double a, double b, double y) {
    return (a == 0 && b >= 0) ? 0.0 : y * std::log(a);
  }
  static Second d2(double a, double b, double y) {
    const double l = (a == 0 && b >= 0) ? 0.0 : std::log(a);
    const double paa = (b == 0 || b == 1) ? 0.0 : b * (b - 1.0) * std::pow(a, b - 2.0);
    const double pab = b == 0 ? (a == 0 ? 0.0 : 1.0 / a) : std::pow(a, b - 1.0) * (1.0 + b * l);
    return {paa, pab, y * l * l};
  }
};

// At a tie the subgradient splits evenly: ∂/∂a = ∂/∂b = 1/2 (PyTorch's maximum/minimum).
struct Min {
  static constexpr Op code = Op::min;
  using fold_a = void;
  using fold_b = void;
  static constexpr std::string_view name = "min", def = "min(a, b)", partial_a = "[a < b]",
                                    partial_b = "[b < a]",
                                    kink = "min at a tie: subgradient 1/2 to each side taken";
  static double value(double a, double b) { return b < a ? b : a; }
  static double da(double a, double b, double) { return a < b ? 1.0 : (a == b ? 0.5 : 0.0); }
  static double db(double a, double b, double) { return b < a ? 1.0 : (a == b ? 0.5 : 0.0); }
  static Second d2(double, double, double) { return {0.0, 0.0, 0.0}; }
  static bool at_kink(double a, double b) { return a == b; }
};

struct Max {
  static constexpr Op code = Op::max;
  using fold_a = void;
  using fold_b = void;
  static constexpr std::string_view name = "max", def = "max(a, b)", partial_a = "[a > b]",
                                    partial_b = "[b > a]",
                                    kink = "max at a tie: subgradient 1/2 to each side taken";
  static double value(double a, double b) { return b > a ? b : a; }
  static double da(double a, double b, double) { return a > b ? 1.0 : (a == b ? 0.5 : 0.0); }
  static double db(double a, double b, double) { return b > a ? 1.0 : (a == b ? 0.5 : 0.0); }
  static Second d2(double, double, double) { return {0.0, 0.0, 0.0}; }
  static bool at_kink(double a, double b) { return a == b; }
};

}  // namespace ops
}  // namespace xi
