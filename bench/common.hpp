#pragma once
// Shared pieces of the benchmarks: seeded data (X ~ N(0, 1), labels s ∈ {−1, +1} drawn from a
// logistic model), the numerically stable scalar helpers the hand-derived references use, and the
// check every engine variant runs once, outside the timed loop, before it is timed.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <xigrad/autodiff/matrix.hpp>
#include <xigrad/autodiff/shape.hpp>

namespace xi::bench {

/// A logistic-regression data set and the point where gradients are taken.
struct LogisticData {
  Matrix X;       // n × d, row-major, X_ij ~ N(0, 1)
  Vector s;       // n labels in {−1, +1}: P(s_i = +1) = σ(x_i · w_true)
  Vector w_true;  // the model the labels come from, w_true_j ~ N(0, 4/d)
  Vector w;       // where gradients / Hessians are evaluated, w_j ~ N(0, 1/d)
};

/// The same n, d and seed give the same data on every run and in every workload.
inline LogisticData logistic_data(Eigen::Index n, Eigen::Index d, std::uint64_t seed = 20240611) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  LogisticData data;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  data.w_true.resize(d);
  for (Eigen::Index j = 0; j < d; ++j) data.w_true[j] = 2.0 * scale * normal(rng);
  data.w.resize(d);
  for (Eigen::Index j = 0; j < d; ++j) data.w[j] = scale * normal(rng);
  data.X.resize(n, d);
  data.s.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) data.X(i, j) = normal(rng);
    const double p = 1.0 / (1.0 + std::exp(-data.X.row(i).dot(data.w_true)));
    data.s[i] = uniform(rng) < p ? 1.0 : -1.0;
  }
  return data;
}

/// A (rows × cols) matrix of N(0, 1) draws times `scale` (He initialisation: √(2 / fan_in)).
inline Matrix normal_matrix(Eigen::Index rows, Eigen::Index cols, double scale,
                            std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = scale * normal(rng);
  return m;
}

/// Class labels in [0, classes) drawn uniformly.
inline std::vector<Index> class_labels(std::size_t n, Index classes, std::mt19937_64& rng) {
  std::uniform_int_distribution<Index> pick(0, classes - 1);
  std::vector<Index> labels(n);
  for (auto& l : labels) l = pick(rng);
  return labels;
}

// ------------------------------------------------------------------ stable scalar helpers
/// softplus(t) = log(1 + eᵗ) and σ(t) from one exponential: e = exp(−|t|).
struct SoftplusSigmoid {
  double softplus;
  double sigmoid;
};
inline SoftplusSigmoid softplus_sigmoid(double t) {
  const double e = std::exp(-std::abs(t));
  const double r = 1.0 / (1.0 + e);
  return {std::max(t, 0.0) + std::log1p(e), t >= 0 ? r : e * r};
}

// ------------------------------------------------------------------ checking
/// max |a − b| / max |b|: the error relative to the reference's largest component.
template <class A, class B>
double rel_error(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return HUGE_VAL;
  const double scale = std::max(b.cwiseAbs().maxCoeff(), 1e-300);
  return (a - b).cwiseAbs().maxCoeff() / scale;
}

inline constexpr double kTolerance = 1e-9;

/// Stops the benchmark with an error unless `engine` matches the hand-derived `hand`
/// (what: a name for the message). Returns true when they match.
template <class A, class B>
bool verify(benchmark::State& state, const char* what, const Eigen::MatrixBase<A>& engine,
            const Eigen::MatrixBase<B>& hand, double tol = kTolerance) {
  const double err = rel_error(engine, hand);
  if (err <= tol) return true;
  // benchmark 1.7 keeps the message's pointer: keep every message alive.
  static std::deque<std::string> messages;
  messages.push_back(
      fmt::format("{}: engine and hand-derived results differ (relative error {:.3g}, "
                  "tolerance {:.0e})",
                  what, err, tol));
  state.SkipWithError(messages.back().c_str());
  return false;
}

inline bool verify_value(benchmark::State& state, const char* what, double engine, double hand,
                         double tol = kTolerance) {
  Eigen::Matrix<double, 1, 1> a, b;
  a(0) = engine;
  b(0) = hand;
  return verify(state, what, a, b, tol);
}

}  // namespace xi::bench
