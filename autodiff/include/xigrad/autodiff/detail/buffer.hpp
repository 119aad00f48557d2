#pragma once
// A growable array of trivially copyable values that keeps its capacity when the tape is
// cleared, so a training loop reaches a steady state with no allocation per iteration.

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

namespace xi::detail {

template <class T>
class Buffer {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  T* data() noexcept { return data_.get(); }
  const T* data() const noexcept { return data_.get(); }
  std::size_t capacity() const noexcept { return capacity_; }
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }

  /// Makes room for at least `n` elements, keeping the first `used` (doubling growth).
  void reserve(std::size_t n, std::size_t used) {
    if (n > capacity_) [[unlikely]]
      grow(n, used);
  }

  // Out of line so the recording hot path stays small.
  [[gnu::noinline]] void grow(std::size_t n, std::size_t used) {
    const std::size_t cap = std::max({n, capacity_ * 2, std::size_t{1024}});
    auto grown = std::make_unique_for_overwrite<T[]>(cap);
    if (used > 0) std::memcpy(grown.get(), data_.get(), used * sizeof(T));
    data_ = std::move(grown);
    capacity_ = cap;
  }

 private:
  std::unique_ptr<T[]> data_;
  std::size_t capacity_ = 0;
};

/// Bump allocator for tensor values and saved data, 64-byte aligned. Blocks are kept across
/// `reset()` and reused in order, so repeating the same computation allocates nothing; pointers
/// stay valid until `reset()`.
class Arena {
 public:
  template <class T>
  T* allocate(std::size_t n) {
    static_assert(std::is_trivially_copyable_v<T>);
    return reinterpret_cast<T*>(allocate_bytes(std::max<std::size_t>(n, 1) * sizeof(T)));
  }
  void reset() noexcept {
    for (auto& b : blocks_) b.used = 0;
    block_ = 0;
  }
  /// The most bytes the arena may reserve (a new block beyond it is a TapeError, thrown before
  /// the allocation); the tape sets it from Tape::set_max_bytes.
  void set_limit(std::size_t bytes) noexcept { limit_ = bytes; }
  std::size_t bytes_reserved() const noexcept {
    std::size_t s = 0;
    for (const auto& b : blocks_) s += b.size;
    return s;
  }
  std::size_t bytes_used() const noexcept {
    std::size_t s = 0;
    for (const auto& b : blocks_) s += b.used;
    return s;
  }

 private:
  static constexpr std::size_t kAlign = 64;
  static constexpr std::size_t kBlockBytes = std::size_t{1} << 19;
  struct Free {
    void operator()(std::byte* p) const noexcept { std::free(p); }
  };
  struct Block {
    std::unique_ptr<std::byte[], Free> data;
    std::size_t size = 0;
    std::size_t used = 0;
  };

  std::byte* allocate_bytes(std::size_t bytes) {
    bytes = (bytes + kAlign - 1) / kAlign * kAlign;
    while (block_ < blocks_.size()) {
      Block& b = blocks_[block_];
      if (b.used + bytes <= b.size) {
        std::byte* p = b.data.get() + b.used;
        b.used += bytes;
        return p;
      }
      ++block_;
    }
    const std::size_t size = std::max(bytes, kBlockBytes);
    if (limit_ != kNoLimit && (size > limit_ || bytes_reserved() > limit_ - size)) [[unlikely]]
      throw_arena_limit(limit_, size);
    auto* raw = static_cast<std::byte*>(std::aligned_alloc(kAlign, size));
    if (raw == nullptr) throw std::bad_alloc();
    blocks_.push_back(Block{std::unique_ptr<std::byte[], Free>(raw), size, bytes});
    block_ = blocks_.size() - 1;
    return raw;
  }

  static constexpr std::size_t kNoLimit = ~std::size_t{0};
  [[noreturn]] static void throw_arena_limit(std::size_t limit, std::size_t block);

  std::vector<Block> blocks_;
  std::size_t block_ = 0;
  std::size_t limit_ = kNoLimit;
};

}  // namespace xi::detail
