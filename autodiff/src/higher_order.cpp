// Exact second derivatives by forward-over-reverse on the recorded tape (Griewank & Walther,
// "Evaluating Derivatives", ch. 5: second-order adjoints). One recording of f gives
//   1. the adjoints ȳ (the first-order reverse sweep),
//   2. tangents ẏ = J·V for K directions at once (a forward sweep with the stored partials and
//      each tensor op's jvp rule),
//   3. the tangents of the adjoints, ȳ̇ (a reverse sweep: for y = φ(a),
//      ā̇ += φ'(a)·ȳ̇ + ȳ·φ''(a)·ȧ, and each tensor op's soa rule),
// and at the leaves ẋ̄ = H·V. With V = I this is the Hessian, with V = v a Hessian-vector
// product. The first-order path is untouched: this file only reads what the tape recorded.

#include <algorithm>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include <xigrad/autodiff/grad.hpp>

namespace xi {
namespace {

constexpr std::size_t kMaxDirections = 64;  // directions per pass (bounds tangent memory)

// The recording tape and the tangent buffers are reused across calls on a thread: freshly
// allocated buffers of this size would be page-faulted in (and zeroed by the kernel) on every
// call, which costs more than the sweeps themselves. This is a cache, not state: every call
// clears it first, and a nested call (f itself calling hessian) gets a fresh one.
struct Recording {
  Tape tape;
  Tensor x;
  Var L;
  std::vector<double> adj, T, B;
  bool in_use = false;
};

class Workspace {
 public:
  Workspace() {
    thread_local Recording cached;
    r_ = cached.in_use ? &own_.emplace() : &cached;
    r_->in_use = true;
    r_->tape.clear();
    // The second-order sweep reads each op's second partials: one node per operation.
    r_->tape.set_granularity(Granularity::operation);
  }
  ~Workspace() { r_->in_use = false; }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  Recording& operator*() { return *r_; }

 private:
  std::optional<Recording> own_;
  Recording* r_;
};

// Forward tangent sweep: tangents (slots × K). Rows [seed_lo, seed_hi) are already seeded; every
// other row is written here (leaves and constants zeroed, tensor nodes by their jvp rule, which
// fills its block), so T need not be cleared beforehand.
void tangent_sweep(const Tape& tape, double* T, std::size_t K, Index seed_lo, Index seed_hi) {
  const Op* op = tape.op_codes();
  const double* partial = tape.partials();
  const Index* input = tape.inputs();
  const auto& tensors = tape.tensor_nodes();
  const Index n_slots = static_cast<Index>(tape.slot_count());
  std::size_t k = 0;
  auto t = tensors.begin();
  std::fill_n(T, K, 0.0);  // slot 0, the constant sink
  for (Index s = 1; s < n_slots;) {
    if (t != tensors.end() && t->slot == s) {
      t->op->jvp(*t, JvpArgs{K, T, T + std::size_t{s} * K});
      s = static_cast<Index>(s + t->shape.size());
      ++t;
      continue;
    }
    const unsigned arity = kArity[static_cast<std::size_t>(op[s])];
    double* out = T + std::size_t{s} * K;
    if (arity > 0) {
      std::fill_n(out, K, 0.0);
      for (unsigned j = 0; j < arity; ++j) {
        const double p = partial[k + j];
        const double* in = T + std::size_t{input[k + j]} * K;
        for (std::size_t d = 0; d < K; ++d) out[d] += p * in[d];
      }
    } else if (s < seed_lo || s >= seed_hi) {
      std::fill_n(out, K, 0.0);
    }
    k += arity;
    ++s;
  }
}

// Reverse second-order adjoint sweep: B (slots × K) seeded at the output (zero for a scalar
// output's ȳ̇), adj the first-order adjoints.
void soa_sweep(const Tape& tape, const double* adj, const double* T, double* B, std::size_t K) {
  const Op* op = tape.op_codes();
  const double* partial = tape.partials();
  const Index* input = tape.inputs();
  const double* consts = tape.consts();
  const auto& tensors = tape.tensor_nodes();
  std::size_t k = tape.operand_count();
  std::size_t c = tape.const_count();
  Index hi = static_cast<Index>(tape.slot_count());
  for (auto t = tensors.rbegin();; ++t) {
    const Index lo = t == tensors.rend() ? 1 : static_cast<Index>(t->slot + t->shape.size());
    for (Index n = hi; n-- > lo;) {
      const Op code = op[n];
      const unsigned arity = kArity[static_cast<std::size_t>(op[n])];
      k -= arity;
      c -= kConsts[static_cast<std::size_t>(op[n])];
      if (arity == 0) continue;
      const double ybar = adj[n];
      const double* ybd = B + std::size_t{n} * K;
      const OpInfo& info = op_info(code);
      double in[2] = {tape.value_at(input[k]), arity == 2 ? tape.value_at(input[k + 1]) : 0.0};
      double h[3] = {0, 0, 0};
      info.second(in, tape.value_at(n), consts + c, h);
      double* ab = B + std::size_t{input[k]} * K;
      const double* at = T + std::size_t{input[k]} * K;
      if (arity == 1) {
        const double p = partial[k], q = ybar * h[0];
        for (std::size_t d = 0; d < K; ++d) ab[d] += p * ybd[d] + q * at[d];
      } else {
        double* bb = B + std::size_t{input[k + 1]} * K;
        const double* bt = T + std::size_t{input[k + 1]} * K;
        const double pa = partial[k], pb = partial[k + 1];
        for (std::size_t d = 0; d < K; ++d) {
          const double y = ybd[d];
          const double ga = pa * y + ybar * (h[0] * at[d] + h[1] * bt[d]);
          const double gb = pb * y + ybar * (h[1] * at[d] + h[2] * bt[d]);
          ab[d] += ga;
          bb[d] += gb;
        }
      }
    }
    if (t == tensors.rend()) break;
    if (!t->op->has_second_order()) {
      throw MissingRuleError(fmt::format(
          "op '{}' has no second-order rule: it cannot be used in hessian or hvp", t->op->name()));
    }
    t->op->soa(*t, SoaArgs{K, adj + t->slot, B + std::size_t{t->slot} * K, T, B});
    hi = t->slot;
  }
}

void record(Recording& r, const ScalarFunction& f, const Vector& x) {
  Tape::Scope scope(r.tape);
  r.x = variable(x, "x");
  r.L = f(r.x);
}

// H·V for the columns of V (n × K), on an existing recording.
Matrix second_order(Recording& r, const Matrix& V) {
  const std::size_t n = static_cast<std::size_t>(V.rows());
  const std::size_t directions = static_cast<std::size_t>(V.cols());
  Matrix HV = Matrix::Zero(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(directions));
  if (r.L.is_constant()) return HV;
  Tape::Scope scope(r.tape);
  const Tape& tape = r.tape;
  const std::size_t slots = tape.slot_count();
  std::vector<double>& adj = r.adj;
  std::vector<double>& T = r.T;
  std::vector<double>& B = r.B;
  adj.assign(slots, 0.0);
  adj[r.L.slot()] = 1.0;
  reverse_sweep(tape, adj.data(), r.L.slot());
  adj[0] = 0.0;
  const Index x0 = r.x.slot();
  for (std::size_t first = 0; first < directions; first += kMaxDirections) {
    const std::size_t K = std::min(kMaxDirections, directions - first);
    T.resize(slots * K);  // every row is written by the seeding below or the sweep
    B.assign(slots * K, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t d = 0; d < K; ++d) {
        T[(x0 + i) * K + d] = V(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(first + d));
      }
    }
    tangent_sweep(tape, T.data(), K, x0, x0 + static_cast<Index>(n));
    soa_sweep(tape, adj.data(), T.data(), B.data(), K);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t d = 0; d < K; ++d) {
        HV(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(first + d)) =
            B[(x0 + i) * K + d];
      }
    }
  }
  return HV;
}

}  // namespace

