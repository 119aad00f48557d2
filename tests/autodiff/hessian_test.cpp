// Second order: the Hessian of the seeds' 3-point regression (minimum at (8/7, 9/14), eigenvalues
// 13 ± √113), Rosenbrock, quadratic forms, Hessian-vector products, Jacobians on both of their
// paths (reverse sweeps for m ≤ n, forward tangents for m > n) and Hessians through tensor ops.

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include <Eigen/Eigenvalues>

#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/tensor.hpp>
#include <xigrad/autodiff/var.hpp>

#include "finite_difference.hpp"

namespace {

using xi::Matrix;
using xi::Tensor;
using xi::Var;
using xi::Vector;

/// The seeds' (x, y) = (0, 1), (1, 2), (3, 3) fitted by a line ŷ = b0 + b1·x with square loss:
/// L(b0, b1) = (1 − b0)² + (2 − b0 − b1)² + (3 − b0 − 3·b1)².
Var regression_loss(const Tensor& b) {
  const Var b0 = b[0], b1 = b[1];
  return xi::square(1 - b0) + xi::square(2 - b0 - b1) + xi::square(3 - b0 - 3 * b1);
}

/// The same loss written with tensors over the data.
Var regression_loss_tensor(const Tensor& b) {
  static const Vector xs{{0.0, 1.0, 3.0}}, ys{{1.0, 2.0, 3.0}};
  const Tensor pred = b[0] + b[1] * xi::borrow(xs);
  return xi::sum(xi::square(xi::borrow(ys) - pred));
}

TEST(Hessian, SeedRegressionHasItsMinimumAt8Over7And9Over14) {
  const Vector b_star{{8.0 / 7.0, 9.0 / 14.0}};
  for (const xi::ScalarFunction& f :
       {xi::ScalarFunction(regression_loss), xi::ScalarFunction(regression_loss_tensor)}) {
    const auto vg = xi::value_and_grad(f, b_star);
    EXPECT_LT(vg.gradient.cwiseAbs().maxCoeff(), 1e-14) << vg.gradient.transpose();
    // Not a perfect fit, yet a minimum: the residual sum of squares is positive.
    EXPECT_GT(vg.value, 0.0);
    EXPECT_NEAR(vg.value, 1.0 / 14.0, 1e-15);  // residuals −1/7, 3/14, −1/14

    const Matrix H = xi::hessian(f, b_star);
    // The loss is quadratic: the Hessian is exact and the same everywhere.
    EXPECT_EQ(H(0, 0), 6.0);
    EXPECT_EQ(H(0, 1), 8.0);
    EXPECT_EQ(H(1, 0), 8.0);
    EXPECT_EQ(H(1, 1), 20.0);
    EXPECT_EQ(xi::hessian(f, Vector{{-3.0, 5.0}}), H);

    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(H);
    ASSERT_EQ(eig.info(), Eigen::Success);
    const Eigen::VectorXd lambda = eig.eigenvalues();  // ascending
    EXPECT_NEAR(lambda[0], 13.0 - std::sqrt(113.0), 1e-13);
    EXPECT_NEAR(lambda[1], 13.0 + std::sqrt(113.0), 1e-13);
    EXPECT_GT(lambda[0], 0.0);  // positive definite: a minimum
    EXPECT_EQ(Eigen::LLT<Eigen::MatrixXd>(H).info(), Eigen::Success);

    // A Newton step from anywhere lands on the minimum.
    const Vector b0{{0.0, 0.0}};
    const Vector newton = b0 - H.llt().solve(xi::value_and_grad(f, b0).gradient);
    EXPECT_NEAR(newton[0], 8.0 / 7.0, 1e-14);
    EXPECT_NEAR(newton[1], 9.0 / 14.0, 1e-14);
  }
}

Var rosenbrock(const Tensor& t) {
  const Var x = t[0], y = t[1];
  return xi::square(1 - x) + 100 * xi::square(y - xi::square(x));
}

TEST(Hessian, Rosenbrock) {
  const Matrix H = xi::hessian(rosenbrock, Vector{{1.0, 1.0}});
  EXPECT_EQ(H(0, 0), 802.0);
  EXPECT_EQ(H(0, 1), -400.0);
  EXPECT_EQ(H(1, 0), -400.0);
  EXPECT_EQ(H(1, 1), 200.0);
  const auto vg = xi::value_and_grad(rosenbrock, Vector{{1.0, 1.0}});
  EXPECT_EQ(vg.value, 0.0);
  EXPECT_EQ(vg.gradient, Vector::Zero(2));
  // Elsewhere: closed form [[2 − 400(y − 3x²), −400x], [−400x, 200]].
  const double x = -1.2, y = 0.7;
  const Matrix H2 = xi::hessian(rosenbrock, Vector{{x, y}});
  EXPECT_NEAR(H2(0, 0), 2 - 400 * (y - 3 * x * x), 1e-11);
  EXPECT_NEAR(H2(0, 1), -400 * x, 1e-12);
  EXPECT_NEAR(H2(1, 1), 200, 1e-12);
}

TEST(Hessian, QuadraticFormHasHessianA) {
  Matrix A(4, 4);
  A << 4, 1, -2, 0.5,  //
      1, 3, 0, -1,     //
      -2, 0, 5, 2,     //
      0.5, -1, 2, 6;
  const Vector x{{0.3, -1.2, 2.0, 0.7}};
  // ½ xᵀAx element by element with Vars.
  const xi::ScalarFunction scalar = [&](const Tensor& t) {
    Var acc = 0.0;
    for (Eigen::Index i = 0; i < 4; ++i) {
      for (Eigen::Index j = 0; j < 4; ++j) {
        acc += 0.5 * A(i, j) * t[static_cast<std::size_t>(i)] * t[static_cast<std::size_t>(j)];
      }
    }
    return acc;
  };
  // The same with tensor ops: ½ Σᵢ xᵢ (A x)ᵢ as a row-broadcast product and sums.
  const xi::ScalarFunction tensor = [&](const Tensor& t) {
    const Tensor Ax = xi::sum(xi::borrow(A) * t, 1);  // (4): row i is Σⱼ Aᵢⱼ xⱼ
    return 0.5 * xi::sum(Ax * t);
  };
  // And with matmul / dot.
  const xi::ScalarFunction linalg = [&](const Tensor& t) {
    return 0.5 * xi::dot(t, xi::matmul(xi::borrow(A), t));
  };
  for (const auto& f : {scalar, tensor, linalg}) {
    const Matrix H = xi::hessian(f, x);
    EXPECT_LT((H - A).cwiseAbs().maxCoeff(), 1e-14) << H;
    const auto vg = xi::value_and_grad(f, x);
    EXPECT_LT((vg.gradient - A * x).cwiseAbs().maxCoeff(), 1e-14);
    EXPECT_NEAR(vg.value, 0.5 * x.dot(A * x), 1e-14);
  }
}

Var wavy(const Tensor& t) {
  const Var x = t[0], y = t[1], z = t[2];
  return xi::sin(x * y) * xi::exp(z / 2) + xi::log(1 + xi::square(x - z)) + xi::pow(y * y + 1, z) +
         xi::sigmoid(x) * xi::tanh(y + z);
}

TEST(Hessian, MatchesFiniteDifferencesOfTheGradient) {
  for (const Vector& x : {Vector{{0.3, -0.7, 1.1}}, Vector{{-1.5, 0.2, -0.4}}}) {
    const Matrix H = xi::hessian(wavy, x);
    const Matrix Hfd = xi::test::fd_hessian_from_gradient(
        [](const Vector& v) { return xi::value_and_grad(wavy, v).gradient; }, x);
    EXPECT_LT((H - Hfd).cwiseAbs().maxCoeff(), 1e-8 * (1 + Hfd.cwiseAbs().maxCoeff()))
        << H << "\nvs\n"
        << Hfd;
    EXPECT_EQ(H, H.transpose());
  }
}

TEST(Hessian, HvpEqualsHessianTimesV) {
  const Vector x{{0.3, -0.7, 1.1}};
  const Matrix H = xi::hessian(wavy, x);
  for (const Vector& v :
       {Vector{{1.0, 0.0, 0.0}}, Vector{{0.5, -2.0, 0.25}}, Vector{{0.0, 0.0, 0.0}}}) {
    const Vector Hv = xi::hvp(wavy, x, v);
    EXPECT_LT((Hv - H * v).cwiseAbs().maxCoeff(), 1e-13 * (1 + H.cwiseAbs().maxCoeff()));
  }
  // The seed regression: hvp with the Hessian's eigenvectors returns λ·v.
  const Vector b{{8.0 / 7.0, 9.0 / 14.0}};
  const Matrix Hr = xi::hessian(regression_loss, b);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(Hr);
  for (int k = 0; k < 2; ++k) {
    const Vector v = eig.eigenvectors().col(k);
    EXPECT_LT((xi::hvp(regression_loss, b, v) - eig.eigenvalues()[k] * v).cwiseAbs().maxCoeff(),
              1e-12);
  }
  EXPECT_THROW((void)xi::hvp(wavy, x, Vector::Ones(2)), xi::ShapeError);
}

TEST(Hessian, ManyVariablesUseSeveralPassesOfDirections) {
  // More variables than directions per pass (64): Σᵢ cᵢ·xᵢ² + Σᵢ xᵢ·xᵢ₊₁ has a tridiagonal Hessian.
  const Eigen::Index n = 150;
  Vector x(n);
  for (Eigen::Index i = 0; i < n; ++i) x[i] = std::sin(0.1 * static_cast<double>(i));
  const xi::ScalarFunction f = [n](const Tensor& t) {
    Var acc = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto u = static_cast<std::size_t>(i);
      acc += (1.0 + static_cast<double>(i % 7)) * xi::square(t[u]);
      if (i + 1 < n) acc += t[u] * t[u + 1];
    }
    return acc;
  };
  const Matrix H = xi::hessian(f, x);
  Matrix expected = Matrix::Zero(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    expected(i, i) = 2.0 * (1.0 + static_cast<double>(i % 7));
    if (i + 1 < n) expected(i, i + 1) = expected(i + 1, i) = 1.0;
  }
  EXPECT_EQ(H, expected);
}

