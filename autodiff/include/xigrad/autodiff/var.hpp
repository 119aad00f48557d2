#pragma once
// Var: a scalar on the tape. Arithmetic and the element-wise functions of scalar_ops.hpp record
// one node each on the current thread's tape; a Var made from a plain number is a constant and
// is folded into the node that uses it (`1 + ξ3` is one node, as in the lecture's ξ table).
//
//   xi::Var w = xi::variable(0.5, "w"), x = xi::variable(2.0, "x");
//   xi::Var loss = xi::log(1 + xi::exp(-w * x));
//   double dw = xi::grad(loss, w);

#include <cstdint>
#include <string>

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
  constexpr bool is_constant() const noexcept { return slot_ == 0; }
  /// The tape slot (the node's id in recording order of slots); 0 for a constant.
  constexpr Index slot() const noexcept { return slot_; }
  constexpr std::uint32_t generation() const noexcept { return gen_; }
  /// ∂L/∂this from the last backward pass on this Var's tape.
  double adjoint() const;

  /// Internal: a recorded value.
  static constexpr Var recorded(double value, Index slot, std::uint32_t gen) noexcept {
    Var v(value);
    v.slot_ = slot;
    v.gen_ = gen;
    return v;
  }

  Var& operator+=(const Var& o);
  Var& operator-=(const Var& o);
  Var& operator*=(const Var& o);
  Var& operator/=(const Var& o);

 private:
  double value_ = 0.0;
  Index slot_ = 0;
  std::uint32_t gen_ = 0;
};

/// A new independent variable (a leaf) on the current tape; `name` is what explain prints.
Var variable(double value);
Var variable(double value, std::string name);

/// The same value, cut from the graph: no gradient flows through it.
constexpr Var detach(const Var& v) noexcept {
  return Var(v.value());
}

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

namespace detail {

/// Where a new scalar node goes: the current tape if it is recording and the inputs belong to
/// it; null when the result is a constant.
[[gnu::always_inline]] inline Tape* recording_tape(const Var& a) {
  if (a.is_constant()) return nullptr;
  Tape& t = Tape::current();
  t.check(a.slot(), a.generation());
  return t.recording() ? &t : nullptr;
}

// The recording functions are forced inline: they are a few loads, compares and stores, and a
// call per operation would cost as much as the recording itself.
#define XIGRAD_HOT [[gnu::always_inline]] inline

template <class O>
XIGRAD_HOT Var unary(const Var& a) {
  const double x = a.value();
  const double y = O::value(x);
  Tape* t = recording_tape(a);
  if (t == nullptr) return Var(y);
  return Var::recorded(y, t->push_unary(O::code, y, O::d1(x, y), a.slot()), t->generation());
}

template <class O>
XIGRAD_HOT Var unary_c(const Var& a, double c, double d = 0.0) {
  const double x = a.value();
  const double y = O::value(x, c, d);
  Tape* t = recording_tape(a);
  if (t == nullptr) return Var(y);
  const double p = O::d1(x, y, c, d);
  if constexpr (O::n_consts > 1) {
    return Var::recorded(y, t->push_unary_cc(O::code, y, p, a.slot(), c, d), t->generation());
  } else {
    return Var::recorded(y, t->push_unary_c(O::code, y, p, a.slot(), c), t->generation());
  }
}

Var record_constant_leaf(double value);

template <class O>
XIGRAD_HOT Var binary(const Var& a, const Var& b) {
  const double x = a.value(), z = b.value();
  const double y = O::value(x, z);
  if (a.is_constant() && b.is_constant()) return Var(y);
  Tape& t = Tape::current();
  t.check(a.slot(), a.generation());
  t.check(b.slot(), b.generation());
  if (!t.recording()) return Var(y);
  // A constant operand without a folded variant becomes a constant leaf so that the node keeps
  // both of its inputs' values (explain and the Hessian sweep read them).
  const Index sa = a.is_constant() ? record_constant_leaf(x).slot() : a.slot();
  const Index sb = b.is_constant() ? record_constant_leaf(z).slot() : b.slot();
  return Var::recorded(y, t.push_binary(O::code, y, O::da(x, z, y), sa, O::db(x, z, y), sb),
                       t.generation());
}

#undef XIGRAD_HOT
}  // namespace detail

