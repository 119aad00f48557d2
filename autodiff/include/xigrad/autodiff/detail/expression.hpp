#pragma once
// Expression templates for scalar Var code (included by var.hpp, after Var).
//
// An arithmetic operation or element-wise function on Vars returns an unevaluated node that holds
// its inputs by value and its own value, computed at once from the op's block in scalar_ops.hpp.
// Assigning the expression to a Var records it, in one of two ways (Tape::granularity):
//   operation  one tape node per operation, exactly as if each had been evaluated on its own
//              (the ξ chain; a constant operand folds into the op that uses it);
//   statement  one tape node for the whole expression: the partial of the result with respect to
//              each Var leaf is the product of the local partials on the path to it, multiplied
//              out while the expression is walked from the root (Adept's approach: R. Hogan,
//              "Fast reverse-mode automatic differentiation using expression templates in C++",
//              ACM TOMS 40(4), 2014).
// Either way each op's value and partials come from its one block in scalar_ops.hpp.

#include <concepts>
#include <cstdint>
#include <type_traits>

namespace xi {

/// Var or an unevaluated expression of Vars.
template <class T>
concept ScalarExpr = std::same_as<T, Var> || requires {
  typename T::xi_expression_node;
};

namespace detail {

#define XIGRAD_HOT [[gnu::always_inline]] inline

template <class E>
inline constexpr unsigned kLeaves = 1;  // a Var
template <class E>
requires requires {
  typename E::xi_expression_node;
}
inline constexpr unsigned kLeaves<E> = E::kLeaves;

/// Receives a statement's operands while the expression is walked: one per Var leaf, in a fixed
/// order, so that the count is a compile-time constant once inlined. A constant leaf is written
/// too, with input slot 0 (the sink that constants point to): cheaper than compacting the list,
/// and constant Vars are rare in a statement (plain numbers fold into the op that uses them).
struct StatementWriter {
  StatementCursor at;
  std::uint64_t generation_bits;  // node_id(0, the tape's generation)
  unsigned n = 0;
  Index slots = 0;             // the OR of the leaves' slots: 0 when every leaf is a constant
  std::uint64_t mismatch = 0;  // generation bits differ from the tape's (≥ 2³²) for some leaf
  double probe = 0.0;          // 0 times every partial: NaN when one is infinite or NaN

  XIGRAD_HOT void add(const Var& v, double partial) {
    at.partial[n] = partial;
    at.input[n] = v.slot();
    ++n;
    slots |= v.slot();
    probe *= partial;
    // Two instructions per leaf. A constant leaf (id 0) also sets it: the precise check that
    // follows (check_leaves) then lets it pass.
    mismatch |= v.id() ^ generation_bits;
  }
  bool maybe_foreign() const noexcept { return (mismatch >> 32) != 0; }
};

// The three things done with an expression, for a Var leaf and for a node.
XIGRAD_HOT void accumulate(const Var& v, StatementWriter& w, double partial) {
  w.add(v, partial);
}
XIGRAD_HOT void check_leaves(const Var& v, const Tape& t) {
  t.check(v.slot(), v.generation());
}
XIGRAD_HOT Var record_operations(const Var& v, Tape& t) {
  t.check(v.slot(), v.generation());
  return v;
}
template <class E>
XIGRAD_HOT void accumulate(const E& e, StatementWriter& w, double partial) {
  e.accumulate(w, partial);
}
template <class E>
XIGRAD_HOT void check_leaves(const E& e, const Tape& t) {
  e.check_leaves(t);
}
template <class E>
XIGRAD_HOT Var record_operations(const E& e, Tape& t) {
  return e.record_operations(t);
}

Var record_constant_leaf(double value);

/// Records `y = O(a, c)`, a unary op with a folded constant, on a recording tape.
template <class O>
XIGRAD_HOT Var record_folded(Tape& t, const Var& a, double y, double c, double d = 0.0) {
  const double p = O::d1(a.value(), y, c, d);
  if constexpr (O::n_consts == 0) {
    return Var::recorded(y, t.push_unary(O::code, y, p, a.slot()), t.generation());
  } else if constexpr (O::n_consts == 1) {
    return Var::recorded(y, t.push_unary_c(O::code, y, p, a.slot(), c), t.generation());
  } else {
    return Var::recorded(y, t.push_unary_cc(O::code, y, p, a.slot(), c, d), t.generation());
  }
}

/// Records `y = O(a, b)` on a recording tape, folding a constant operand where O has a folded
/// variant and otherwise recording it as a constant leaf (explain and the Hessian sweep read
/// both inputs' values).
template <class O>
XIGRAD_HOT Var record_binary(Tape& t, const Var& a, const Var& b, double y) {
  if (a.is_constant() && b.is_constant()) return Var(y);
  if constexpr (!std::is_void_v<typename O::fold_b>) {
    if (b.is_constant()) return record_folded<typename O::fold_b>(t, a, y, b.value());
  }
  if constexpr (!std::is_void_v<typename O::fold_a>) {
    if (a.is_constant()) return record_folded<typename O::fold_a>(t, b, y, a.value());
  }
  const double x = a.value(), z = b.value();
  const Index sa = a.is_constant() ? record_constant_leaf(x).slot() : a.slot();
  const Index sb = b.is_constant() ? record_constant_leaf(z).slot() : b.slot();
  return Var::recorded(y, t.push_binary(O::code, y, O::da(x, z, y), sa, O::db(x, z, y), sb),
                       t.generation());
}

/// y = O(a, c, d): an element-wise op of scalar_ops.hpp (with its folded constants, if any).
template <class O, class A>
class UnaryNode {
 public:
  using xi_expression_node = void;
  static constexpr unsigned kLeaves = detail::kLeaves<A>;

