#pragma once
// The tape: a Wengert list of the nodes ξ1, ξ2, … recorded on one thread, in recording order.
//
// Storage. Every recorded value owns one or more adjoint *slots*: a scalar node one, a tensor
// node of n elements n consecutive ones; slot 0 is a sink that constants point to, so the reverse
// sweep never branches on "is this a constant". Per scalar slot the tape keeps the op code (and,
// unless values are turned off, the value); per recorded operand its local partial and input
// slot, stored at record time so the reverse sweep is one tight loop (the approach of Adept and
// CoDiPack); folded constants go to their own stream. Tensor nodes keep their values and saved
// intermediates in an arena. `clear()` forgets the nodes but keeps every buffer's capacity.
//
// Threads. Each thread records on its own current tape (a thread's default tape, or one made
// current with Tape::Scope). A Var remembers the generation of the tape it was recorded on, so
// using it after `clear()` or on another thread's tape is reported as a TapeError.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <xigrad/autodiff/detail/buffer.hpp>
#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/op_table.hpp>
#include <xigrad/autodiff/tensor_op.hpp>

namespace xi {

class Var;
class Tensor;
class Tape;
namespace detail {
struct ParamData;
inline thread_local Tape* t_current_tape = nullptr;
Tape& make_thread_default_tape();
}  // namespace detail

/// How scalar Var code is recorded (Tape::set_granularity).
enum class Granularity : std::uint8_t {
  /// One node per operation: the ξ chain that explain, to_dot and check_nodes show. The default.
  operation,
  /// One node per statement, i.e. per assignment to a Var (`z += w * x`, `L += log(1 + exp(-z))`):
  /// the operations of the statement are expression templates whose partials are multiplied out
  /// when it is recorded, as Adept and CoDiPack do. Fewer nodes and a faster gradient; explain,
  /// to_dot and check_nodes need `operation`, and so does the Hessian (which records its own).
  statement,
};

/// Where a statement node's operands go while it is recorded (see Tape::begin_statement).
struct StatementCursor {
  double* partial;
  Index* input;
};

/// A recorded value's slot and its recording's generation in one word, as a Var holds them.
constexpr std::uint64_t node_id(Index slot, std::uint32_t generation) noexcept {
  return std::uint64_t{slot} | std::uint64_t{generation} << 32;
}

/// Bytes the tape holds, for reporting (see bench/).
struct TapeMemory {
  std::size_t slots = 0;         // adjoint slots in use
  std::size_t scalar_nodes = 0;  // recorded scalar nodes
  std::size_t operands = 0;      // recorded scalar operands
  std::size_t scalar_bytes = 0;  // bytes used by scalar nodes and operands
  std::size_t tensor_nodes = 0;
  std::size_t arena_bytes = 0;     // bytes of tensor values and saved data in use
  std::size_t reserved_bytes = 0;  // capacity held by every buffer
};

class Tape {
 public:
  Tape();
  ~Tape();
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  /// The tape this thread records on.
  static Tape& current() {
    Tape* t = detail::t_current_tape;
    return t != nullptr ? *t : detail::make_thread_default_tape();
  }

  /// Makes a tape current on this thread for the scope's lifetime (restoring the previous one).
  class Scope {
   public:
    explicit Scope(Tape& tape) noexcept : previous_(detail::t_current_tape) {
      detail::t_current_tape = &tape;
    }
    ~Scope() { detail::t_current_tape = previous_; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Tape* previous_;
  };

  /// Forgets every node (all Vars and Tensors of this tape become invalid) and keeps capacity.
  void clear() noexcept;

  /// Whether scalar node values are recorded (default true). They are needed by explain,
  /// node-level checks and the Hessian sweep; turning them off saves 8 bytes per scalar node.
  /// Statement nodes (Granularity::statement) never keep theirs: nothing that reads values
  /// accepts them.
  void set_keep_values(bool keep) noexcept { keep_values_ = keep; }
  bool keep_values() const noexcept { return keep_values_; }

  /// One node per operation (default) or per statement; see Granularity. Takes effect for what
  /// is recorded next, so a recording may mix the two.
  void set_granularity(Granularity g) noexcept {
    granularity_ = g;
    statements_ = statements_ || g == Granularity::statement;
    update_fuse();
  }
  Granularity granularity() const noexcept { return granularity_; }

  /// Number of adjoint slots in use (slot 0 is the constant sink).
  std::size_t slot_count() const noexcept { return n_slots_; }
  /// Generation of this tape's current recording; changes at every clear().
  std::uint32_t generation() const noexcept { return gen_; }
  TapeMemory memory() const noexcept;
  /// Caps the bytes this tape may reserve (every buffer, the arena and the adjoints: what
  /// memory().reserved_bytes reports); 0, the default, means no cap. Recording past the cap is
  /// a TapeError naming it, thrown before the allocation that would exceed it; the tape stays
  /// usable after clear(). Checked only when a buffer grows, never per node.
  void set_max_bytes(std::size_t bytes);
  std::size_t max_bytes() const noexcept { return max_bytes_; }

