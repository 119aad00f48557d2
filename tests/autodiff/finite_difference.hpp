#pragma once
// Finite-difference oracles for the tests: central differences refined by Richardson
// extrapolation (Ridders' method, Numerical Recipes §5.7). The step starts at h0 (rounded down to
// a power of two, so that x ± h is exact whenever h ≥ ulp(x)) and halves per round; each round's
// central difference is extrapolated against the previous ones and the estimate with the
// smallest error estimate is kept. For smooth functions this reaches relative errors of 1e-10 or
// better, so tests can hold engine derivatives to ~1e-8.
//
//   double d = fd_derivative([](double x) { return std::sin(x); }, 0.3);           // cos(0.3)
//   xi::Vector g = fd_gradient(f, x);                                               // ∇f(x)
//   xi::Matrix H = fd_hessian_from_gradient(grad_f, x);                             // ∂(∇f)/∂x
//
// h0 (optional, 0 = automatic: 0.05·max(|x|, 1)) must keep x ± h0 inside the function's domain
// and away from kinks; pass a smaller one near a domain edge.

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include <xigrad/autodiff/matrix.hpp>

namespace xi::test {

namespace detail {

/// Ridders' extrapolation of the central differences of a vector-valued function of one
/// variable, t ↦ f(x + t), at t = 0. Returns the derivative per component; `error` (optional)
/// receives the per-component error estimates.
inline Vector ridders(const std::function<Vector(double)>& f, double h0, Vector* error = nullptr) {
  constexpr int kRounds = 12;
  constexpr double kShrink = 2.0, kShrink2 = kShrink * kShrink, kSafe = 2.0;
  h0 = std::exp2(std::floor(std::log2(h0)));
  const Vector first = (f(h0) - f(-h0)) / (2.0 * h0);
  const Eigen::Index m = first.size();
  Vector best = first;
  Vector err = Vector::Constant(m, std::numeric_limits<double>::max());
  std::vector<char> done(static_cast<std::size_t>(m), 0);
  // tableau[j][i]: j-th extrapolation of the i-th round, per component.
  std::array<std::array<Vector, kRounds>, kRounds> a;
  a[0][0] = first;
  double h = h0;
  for (int i = 1; i < kRounds; ++i) {
    h /= kShrink;
    a[0][i] = (f(h) - f(-h)) / (2.0 * h);
    double fac = kShrink2;
    for (int j = 1; j <= i; ++j) {
      a[j][i] = (a[j - 1][i] * fac - a[j - 1][i - 1]) / (fac - 1.0);
      fac *= kShrink2;
      for (Eigen::Index c = 0; c < m; ++c) {
        if (done[static_cast<std::size_t>(c)]) continue;
        const double e = std::max(std::abs(a[j][i][c] - a[j - 1][i][c]),
                                  std::abs(a[j][i][c] - a[j - 1][i - 1][c]));
        if (e <= err[c]) {
          err[c] = e;
          best[c] = a[j][i][c];
        }
      }
    }
    // Stop refining a component once higher order makes it worse (rounding has taken over).
    bool all_done = true;
    for (Eigen::Index c = 0; c < m; ++c) {
      auto& d = done[static_cast<std::size_t>(c)];
      if (!d && std::abs(a[i][i][c] - a[i - 1][i - 1][c]) >= kSafe * err[c]) d = 1;
      all_done = all_done && d;
    }
    if (all_done) break;
  }
  if (error != nullptr) *error = err;
  return best;
}

inline double default_step(double x) {
  return 0.05 * std::max(std::abs(x), 1.0);
}

}  // namespace detail

/// df/dx at x.
inline double fd_derivative(const std::function<double(double)>& f, double x, double h0 = 0.0) {
  if (h0 <= 0.0) h0 = detail::default_step(x);
  const Vector d = detail::ridders(
      [&](double t) {
        Vector v(1);
        v[0] = f(x + t);
        return v;
      },
      h0);
  return d[0];
}

/// ∇f(x), one extrapolated central difference per component.
inline Vector fd_gradient(const std::function<double(const Vector&)>& f, const Vector& x,
                          double h0 = 0.0) {
  Vector g(x.size());
  Vector xt = x;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double h = h0 > 0.0 ? h0 : detail::default_step(x[i]);
    const Vector d = detail::ridders(
        [&](double t) {
          xt[i] = x[i] + t;
          Vector v(1);
          v[0] = f(xt);
          xt[i] = x[i];
          return v;
        },
        h);
    g[i] = d[0];
  }
  return g;
}

/// The Hessian as the finite-difference Jacobian of a gradient function, symmetrised.
inline Matrix fd_hessian_from_gradient(const std::function<Vector(const Vector&)>& grad,
                                       const Vector& x, double h0 = 0.0) {
  const Eigen::Index n = x.size();
  Matrix H(n, n);
  Vector xt = x;
  for (Eigen::Index j = 0; j < n; ++j) {
    const double h = h0 > 0.0 ? h0 : detail::default_step(x[j]);
    const Vector col = detail::ridders(
        [&](double t) {
          xt[j] = x[j] + t;
          Vector g = grad(xt);
          xt[j] = x[j];
          return g;
        },
        h);
    H.col(j) = col;
  }
  return (0.5 * (H + H.transpose())).eval();
}

}  // namespace xi::test
