#pragma once
// Shapes of tape values. xigrad values are scalars (rank 0), vectors (rank 1) or row-major
// matrices (rank 2); that covers parameters, batches of examples and their activations.

#include <cstddef>
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace xi {

using Index = std::uint32_t;

/// The shape of a value: rank 0 (scalar), 1 (vector of `cols`... stored as rows x cols) or 2.
/// A rank-1 shape of n elements is stored as rows = 1, cols = n so that a vector broadcasts
/// against the rows of a matrix, as in NumPy.
struct Shape {
  Index rows = 1;
  Index cols = 1;
  std::uint8_t rank = 0;

  static constexpr Shape scalar() { return {1, 1, 0}; }
  static constexpr Shape vector(Index n) { return {1, n, 1}; }
  static constexpr Shape matrix(Index r, Index c) { return {r, c, 2}; }

  constexpr std::size_t size() const { return std::size_t{rows} * cols; }
  constexpr bool is_scalar() const { return rank == 0; }
  friend constexpr bool operator==(const Shape&, const Shape&) = default;
};

/// "()", "(5)" or "(3, 4)", as NumPy prints shapes.
inline std::string to_string(const Shape& s) {
  switch (s.rank) {
    case 0:
      return "()";
    case 1:
      return fmt::format("({})", s.cols);
    default:
      return fmt::format("({}, {})", s.rows, s.cols);
  }
}

}  // namespace xi

template <>
struct fmt::formatter<xi::Shape> : fmt::formatter<std::string> {
  auto format(const xi::Shape& s, format_context& ctx) const {
    return fmt::formatter<std::string>::format(xi::to_string(s), ctx);
  }
};
