// The first-order reverse sweep: nodes in reverse recording order; scalar runs are one tight loop
// over the stored partials, tensor nodes call their vector–Jacobian rule.

#include <xigrad/autodiff/grad.hpp>

#include <mutex>

#include <fmt/format.h>

#include <xigrad/autodiff/explain.hpp>

namespace xi {

namespace {

// The scalar nodes of slots [lo, hi), in reverse; `k` is the operand cursor (moved down) and
// `carry` the contribution owed to slot lo − 1. Most nodes feed the node recorded just before
// them; that contribution is carried in a register instead of stored and reloaded (a
// store-to-load dependency chain), and the first one is assigned rather than added to 0, which
// would put an add on the critical path of every chain step. Instantiated without statement
// nodes (at most two operands, unrolled) and with them (any number), each with and without the
// test for zero adjoints (kSkipZero, needed only when a partial is not finite).
template <bool kStatements, bool kSkipZero>
void sweep_scalars(const Op* op, const double* partial, const Index* input, double* adj, Index lo,
                   Index hi, std::size_t& k, double& carry) {
  for (Index n = hi; n-- > lo;) {
    const Op code = op[n];
    const double a = adj[n] + carry;
    adj[n] = a;
    // Operand j's share, added to the carry when it is the node just before.
    auto pass = [&](const double* p, const Index* in, unsigned j) {
      const double c = p[j] * a;
      if (in[j] == n - 1) {
        carry += c;
      } else {
        adj[in[j]] += c;
      }
    };
    if constexpr (kStatements) {
      // `z += w * x`, the commonest statement: one compare on the op code, arity known.
      if (code == chain_statement_op(1)) {
        k -= 1;
        carry = a;  // the implied operand: the node before it, partial 1
        if (!kSkipZero || a != 0.0) pass(partial + k, input + k, 0);
        continue;
      }
    }
    const unsigned arity = kArity[static_cast<std::size_t>(code)];
    k -= arity;
    carry = 0.0;
    // A node the output does not depend on passes nothing back, even where its partial is
    // infinite (0 · inf would otherwise turn its inputs' adjoints into NaN). Tested only when
    // the recording has such a partial: otherwise 0 · p adds 0, and the test costs a branch
    // per node.
    if (kSkipZero && a == 0.0) continue;
    const double* p = partial + k;
    const Index* in = input + k;
    if constexpr (kStatements) {
      if (is_chain_statement(code)) {
        carry = a;
        for (unsigned j = 0; j < arity; ++j) pass(p, in, j);
        continue;
      }
      if (arity > 2) {
        for (unsigned j = 0; j < arity; ++j) pass(p, in, j);
        continue;
      }
    }
    // At most two operands: every operation node and small statements. The first share owed
    // to the node before is assigned, not added to 0 (an add on the critical path).
    if (arity >= 1) {
      const double c = p[0] * a;
      if (in[0] == n - 1) {
        carry = c;
      } else {
        adj[in[0]] += c;
      }
    }
    if (arity == 2) pass(p, in, 1);
  }
}

}  // namespace

void reverse_sweep(const Tape& tape, double* adj, Index from_slot) {
  const Op* op = tape.op_codes();
  const double* partial = tape.partials();
  const Index* input = tape.inputs();
  std::size_t k = tape.operand_count();
  const auto& tensors = tape.tensor_nodes();
  Index hi = static_cast<Index>(tape.slot_count());  // sweep slots below hi

  // Nodes recorded after the output cannot contribute: skip them, moving the operand cursor.
  auto t = tensors.rbegin();
  for (; t != tensors.rend() && t->slot > from_slot; ++t) {
    for (Index n = hi; n-- > t->slot + t->shape.size();)
      k -= kArity[static_cast<std::size_t>(op[n])];
    hi = t->slot;
  }
  Index stop = from_slot + 1;
  if (t != tensors.rend() && from_slot < t->slot + t->shape.size()) {
    stop = static_cast<Index>(t->slot + t->shape.size());  // the output is inside this tensor
  }
  for (Index n = hi; n-- > stop;) k -= kArity[static_cast<std::size_t>(op[n])];
  hi = stop;

  for (;; ++t) {
    const Index lo = t == tensors.rend() ? 1 : static_cast<Index>(t->slot + t->shape.size());
    double carry = 0.0;
    const bool statements = tape.has_statements(), skip = tape.has_nonfinite_partials();
    if (statements && skip) {
      sweep_scalars<true, true>(op, partial, input, adj, lo, hi, k, carry);
    } else if (statements) {
      sweep_scalars<true, false>(op, partial, input, adj, lo, hi, k, carry);
    } else if (skip) {
      sweep_scalars<false, true>(op, partial, input, adj, lo, hi, k, carry);
    } else {
      sweep_scalars<false, false>(op, partial, input, adj, lo, hi, k, carry);
    }
    if (lo > 1) adj[lo - 1] += carry;
    if (t == tensors.rend()) break;
    t->op->vjp(*t, VjpArgs{adj + t->slot, adj});
    hi = t->slot;
  }
}

namespace {

Tape& tape_of(const Var& L, const char* what) {
  Tape& tape = Tape::current();
  if (L.is_constant()) {
    throw TapeError(fmt::format(
        "{}: the output is a constant (it depends on no variable, or was computed under NoGrad)",
        what));
  }
  tape.check(L.slot(), L.generation());
  return tape;
}

double* sweep_from(Tape& tape, const Var& L) {
  double* adj = tape.prepare_adjoints();
  adj[L.slot()] = 1.0;
  reverse_sweep(tape, adj, L.slot());
  adj[0] = 0.0;  // the constant sink
  tape.mark_adjoints_valid();
  return adj;
}

}  // namespace

void backward(const Var& L, bool check_finite) {
  Tape& tape = tape_of(L, "backward");
  const double* adj = sweep_from(tape, L);
  if (check_finite) throw_if_not_finite(tape, L);
  for (const auto& [p, slot] : tape.parameters()) {
    const std::lock_guard lock(p->grad_mutex);  // other threads' tapes may share p
    double* g = p->grad.data();
    const std::size_t n = p->shape.size();
    for (std::size_t i = 0; i < n; ++i) g[i] += adj[slot + i];
  }
}

double grad(const Var& L, const Var& x) {
  Tape& tape = tape_of(L, "grad");
  if (x.is_constant()) return 0.0;
  tape.check(x.slot(), x.generation());
  return sweep_from(tape, L)[x.slot()];
}

std::vector<double> grad(const Var& L, std::span<const Var> xs) {
  Tape& tape = tape_of(L, "grad");
  for (const Var& x : xs) tape.check(x.slot(), x.generation());
  const double* adj = sweep_from(tape, L);
  std::vector<double> out;
  out.reserve(xs.size());
  for (const Var& x : xs) out.push_back(x.is_constant() ? 0.0 : adj[x.slot()]);
  return out;
}

Matrix grad(const Var& L, const Tensor& x) {
  Tape& tape = tape_of(L, "grad");
  x.check(tape);
  sweep_from(tape, L);
  return x.adjoint();
}

ValueAndGradient value_and_grad(const ScalarFunction& f, const Vector& x) {
  Tape tape;
  Tape::Scope scope(tape);
  const Tensor xv = variable(x, "x");
  const Var L = f(xv);
  ValueAndGradient out;
  out.value = L.value();
  out.gradient = Vector::Zero(x.size());
  if (L.is_constant()) return out;
  tape.check(L.slot(), L.generation());
  const double* adj = sweep_from(tape, L);
  for (Eigen::Index i = 0; i < x.size(); ++i) out.gradient[i] = adj[xv.slot() + i];
  return out;
}

}  // namespace xi