// ------------------------------------------------------------------ arithmetic
inline Var operator+(const Var& a, const Var& b) {
  if (b.is_constant()) return detail::unary_c<ops::AddC>(a, b.value());
  if (a.is_constant()) return detail::unary_c<ops::AddC>(b, a.value());
  return detail::binary<ops::Add>(a, b);
}
inline Var operator-(const Var& a, const Var& b) {
  if (b.is_constant()) return detail::unary_c<ops::SubC>(a, b.value());
  if (a.is_constant()) return detail::unary_c<ops::RsubC>(b, a.value());
  return detail::binary<ops::Sub>(a, b);
}
inline Var operator*(const Var& a, const Var& b) {
  if (b.is_constant()) return detail::unary_c<ops::MulC>(a, b.value());
  if (a.is_constant()) return detail::unary_c<ops::MulC>(b, a.value());
  return detail::binary<ops::Mul>(a, b);
}
inline Var operator/(const Var& a, const Var& b) {
  if (b.is_constant()) return detail::unary_c<ops::DivC>(a, b.value());
  if (a.is_constant()) return detail::unary_c<ops::RdivC>(b, a.value());
  return detail::binary<ops::Div>(a, b);
}
inline Var operator+(const Var& a, double c) {
  return detail::unary_c<ops::AddC>(a, c);
}
inline Var operator+(double c, const Var& a) {
  return detail::unary_c<ops::AddC>(a, c);
}
inline Var operator-(const Var& a, double c) {
  return detail::unary_c<ops::SubC>(a, c);
}
inline Var operator-(double c, const Var& a) {
  return detail::unary_c<ops::RsubC>(a, c);
}
inline Var operator*(const Var& a, double c) {
  return detail::unary_c<ops::MulC>(a, c);
}
inline Var operator*(double c, const Var& a) {
  return detail::unary_c<ops::MulC>(a, c);
}
inline Var operator/(const Var& a, double c) {
  return detail::unary_c<ops::DivC>(a, c);
}
inline Var operator/(double c, const Var& a) {
  return detail::unary_c<ops::RdivC>(a, c);
}
inline Var operator-(const Var& a) {
  return detail::unary<ops::Neg>(a);
}
inline Var operator+(const Var& a) {
  return a;
}

inline Var& Var::operator+=(const Var& o) {
  return *this = *this + o;
}
inline Var& Var::operator-=(const Var& o) {
  return *this = *this - o;
}
inline Var& Var::operator*=(const Var& o) {
  return *this = *this * o;
}
inline Var& Var::operator/=(const Var& o) {
  return *this = *this / o;
}

// Comparisons look at values only (they record nothing), so ordinary control flow works.
inline bool operator<(const Var& a, const Var& b) {
  return a.value() < b.value();
}
inline bool operator>(const Var& a, const Var& b) {
  return a.value() > b.value();
}
inline bool operator<=(const Var& a, const Var& b) {
  return a.value() <= b.value();
}
inline bool operator>=(const Var& a, const Var& b) {
  return a.value() >= b.value();
}
inline bool operator==(const Var& a, const Var& b) {
  return a.value() == b.value();
}

// ------------------------------------------------------------------ functions
inline Var exp(const Var& a) {
  return detail::unary<ops::Exp>(a);
}
inline Var log(const Var& a) {
  return detail::unary<ops::Log>(a);
}
inline Var log1p(const Var& a) {
  return detail::unary<ops::Log1p>(a);
}
inline Var expm1(const Var& a) {
  return detail::unary<ops::Expm1>(a);
}
inline Var sqrt(const Var& a) {
  return detail::unary<ops::Sqrt>(a);
}
inline Var square(const Var& a) {
  return detail::unary<ops::Square>(a);
}
inline Var reciprocal(const Var& a) {
  return detail::unary<ops::Reciprocal>(a);
}
inline Var abs(const Var& a) {
  return detail::unary<ops::Abs>(a);
}
inline Var sin(const Var& a) {
  return detail::unary<ops::Sin>(a);
}
inline Var cos(const Var& a) {
  return detail::unary<ops::Cos>(a);
}
inline Var tan(const Var& a) {
  return detail::unary<ops::Tan>(a);
}
inline Var tanh(const Var& a) {
  return detail::unary<ops::Tanh>(a);
}
inline Var sigmoid(const Var& a) {
  return detail::unary<ops::Sigmoid>(a);
}
inline Var softplus(const Var& a) {
  return detail::unary<ops::Softplus>(a);
}
inline Var relu(const Var& a) {
  return detail::unary<ops::Relu>(a);
}
inline Var leaky_relu(const Var& a, double slope = 0.01) {
  return detail::unary_c<ops::LeakyRelu>(a, slope);
}
/// clamp(a, lo, hi); throws xi::Error if lo > hi.
Var clamp(const Var& a, double lo, double hi);
inline Var pow(const Var& a, const Var& b) {
  if (b.is_constant()) return detail::unary_c<ops::PowC>(a, b.value());
  if (a.is_constant()) return detail::unary_c<ops::RpowC>(b, a.value());
  return detail::binary<ops::Pow>(a, b);
}
inline Var pow(const Var& a, double c) {
  return detail::unary_c<ops::PowC>(a, c);
}
inline Var pow(double c, const Var& a) {
  return detail::unary_c<ops::RpowC>(a, c);
}
inline Var min(const Var& a, const Var& b) {
  return detail::binary<ops::Min>(a, b);
}
inline Var max(const Var& a, const Var& b) {
  return detail::binary<ops::Max>(a, b);
}
/// `cond ? a : b`, recording nothing: the gradient flows to the branch taken.
inline Var where(bool cond, const Var& a, const Var& b) {
  return cond ? a : b;
}

}  // namespace xi
