#pragma once
// Var: a scalar on the tape. Arithmetic and the element-wise functions of scalar_ops.hpp build an
// expression that is recorded when it is assigned to a Var: by default one node per operation
// (the ξ chain), or one node per statement with Tape::set_granularity(Granularity::statement).
// A Var made from a plain number is a constant and is folded into the node that uses it
// (`1 + ξ3` is one node, as in the lecture's ξ table).
//
//   xi::Var w = xi::variable(0.5, "w"), x = xi::variable(2.0, "x");
//   xi::Var loss = xi::log(1 + xi::exp(-w * x));
//   double dw = xi::grad(loss, w);
//
// `auto e = w * x;` holds an unevaluated expression (like Eigen's): it is recorded each time it
// is assigned to a Var. Write `xi::Var e = w * x;` to record it once.

#include <concepts>
#include <cstdint>
#include <string>
#include <type_traits>

#include <xigrad/autodiff/scalar_ops.hpp>
#include <xigrad/autodiff/tape.hpp>

namespace xi {

class Var {
 public:
  /// A constant 0.
  constexpr Var() noexcept = default;
  /// A constant: no gradient flows to it, and it folds into the node that uses it.
  constexpr Var(double constant) noexcept : value_(constant) {}  // NOLINT: implicit on purpose

  constexpr double value() const noexcept { return value_; }
  /// True for constants (and for values computed under NoGrad or from constants only).
  constexpr bool is_constant() const noexcept { return slot() == 0; }
  /// The tape slot (the node's id in recording order of slots); 0 for a constant.
  constexpr Index slot() const noexcept { return static_cast<Index>(id_); }
  constexpr std::uint32_t generation() const noexcept {
    return static_cast<std::uint32_t>(id_ >> 32);
  }
  /// Internal: slot and generation in one word (see node_id); 0 for a constant.
  constexpr std::uint64_t id() const noexcept { return id_; }
  /// ∂L/∂this from the last backward pass on this Var's tape.
  double adjoint() const;

  /// Records an expression of Vars (see the top of this file). Implicit, so that `Var z = w * x`
  /// and functions taking a Var accept expressions.
  template <class E>
  requires requires { typename E::xi_expression_node; }
  Var(const E& e);  // NOLINT: implicit on purpose

  /// Internal: a recorded value.
  static constexpr Var recorded(double value, Index slot, std::uint32_t gen) noexcept {
    return recorded(value, node_id(slot, gen));
  }
  static constexpr Var recorded(double value, std::uint64_t id) noexcept {
    Var v(value);
    v.id_ = id;
    return v;
  }

  // `z += w * x` is one statement: z's new value is recorded from the whole right-hand side.
  template <class E>
  Var& operator+=(const E& e);
  template <class E>
  Var& operator-=(const E& e);
  template <class E>
  Var& operator*=(const E& e);
  template <class E>
  Var& operator/=(const E& e);

 private:
  double value_ = 0.0;
  // node_id(slot, generation): one register in the recording hot path, compared in one go
  // with the tape's chain key (Tape::chain_key).
  std::uint64_t id_ = 0;
};

/// A new independent variable (a leaf) on the current tape; `name` is what explain prints.
Var variable(double value);
Var variable(double value, std::string name);

/// While alive, operations on this thread compute values without recording (like
/// torch.no_grad): results are constants.
class NoGrad {
 public:
  NoGrad() : tape_(Tape::current()) { tape_.enter_no_grad(); }
  ~NoGrad() { tape_.leave_no_grad(); }
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  Tape& tape_;
};

}  // namespace xi

#include <xigrad/autodiff/detail/expression.hpp>  // needs the complete Var