TEST(Hessian, ThroughTensorElementwiseOps) {
  const Vector x{{0.4, -1.3, 0.8, 2.1}};
  // Σ exp(x) has Hessian diag(exp(x)).
  const Matrix He = xi::hessian([](const Tensor& t) { return xi::sum(xi::exp(t)); }, x);
  EXPECT_LT((He - Matrix(x.array().exp().matrix().asDiagonal())).cwiseAbs().maxCoeff(), 1e-14);
  // mean(softplus(−s ⊙ x)) (the logistic loss of the seeds, with fixed margins): diagonal
  // s²σ'(−s x)/n; a scalar Var factor couples the components.
  const Vector s{{1.0, -1.0, 1.0, -1.0}};
  const Matrix Hl =
      xi::hessian([&](const Tensor& t) { return xi::mean(xi::softplus(-xi::borrow(s) * t)); }, x);
  for (Eigen::Index i = 0; i < 4; ++i) {
    const double z = -s[i] * x[i];
    const double sig = 1 / (1 + std::exp(-z));
    EXPECT_NEAR(Hl(i, i), sig * (1 - sig) / 4, 1e-15);
  }
  EXPECT_LT((Hl - Matrix(Hl.diagonal().asDiagonal())).cwiseAbs().maxCoeff(), 1e-17);
  // Broadcasting and a scalar Var: f = Σ tanh(M + x) · x₀² with M (3, 4).
  Matrix M(3, 4);
  M << 0.1, -0.2, 0.3, 0.5,  //
      -1.0, 0.7, 0.0, 0.2,   //
      0.4, 0.4, -0.6, 1.0;
  const xi::ScalarFunction f = [&](const Tensor& t) {
    return xi::sum(xi::tanh(xi::borrow(M) + t) * xi::square(t[0])) + xi::sum(xi::sin(t) * t);
  };
  const Matrix H = xi::hessian(f, x);
  const Matrix Hfd = xi::test::fd_hessian_from_gradient(
      [&](const Vector& v) { return xi::value_and_grad(f, v).gradient; }, x);
  EXPECT_LT((H - Hfd).cwiseAbs().maxCoeff(), 1e-8 * (1 + Hfd.cwiseAbs().maxCoeff()))
      << H << "\nvs\n"
      << Hfd;
}