  XIGRAD_HOT explicit UnaryNode(const A& a, double c = 0.0, double d = 0.0)
      : a_(a), c_(c), d_(d), y_(O::value(a.value(), c, d)) {}

  double value() const noexcept { return y_; }

  XIGRAD_HOT void accumulate(StatementWriter& w, double partial) const {
    detail::accumulate(a_, w, partial * O::d1(a_.value(), y_, c_, d_));
  }
  XIGRAD_HOT void check_leaves(const Tape& t) const { detail::check_leaves(a_, t); }
  XIGRAD_HOT Var record_operations(Tape& t) const {
    const Var a = detail::record_operations(a_, t);
    if (a.is_constant()) return Var(y_);
    return record_folded<O>(t, a, y_, c_, d_);
  }

 private:
  A a_;
  double c_, d_;
  double y_;
};

/// y = O(a, b): a binary op of scalar_ops.hpp.
template <class O, class A, class B>
class BinaryNode {
 public:
  using xi_expression_node = void;
  static constexpr unsigned kLeaves = detail::kLeaves<A> + detail::kLeaves<B>;

  XIGRAD_HOT BinaryNode(const A& a, const B& b)
      : a_(a), b_(b), y_(O::value(a.value(), b.value())) {}

  double value() const noexcept { return y_; }

  XIGRAD_HOT void accumulate(StatementWriter& w, double partial) const {
    const double x = a_.value(), z = b_.value();
    detail::accumulate(a_, w, partial * O::da(x, z, y_));
    detail::accumulate(b_, w, partial * O::db(x, z, y_));
  }
  XIGRAD_HOT void check_leaves(const Tape& t) const {
    detail::check_leaves(a_, t);
    detail::check_leaves(b_, t);
  }
  XIGRAD_HOT Var record_operations(Tape& t) const {
    const Var a = detail::record_operations(a_, t);
    const Var b = detail::record_operations(b_, t);
    return record_binary<O>(t, a, b, y_);
  }

 private:
  A a_;
  B b_;
  double y_;
};

/// Records an expression assigned to a Var on the current tape, at the tape's granularity.
template <class E>
XIGRAD_HOT Var record_statement(Tape& t, const E& e) {
  if constexpr (E::kLeaves <= kMaxStatementOperands) {
    if (t.fuses_statements()) {
      StatementWriter w{t.begin_statement(E::kLeaves), node_id(0, t.generation())};
      e.accumulate(w, 1.0);
      if (w.maybe_foreign()) [[unlikely]]
        check_leaves(e, t);                     // throws if a leaf is from another recording
      if (w.slots == 0) return Var(e.value());  // every leaf was a constant
      t.note_partials(w.probe);
      return Var::recorded(e.value(), t.push_statement(w.n));
    }
  }
  if (!t.recording()) {
    check_leaves(e, t);
    return Var(e.value());
  }
  return e.record_operations(t);
}

/// `z += e` (sign +1) or `z -= e` (sign −1) at statement granularity when z is the statement
/// recorded last: one chain statement whose dependence on z is implied (see
/// chain_statement_op), as in the sums of a loop. Returns false, recording nothing, when that
/// does not apply.
template <class E>
XIGRAD_HOT bool accumulate_in_place(Tape& t, Var& z, const E& e, double sign) {
  if constexpr (kLeaves<E> <= kMaxStatementOperands) {
    // One compare: fusing, z is the last node, and z is of this recording (its generation is
    // in the key). A constant z (id 0) never matches.
    if (z.id() == t.chain_key()) {
      StatementWriter w{t.begin_statement(kLeaves<E>), z.id() & ~std::uint64_t{0xffffffff}};
      detail::accumulate(e, w, sign);
      if (w.maybe_foreign()) [[unlikely]]
        check_leaves(e, t);
      // The value as `z + e` / `z - e` computes it.
      const double y = sign > 0 ? z.value() + e.value() : z.value() - e.value();
      t.note_partials(w.probe);
      z = Var::recorded(y, t.push_chain_statement(z.id(), w.n));
      return true;
    }
  }
  return false;
}

#undef XIGRAD_HOT

}  // namespace detail
}  // namespace xi