  // ---------------------------------------------------------------- recording (internal API)
  bool recording() const noexcept { return no_grad_depth_ == 0; }
  /// Recording, one node per statement (the one flag the statement hot path reads).
  bool fuses_statements() const noexcept { return fuse_; }
  /// node_id of the last node when it is a statement that a chain statement may follow
  /// (`z += e` with z that node), and kNoChain otherwise: one compare decides that case.
  std::uint64_t chain_key() const noexcept { return chain_key_; }
  static constexpr std::uint64_t kNoChain = ~std::uint64_t{0};

  /// Checks that a value recorded with generation `gen` at `slot` belongs to this tape's
  /// current recording; constants (slot 0) always do.
  void check(Index slot, std::uint32_t gen) const {
    if (slot != 0 && gen != gen_) throw_foreign(gen);
  }

  Index push_leaf(double value);
  Index push_constant(double value);
  Index push_unary(Op op, double value, double partial, Index a) {
    reserve_node(1, 0);
    note_partials(0.0 * partial);
    partial_[n_operands_] = partial;
    input_[n_operands_] = a;
    ++n_operands_;
    return push_node(op, value);
  }
  /// A unary node with one or two folded constants.
  Index push_unary_c(Op op, double value, double partial, Index a, double c) {
    reserve_node(1, 1);
    note_partials(0.0 * partial);
    consts_[n_consts_++] = c;
    partial_[n_operands_] = partial;
    input_[n_operands_] = a;
    ++n_operands_;
    return push_node(op, value);
  }
  Index push_unary_cc(Op op, double value, double partial, Index a, double c, double d) {
    reserve_node(1, 2);
    note_partials(0.0 * partial);
    consts_[n_consts_] = c;
    consts_[n_consts_ + 1] = d;
    n_consts_ += 2;
    partial_[n_operands_] = partial;
    input_[n_operands_] = a;
    ++n_operands_;
    return push_node(op, value);
  }
  Index push_binary(Op op, double value, double pa, Index a, double pb, Index b) {
    reserve_node(2, 0);
    note_partials(0.0 * pa * pb);
    partial_[n_operands_] = pa;
    input_[n_operands_] = a;
    partial_[n_operands_ + 1] = pb;
    input_[n_operands_ + 1] = b;
    n_operands_ += 2;
    return push_node(op, value);
  }

  /// Room for a statement node of `operands` ≥ 1 operands; write them at the cursor and then
  /// call push_statement / push_chain_statement.
  StatementCursor begin_statement(std::size_t operands) {
    reserve_node(operands, 0);
    return {partial_.data() + n_operands_, input_.data() + n_operands_};
  }
  // Statement nodes keep no value: what reads values (explain, node checks, the Hessian) needs
  // one node per operation. Both return the new node's node_id.
  std::uint64_t push_statement(unsigned operands) {
    n_operands_ += operands;
    const Index s = static_cast<Index>(n_slots_++);
    op_[s] = statement_op(operands);
    chain_key_ = node_id(s, gen_);
    return chain_key_;
  }
  /// A statement that also depends, with partial 1, on the node recorded just before it,
  /// whose node_id is `last` == chain_key().
  std::uint64_t push_chain_statement(std::uint64_t last, unsigned operands) {
    n_operands_ += operands;
    // Slot and key from `last` (a register in the caller's loop) rather than from the tape's
    // counters: a loop of `z += ...` then has no store-to-load chain through them.
    const std::uint64_t id = last + 1;
    const auto s = static_cast<Index>(id);
    n_slots_ = std::size_t{s} + 1;
    op_[s] = chain_statement_op(operands);
    chain_key_ = id;
    return id;
  }
  /// Records that `probe`, 0 times a node's partials, is NaN: a partial is infinite or NaN.
  void note_partials(double probe) noexcept {
    if (probe != probe) [[unlikely]]
      nonfinite_partials_ = true;
  }
  /// Whether a scalar partial of this recording is infinite or NaN. Only then must the reverse
  /// sweep skip nodes whose adjoint is zero (0 · inf would be NaN where nothing flows); a test
  /// per node that it otherwise saves.
  bool has_nonfinite_partials() const noexcept { return nonfinite_partials_; }
  /// Whether this recording may have statement nodes (the reverse sweep then takes its general
  /// loop): statement granularity was on at some point since clear().
  bool has_statements() const noexcept { return statements_; }

  /// Reserves `size` slots for a tensor node and returns it to be filled in; its value array is
  /// allocated in the arena.
  TensorNode& push_tensor(const TensorOp& op, Shape shape);
  detail::Arena& arena() noexcept { return arena_; }

  /// Records a parameter as a leaf of this recording (once per recording) and returns its first
  /// slot and whether it was recorded just now. The slots live in this tape, not in the
  /// parameter, so that other threads' tapes may record the same parameter at the same time.
  std::pair<Index, bool> register_parameter(const std::shared_ptr<detail::ParamData>& p);
  /// Names a leaf for explain / to_dot.
  void name_leaf(Index slot, std::string name);