// ------------------------------------------------------------------ Jacobians

Matrix fd_jacobian(const xi::VectorFunction& f, const Vector& x, Eigen::Index m) {
  Matrix J(m, x.size());
  for (Eigen::Index i = 0; i < m; ++i) {
    J.row(i) = xi::test::fd_gradient(
                   [&](const Vector& v) {
                     xi::Tape tape;
                     xi::Tape::Scope scope(tape);
                     return f(xi::constant(v)).data()[i];
                   },
                   x)
                   .transpose();
  }
  return J;
}

Tensor wide_function(const Tensor& t) {  // R⁴ → R²: m < n, reverse sweeps
  const Var a = t[0], b = t[1], c = t[2], d = t[3];
  const std::vector<Var> out{a * b + xi::sin(c) * d, xi::exp(a - d) / (1 + xi::square(b * c))};
  return xi::stack(out);
}

Tensor tall_function(const Tensor& t) {  // R² → R⁵: m > n, forward tangents
  const Var a = t[0], b = t[1];
  const std::vector<Var> out{a * b, xi::sin(a) + b, xi::exp(b) * a, xi::sqrt(1 + a * a + b * b),
                             xi::pow(xi::softplus(a) + 0.5, b)};
  return xi::stack(out);
}

Tensor square_function(const Tensor& t) {  // R³ → R³ through tensor ops (m = n: reverse)
  return xi::tanh(t * t[0]) + xi::softplus(t) * 2.0;
}