Matrix hessian(const ScalarFunction& f, const Vector& x) {
  Workspace w;
  Recording& r = *w;
  record(r, f, x);
  const Eigen::Index n = x.size();
  Matrix H = second_order(r, Matrix::Identity(n, n));
  // Exact in exact arithmetic; symmetrise the rounding.
  return (0.5 * (H + H.transpose())).eval();
}

Vector hvp(const ScalarFunction& f, const Vector& x, const Vector& v) {
  if (v.size() != x.size()) {
    throw ShapeError(fmt::format("hvp: x has {} components but v has {}", x.size(), v.size()));
  }
  Workspace w;
  Recording& r = *w;
  record(r, f, x);
  Matrix V = v;
  return second_order(r, V).col(0);
}

Matrix jacobian(const VectorFunction& f, const Vector& x) {
  Tape tape;
  Tape::Scope scope(tape);
  const Tensor xv = variable(x, "x");
  const Tensor y = f(xv);
  const Eigen::Index n = x.size();
  const Eigen::Index m = static_cast<Eigen::Index>(y.size());
  Matrix J = Matrix::Zero(m, n);
  if (y.is_constant()) return J;
  const std::size_t slots = tape.slot_count();
  if (m <= n) {
    // One reverse sweep per output.
    std::vector<double> adj(slots);
    for (Eigen::Index i = 0; i < m; ++i) {
      std::fill(adj.begin(), adj.end(), 0.0);
      const Index out = y.slot() + static_cast<Index>(i);
      adj[out] = 1.0;
      reverse_sweep(tape, adj.data(), out);
      for (Eigen::Index j = 0; j < n; ++j) J(i, j) = adj[xv.slot() + j];
    }
  } else {
    // One forward sweep with n directions.
    const std::size_t K = static_cast<std::size_t>(n);
    std::vector<double> T(slots * K, 0.0);
    for (std::size_t j = 0; j < K; ++j) T[(xv.slot() + j) * K + j] = 1.0;
    tangent_sweep(tape, T.data(), K, xv.slot(), xv.slot() + static_cast<Index>(n));
    for (Eigen::Index i = 0; i < m; ++i) {
      for (Eigen::Index j = 0; j < n; ++j) J(i, j) = T[(y.slot() + i) * K + j];
    }
  }
  return J;
}

}  // namespace xi