  // ---------------------------------------------------------------- reading (internal API)
  Op op_at(Index slot) const noexcept { return op_[slot]; }
  /// The recorded value at a slot (scalar node, leaf, or an element of a tensor node).
  double value_at(Index slot) const;
  /// The tensor node that owns a slot, or null for a scalar slot.
  const TensorNode* tensor_at(Index slot) const noexcept;
  const std::vector<TensorNode>& tensor_nodes() const noexcept { return tensors_; }
  const std::string* leaf_name(Index slot) const noexcept;

  // Raw views used by the sweeps in backward.cpp / higher_order.cpp / explain.cpp.
  const Op* op_codes() const noexcept { return op_.data(); }
  const double* partials() const noexcept { return partial_.data(); }
  const Index* inputs() const noexcept { return input_.data(); }
  const double* consts() const noexcept { return consts_.data(); }
  const double* values() const noexcept { return value_.data(); }
  std::size_t operand_count() const noexcept { return n_operands_; }
  std::size_t const_count() const noexcept { return n_consts_; }

  /// Adjoints of the last backward pass on this recording (size slot_count()).
  const double* adjoints() const noexcept { return adjoint_.data(); }
  /// True when the adjoints are those of the current recording (nothing recorded since).
  bool has_adjoints() const noexcept { return adjoint_slots_ == n_slots_; }
  double* prepare_adjoints();  // zeroed, sized slot_count()
  void mark_adjoints_valid() noexcept { adjoint_slots_ = n_slots_; }
  /// Parameters recorded as leaves, with their first slot.
  const std::vector<std::pair<std::shared_ptr<detail::ParamData>, Index>>& parameters()
      const noexcept {
    return params_;
  }

  // no_grad bookkeeping (see NoGrad in var.hpp)
  void enter_no_grad() noexcept {
    ++no_grad_depth_;
    update_fuse();
  }
  void leave_no_grad() noexcept {
    --no_grad_depth_;
    update_fuse();
  }

 private:
  // Capacity invariant: at least as many free slots as free operands, and more slots than
  // operands in all (so that it survives clear()). A node with one or more operands then needs
  // only its operands checked, one compare on the recording hot path; what takes slots without
  // operands (leaves, tensors, parameters) checks with reserve_slots. grow() keeps it.
  void reserve_node(std::size_t operands, std::size_t consts) {
    if (n_operands_ + operands > partial_.capacity() ||
        (consts != 0 && n_consts_ + consts > consts_.capacity())) [[unlikely]]
      grow(operands, 1, consts);
  }
  void reserve_slots(std::size_t slots) {
    if (n_slots_ + slots + (partial_.capacity() - n_operands_) > op_.capacity()) [[unlikely]]
      grow(0, slots, 0);
  }
  Index push_op(Op op) {
    const Index s = static_cast<Index>(n_slots_++);
    op_[s] = op;
    chain_key_ = kNoChain;
    return s;
  }
  Index push_node(Op op, double value) {
    const Index s = push_op(op);
    if (keep_values_) value_[s] = value;
    return s;
  }
  void update_fuse() noexcept {
    fuse_ = granularity_ == Granularity::statement && no_grad_depth_ == 0;
    chain_key_ = kNoChain;
  }
  [[gnu::noinline]] void grow(std::size_t operands, std::size_t slots, std::size_t consts);
  void check_growth(std::size_t operands, std::size_t slots, std::size_t consts) const;
  void update_arena_limit();
  [[noreturn]] void throw_foreign(std::uint32_t gen) const;

  // Op (not std::uint8_t): a char-typed store would alias every field and defeat register
  // allocation in the recording hot path.
  detail::Buffer<Op> op_;
  detail::Buffer<double> value_;
  detail::Buffer<double> partial_;
  detail::Buffer<Index> input_;
  detail::Buffer<double> consts_;
  detail::Buffer<double> adjoint_;
  std::size_t n_slots_ = 1;
  std::size_t n_operands_ = 0;
  std::size_t n_consts_ = 0;
  std::vector<TensorNode> tensors_;
  detail::Arena arena_;
  std::vector<std::pair<std::shared_ptr<detail::ParamData>, Index>> params_;
  std::vector<std::pair<Index, std::string>> leaf_names_;
  std::uint32_t gen_;
  int no_grad_depth_ = 0;
  bool keep_values_ = true;
  Granularity granularity_ = Granularity::operation;
  bool fuse_ = false;
  bool statements_ = false;  // statement granularity was on since clear()
  bool nonfinite_partials_ = false;
  std::uint64_t chain_key_ = kNoChain;
  std::size_t adjoint_slots_ = 0;  // slot count the adjoints were computed for (0: none)
  std::size_t max_bytes_ = 0;      // 0: no cap
};

}  // namespace xi
