#include <xigrad/autodiff/tape.hpp>

#include <algorithm>
#include <atomic>
#include <string>

#include <fmt/format.h>

#include <xigrad/autodiff/parameter.hpp>
#include <xigrad/autodiff/var.hpp>

namespace xi {
namespace {

// Generations identify one recording of one tape. They come from a single counter so that no
// two recordings of any tapes share one; this is an id source, not state anyone reads.
std::uint32_t next_generation() {
  static std::atomic<std::uint32_t> counter{0};
  std::uint32_t g = counter.fetch_add(1, std::memory_order_relaxed) + 1;
  if (g == 0) g = counter.fetch_add(1, std::memory_order_relaxed) + 1;
  return g;
}

}  // namespace

namespace detail {
Tape& make_thread_default_tape() {
  thread_local std::unique_ptr<Tape> tape;
  if (!tape) tape = std::make_unique<Tape>();
  t_current_tape = tape.get();
  return *tape;
}
}  // namespace detail

Tape::Tape() : gen_(next_generation()) {
  op_.reserve(1, 0);
  value_.reserve(1, 0);
  op_[0] = Op::leaf;
  value_[0] = 0.0;
}

Tape::~Tape() {
  if (detail::t_current_tape == this) detail::t_current_tape = nullptr;
}

void Tape::clear() noexcept {
  n_slots_ = 1;
  n_operands_ = 0;
  n_consts_ = 0;
  tensors_.clear();
  arena_.reset();
  params_.clear();
  leaf_names_.clear();
  adjoint_slots_ = 0;
  statements_ = granularity_ == Granularity::statement;
  chain_key_ = kNoChain;
  nonfinite_partials_ = false;
  gen_ = next_generation();
}

namespace {

// The capacity Buffer::reserve(n) leaves (its doubling rule), to check the cap before growing.
std::size_t grown(std::size_t cap, std::size_t n) {
  return n > cap ? std::max({n, cap * 2, std::size_t{1024}}) : cap;
}

std::string bytes_text(std::size_t b) {
  return fmt::format("{} bytes ({:.1f} MiB)", b, static_cast<double>(b) / (1 << 20));
}

[[noreturn]] void throw_limit(std::size_t limit, std::size_t needed) {
  throw TapeError(
      fmt::format("the tape's memory limit of {} is reached: recording further needs {} "
                  "(Tape::set_max_bytes; in the xigrad command, --max-memory)",
                  bytes_text(limit), bytes_text(needed)));
}

}  // namespace

void detail::Arena::throw_arena_limit(std::size_t limit, std::size_t block) {
  throw TapeError(fmt::format(
      "the tape's memory limit is reached: tensor values need a new block of {}, and {} of the "
      "limit are left for them (Tape::set_max_bytes; in the xigrad command, --max-memory)",
      bytes_text(block), bytes_text(limit)));
}

void Tape::set_max_bytes(std::size_t bytes) {
  max_bytes_ = bytes;
  update_arena_limit();
}

// The arena may use what the cap leaves after the scalar buffers, the adjoints (one per slot)
// and the node list.
void Tape::update_arena_limit() {
  if (max_bytes_ == 0) {
    arena_.set_limit(~std::size_t{0});
    return;
  }
  const std::size_t scalar = op_.capacity() * (sizeof(Op) + 2 * sizeof(double)) +
                             partial_.capacity() * (sizeof(double) + sizeof(Index)) +
                             consts_.capacity() * sizeof(double) +
                             tensors_.capacity() * sizeof(TensorNode);
  arena_.set_limit(scalar >= max_bytes_ ? 0 : max_bytes_ - scalar);
}

void Tape::grow(std::size_t operands, std::size_t slots, std::size_t consts) {
  if (max_bytes_ != 0) check_growth(operands, slots, consts);
  partial_.reserve(n_operands_ + operands, n_operands_);
  input_.reserve(n_operands_ + operands, n_operands_);
  // The invariant of reserve_node: free slots ≥ free operands, and after clear() too.
  const std::size_t cap_operands = partial_.capacity();
  const std::size_t need =
      std::max(n_slots_ + slots + (cap_operands - n_operands_), cap_operands + 1);
  op_.reserve(need, n_slots_);
  value_.reserve(need, n_slots_);
  consts_.reserve(n_consts_ + consts, n_consts_);
  if (max_bytes_ != 0) update_arena_limit();
}

void Tape::check_growth(std::size_t operands, std::size_t slots, std::size_t consts) const {
  const std::size_t cap_operands = grown(partial_.capacity(), n_operands_ + operands);
  const std::size_t need_slots = grown(
      op_.capacity(), std::max(n_slots_ + slots + (cap_operands - n_operands_), cap_operands + 1));
  // op codes, values and (at backward) adjoints per slot; partial and input per operand.
  const std::size_t bytes = need_slots * (sizeof(Op) + 2 * sizeof(double)) +
                            cap_operands * (sizeof(double) + sizeof(Index)) +
                            grown(consts_.capacity(), n_consts_ + consts) * sizeof(double) +
                            tensors_.capacity() * sizeof(TensorNode) + arena_.bytes_reserved();
  if (bytes > max_bytes_) throw_limit(max_bytes_, bytes);
}

void Tape::throw_foreign(std::uint32_t gen) const {
  throw TapeError(fmt::format(
      "a value from another recording was used (its tape generation is {}, this thread's tape "
      "is at {}): the tape was cleared since it was computed, or it belongs to another "
      "thread's tape",
      gen, gen_));
}

Index Tape::push_leaf(double value) {
  reserve_slots(1);
  return push_node(Op::leaf, value);
}

Index Tape::push_constant(double value) {
  reserve_slots(1);
  const bool keep = keep_values_;
  keep_values_ = true;  // a constant's value is its whole meaning: always kept
  const Index s = push_node(Op::constant, value);
  keep_values_ = keep;
  return s;
}

TensorNode& Tape::push_tensor(const TensorOp& op, Shape shape) {
  const std::size_t n = shape.size();
  reserve_slots(n);
  TensorNode node;
  node.op = &op;
  node.slot = static_cast<Index>(n_slots_);
  node.shape = shape;
  node.value = arena_.allocate<double>(n);
  if (n > 0) op_[n_slots_] = Op::tensor;
  n_slots_ += n;
  chain_key_ = kNoChain;
  tensors_.push_back(node);
  return tensors_.back();
}

std::pair<Index, bool> Tape::register_parameter(const std::shared_ptr<detail::ParamData>& p) {
  for (const auto& [q, s] : params_) {
    if (q == p) return {s, false};
  }
  const Index n = static_cast<Index>(p->value.size());
  reserve_slots(n);
  const Index slot = static_cast<Index>(n_slots_);
  // A parameter is a leaf of n slots; its values stay in the parameter (not copied).
  for (Index i = 0; i < n; ++i) {
    op_[slot + i] = Op::leaf;
    if (keep_values_) value_[slot + i] = p->value.data()[i];
  }
  n_slots_ += n;
  chain_key_ = kNoChain;
  params_.emplace_back(p, slot);
  return {slot, true};
}

void Tape::name_leaf(Index slot, std::string name) {
  leaf_names_.emplace_back(slot, std::move(name));
}

const std::string* Tape::leaf_name(Index slot) const noexcept {
  for (const auto& [s, name] : leaf_names_) {
    if (s == slot) return &name;
  }
  return nullptr;
}

const TensorNode* Tape::tensor_at(Index slot) const noexcept {
  auto it = std::upper_bound(tensors_.begin(), tensors_.end(), slot,
                             [](Index s, const TensorNode& n) { return s < n.slot; });
  if (it == tensors_.begin()) return nullptr;
  --it;
  return slot < it->slot + it->shape.size() ? &*it : nullptr;
}

double Tape::value_at(Index slot) const {
  if (slot == 0 || slot >= n_slots_) {
    throw TapeError(fmt::format("slot {} is not a recorded value", slot));
  }
  if (const TensorNode* t = tensor_at(slot)) return t->value[slot - t->slot];
  if (is_statement(op_at(slot))) {
    throw TapeError(fmt::format(
        "slot {} is a statement node (Granularity::statement), which keeps no value", slot));
  }
  if (!keep_values_ && op_at(slot) != Op::constant) {
    throw TapeError(
        "this tape does not keep scalar values (Tape::set_keep_values(false)); record again "
        "with values kept to explain, check or differentiate twice");
  }
  return value_[slot];
}

double* Tape::prepare_adjoints() {
  adjoint_.reserve(n_slots_, 0);
  std::fill_n(adjoint_.data(), n_slots_, 0.0);
  return adjoint_.data();
}

TapeMemory Tape::memory() const noexcept {
  TapeMemory m;
  m.slots = n_slots_;
  m.operands = n_operands_;
  m.tensor_nodes = tensors_.size();
  std::size_t tensor_slots = 0;
  for (const auto& t : tensors_) tensor_slots += t.shape.size();
  m.scalar_nodes = n_slots_ - 1 - tensor_slots;
  std::size_t statements = 0;  // scalar slots only: a tensor's op code sits in its first slot
  auto t = tensors_.begin();
  for (std::size_t s = 1; s < n_slots_;) {
    if (t != tensors_.end() && t->slot == s) {
      s += (t++)->shape.size();
    } else {
      statements += is_statement(op_[s]) ? 1 : 0;
      ++s;
    }
  }
  const std::size_t valued = keep_values_ ? m.scalar_nodes - statements : 0;
  m.scalar_bytes = m.scalar_nodes * sizeof(Op) + valued * sizeof(double) +
                   n_operands_ * (sizeof(double) + sizeof(Index)) + n_consts_ * sizeof(double);
  m.arena_bytes = arena_.bytes_used();
  m.reserved_bytes = op_.capacity() * sizeof(Op) + value_.capacity() * sizeof(double) +
                     partial_.capacity() * sizeof(double) + input_.capacity() * sizeof(Index) +
                     consts_.capacity() * sizeof(double) + adjoint_.capacity() * sizeof(double) +
                     arena_.bytes_reserved() + tensors_.capacity() * sizeof(TensorNode);
  return m;
}

// ------------------------------------------------------------------ Var helpers

Var variable(double value) {
  Tape& t = Tape::current();
  return Var::recorded(value, t.push_leaf(value), t.generation());
}

Var variable(double value, std::string name) {
  Tape& t = Tape::current();
  const Index s = t.push_leaf(value);
  t.name_leaf(s, std::move(name));
  return Var::recorded(value, s, t.generation());
}

Var detail::record_constant_leaf(double value) {
  Tape& t = Tape::current();
  return Var::recorded(value, t.push_constant(value), t.generation());
}

void detail::throw_clamp_bounds(double lo, double hi) {
  throw Error(fmt::format("clamp: lower bound {} exceeds upper bound {}", lo, hi));
}

double Var::adjoint() const {
  if (is_constant()) return 0.0;
  const Tape& t = Tape::current();
  t.check(slot(), generation());
  if (!t.has_adjoints()) {
    throw TapeError("adjoint(): no backward pass has run on this recording since it changed");
  }
  return t.adjoints()[slot()];
}

}  // namespace xi