Tensor tall_tensor_function(const Tensor& t) {  // R² → R⁶ through broadcasting (forward)
  static const Matrix M = (Matrix(3, 2) << 1, 2, -1, 0.5, 0.3, -0.7).finished();
  return xi::reshape(xi::sigmoid(xi::borrow(M) * t), xi::Shape::vector(6));
}

TEST(Jacobian, MatchesFiniteDifferencesOnBothPaths) {
  struct Case {
    xi::VectorFunction f;
    Vector x;
    Eigen::Index m;
  };
  const std::vector<Case> cases{{wide_function, Vector{{0.3, -1.1, 0.7, 0.2}}, 2},
                                {tall_function, Vector{{0.8, -0.4}}, 5},
                                {square_function, Vector{{0.5, -0.3, 1.2}}, 3},
                                {tall_tensor_function, Vector{{-0.6, 1.4}}, 6}};
  for (const Case& c : cases) {
    const Matrix J = xi::jacobian(c.f, c.x);
    ASSERT_EQ(J.rows(), c.m);
    ASSERT_EQ(J.cols(), c.x.size());
    const Matrix Jfd = fd_jacobian(c.f, c.x, c.m);
    EXPECT_LT((J - Jfd).cwiseAbs().maxCoeff(), 1e-9 * (1 + Jfd.cwiseAbs().maxCoeff()))
        << J << "\nvs\n"
        << Jfd;
  }
}

TEST(Jacobian, ClosedFormsAndTheGradientOfAScalarFunction) {
  // tall: rows are exact closed forms.
  const double a = 0.8, b = -0.4;
  const Matrix J = xi::jacobian(tall_function, Vector{{a, b}});
  EXPECT_DOUBLE_EQ(J(0, 0), b);
  EXPECT_DOUBLE_EQ(J(0, 1), a);
  EXPECT_DOUBLE_EQ(J(1, 0), std::cos(a));
  EXPECT_DOUBLE_EQ(J(1, 1), 1.0);
  EXPECT_DOUBLE_EQ(J(2, 0), std::exp(b));
  EXPECT_DOUBLE_EQ(J(2, 1), std::exp(b) * a);
  // The Jacobian of a function with one output is the gradient as a row.
  const xi::VectorFunction g = [](const Tensor& t) { return Tensor(rosenbrock(t)); };
  const Vector x{{-1.2, 1.0}};
  const Matrix Jg = xi::jacobian(g, x);
  ASSERT_EQ(Jg.rows(), 1);
  EXPECT_LT(
      (Jg.row(0).transpose() - xi::value_and_grad(rosenbrock, x).gradient).cwiseAbs().maxCoeff(),
      1e-12);
  // Identity map: the identity matrix.
  const xi::VectorFunction identity = [](const Tensor& t) { return t * 1.0; };
  EXPECT_EQ(xi::jacobian(identity, Vector{{1.0, 2.0, 3.0}}), Matrix::Identity(3, 3));
}

}  // namespace