namespace xi {

// Always inlined, like the rest of the recording path: an out-of-line constructor would take
// the Var's address, and the compiler would then keep it in memory for the rest of the caller
// (a loop's `z` would go through a store and a load at every `z += ...`).
template <class E>
requires requires {
  typename E::xi_expression_node;
}
[[gnu::always_inline]] inline Var::Var(const E& e)
    : Var(detail::record_statement(Tape::current(), e)) {}

/// The same value, cut from the graph: no gradient flows through it (nothing is recorded).
template <ScalarExpr E>
Var detach(const E& e) {
  return Var(e.value());
}

// ------------------------------------------------------------------ arithmetic
// Var/expression op Var/expression, and with a plain number folded in as a constant.
#define XIGRAD_ARITHMETIC(sym, Op, OpC, ROpC)                              \
  template <ScalarExpr A, ScalarExpr B>                                    \
  detail::BinaryNode<ops::Op, A, B> operator sym(const A& a, const B& b) { \
    return detail::BinaryNode<ops::Op, A, B>(a, b);                        \
  }                                                                        \
  template <ScalarExpr A>                                                  \
  detail::UnaryNode<ops::OpC, A> operator sym(const A& a, double c) {      \
    return detail::UnaryNode<ops::OpC, A>(a, c);                           \
  }                                                                        \
  template <ScalarExpr B>                                                  \
  detail::UnaryNode<ops::ROpC, B> operator sym(double c, const B& b) {     \
    return detail::UnaryNode<ops::ROpC, B>(b, c);                          \
  }
XIGRAD_ARITHMETIC(+, Add, AddC, AddC)
XIGRAD_ARITHMETIC(-, Sub, SubC, RsubC)
XIGRAD_ARITHMETIC(*, Mul, MulC, MulC)
XIGRAD_ARITHMETIC(/, Div, DivC, RdivC)
#undef XIGRAD_ARITHMETIC

template <ScalarExpr A>
detail::UnaryNode<ops::Neg, A> operator-(const A& a) {
  return detail::UnaryNode<ops::Neg, A>(a);
}
template <ScalarExpr A>
A operator+(const A& a) {
  return a;
}

template <class E>
[[gnu::always_inline]] inline Var& Var::operator+=(const E& e) {
  if constexpr (ScalarExpr<E>) {
    Tape& t = Tape::current();
    if (detail::accumulate_in_place(t, *this, e, 1.0)) return *this;
    return *this = detail::record_statement(t, *this + e);
  } else {
    return *this = *this + e;
  }
}
template <class E>
[[gnu::always_inline]] inline Var& Var::operator-=(const E& e) {
  if constexpr (ScalarExpr<E>) {
    Tape& t = Tape::current();
    if (detail::accumulate_in_place(t, *this, e, -1.0)) return *this;
    return *this = detail::record_statement(t, *this - e);
  } else {
    return *this = *this - e;
  }
}
template <class E>
Var& Var::operator*=(const E& e) {
  return *this = *this * e;
}
template <class E>
Var& Var::operator/=(const E& e) {
  return *this = *this / e;
}

// Comparisons look at values only (they record nothing), so ordinary control flow works.
namespace detail {
template <class T>
concept ScalarOperand = ScalarExpr<T> || std::is_arithmetic_v<T>;
template <class T>
double value_of(const T& v) {
  if constexpr (std::is_arithmetic_v<T>) {
    return static_cast<double>(v);
  } else {
    return v.value();
  }
}
}  // namespace detail

#define XIGRAD_COMPARISON(sym)                                                         \
  template <detail::ScalarOperand A, detail::ScalarOperand B>                          \
  requires(ScalarExpr<A> || ScalarExpr<B>) bool operator sym(const A& a, const B& b) { \
    return detail::value_of(a) sym detail::value_of(b);                                \
  }
XIGRAD_COMPARISON(<)
XIGRAD_COMPARISON(>)
XIGRAD_COMPARISON(<=)
XIGRAD_COMPARISON(>=)
XIGRAD_COMPARISON(==)
#undef XIGRAD_COMPARISON

// ------------------------------------------------------------------ functions
#define XIGRAD_FUNCTION(name, Op)                  \
  template <ScalarExpr A>                          \
  detail::UnaryNode<ops::Op, A> name(const A& a) { \
    return detail::UnaryNode<ops::Op, A>(a);       \
  }
XIGRAD_FUNCTION(exp, Exp)
XIGRAD_FUNCTION(log, Log)
XIGRAD_FUNCTION(log1p, Log1p)
XIGRAD_FUNCTION(expm1, Expm1)
XIGRAD_FUNCTION(sqrt, Sqrt)
XIGRAD_FUNCTION(square, Square)
XIGRAD_FUNCTION(reciprocal, Reciprocal)
XIGRAD_FUNCTION(abs, Abs)
XIGRAD_FUNCTION(sin, Sin)
XIGRAD_FUNCTION(cos, Cos)
XIGRAD_FUNCTION(tan, Tan)
XIGRAD_FUNCTION(tanh, Tanh)
XIGRAD_FUNCTION(sigmoid, Sigmoid)
XIGRAD_FUNCTION(softplus, Softplus)
XIGRAD_FUNCTION(relu, Relu)
#undef XIGRAD_FUNCTION

template <ScalarExpr A>
detail::UnaryNode<ops::LeakyRelu, A> leaky_relu(const A& a, double slope = 0.01) {
  return detail::UnaryNode<ops::LeakyRelu, A>(a, slope);
}

namespace detail {
[[noreturn]] void throw_clamp_bounds(double lo, double hi);
}
/// clamp(a, lo, hi); throws xi::Error if lo > hi.
template <ScalarExpr A>
detail::UnaryNode<ops::Clamp, A> clamp(const A& a, double lo, double hi) {
  if (!(lo <= hi)) detail::throw_clamp_bounds(lo, hi);
  return detail::UnaryNode<ops::Clamp, A>(a, lo, hi);
}

template <ScalarExpr A, ScalarExpr B>
detail::BinaryNode<ops::Pow, A, B> pow(const A& a, const B& b) {
  return detail::BinaryNode<ops::Pow, A, B>(a, b);
}
template <ScalarExpr A>
detail::UnaryNode<ops::PowC, A> pow(const A& a, double c) {
  return detail::UnaryNode<ops::PowC, A>(a, c);
}
template <ScalarExpr B>
detail::UnaryNode<ops::RpowC, B> pow(double c, const B& b) {
  return detail::UnaryNode<ops::RpowC, B>(b, c);
}

// min and max record a constant operand as a constant leaf (they have no folded variant).
#define XIGRAD_MINMAX(name, Op)                                    \
  template <ScalarExpr A, ScalarExpr B>                            \
  detail::BinaryNode<ops::Op, A, B> name(const A& a, const B& b) { \
    return detail::BinaryNode<ops::Op, A, B>(a, b);                \
  }                                                                \
  template <ScalarExpr A>                                          \
  detail::BinaryNode<ops::Op, A, Var> name(const A& a, double c) { \
    return detail::BinaryNode<ops::Op, A, Var>(a, Var(c));         \
  }                                                                \
  template <ScalarExpr B>                                          \
  detail::BinaryNode<ops::Op, Var, B> name(double c, const B& b) { \
    return detail::BinaryNode<ops::Op, Var, B>(Var(c), b);         \
  }
XIGRAD_MINMAX(min, Min)
XIGRAD_MINMAX(max, Max)
#undef XIGRAD_MINMAX

/// `cond ? a : b`: only the branch taken is recorded, and the gradient flows to it.
template <class A, class B>
requires(detail::ScalarOperand<A>&& detail::ScalarOperand<B>) Var
    where(bool cond, const A& a, const B& b) {
  if (cond) return Var(a);
  return Var(b);
}

}  // namespace xi
