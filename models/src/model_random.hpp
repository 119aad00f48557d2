#pragma once
// Portable random draws for model initialisation: std::mt19937_64 (fixed by the standard) mapped
// to uniforms and Box–Muller normals by hand, as dataset.cpp does, so a seed gives the same
// initial weights with every standard library.

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>

namespace xi::models::detail {

inline double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11U) * 0x1.0p-53;
}

inline double standard_normal(std::mt19937_64& rng) {
  const double u1 = 1.0 - uniform01(rng);  // (0, 1]: the log is finite
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

/// SplitMix64 finaliser: decorrelates nearby seeds (seed 0, 1, 2 ...).
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31U);
}

}  // namespace xi::models::detail
