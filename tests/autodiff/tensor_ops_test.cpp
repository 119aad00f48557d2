// Tensor operations (reduce.cpp, softmax.cpp, linalg.cpp, shape_ops.cpp, losses.cpp) against
// central finite differences: first order (value_and_grad), second order (hessian, hvp against
// differences of value_and_grad), over shapes, axes, broadcasting of the surrounding arithmetic,
// large-magnitude inputs and constant inputs; and the shape errors.
//
// Every op is tested through a scalar function of one flat parameter vector x: the op's inputs
// are cut from x (slice_rows + reshape), and tensor results go through a nonlinear head
// dot(W, y) + ¼·dot(y, y) so that the Hessian exercises the op's jvp and soa rules.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/tensor.hpp>

namespace {

using xi::Index;
using xi::Matrix;
using xi::Shape;
using xi::Tensor;
using xi::Var;
using xi::Vector;

constexpr double kInf = std::numeric_limits<double>::infinity();

// ------------------------------------------------------------------ helpers

Vector random_vector(std::size_t n, unsigned seed, double scale = 1.0) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> d(0.0, scale);
  Vector v(static_cast<Eigen::Index>(n));
  for (auto& x : v) x = d(gen);
  return v;
}

Matrix random_matrix(Index rows, Index cols, unsigned seed) {
  const Vector v = random_vector(std::size_t{rows} * cols, seed);
  return Matrix(Eigen::Map<const Matrix>(v.data(), rows, cols));
}

// Central differences of f at x, step h per component (absolute: inputs of any magnitude keep
// the same truncation error).
Vector fd_gradient(const xi::ScalarFunction& f, const Vector& x, double h = 1e-5) {
  Vector g(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    Vector xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    g[i] = (xi::value_and_grad(f, xp).value - xi::value_and_grad(f, xm).value) / (2 * h);
  }
  return g;
}

// Central differences of the engine's gradient: column j ≈ ∂∇f/∂x_j.
Matrix fd_hessian(const xi::ScalarFunction& f, const Vector& x, double h = 1e-5) {
  Matrix H(x.size(), x.size());
  for (Eigen::Index j = 0; j < x.size(); ++j) {
    Vector xp = x, xm = x;
    xp[j] += h;
    xm[j] -= h;
    H.col(j) = (xi::value_and_grad(f, xp).gradient - xi::value_and_grad(f, xm).gradient) / (2 * h);
  }
  return H;
}

Vector fd_hvp(const xi::ScalarFunction& f, const Vector& x, const Vector& v, double h = 1e-5) {
  return (xi::value_and_grad(f, x + h * v).gradient - xi::value_and_grad(f, x - h * v).gradient) /
         (2 * h);
}

// Largest |a − b| / (1 + max(|a|, |b|)) over the entries.
double max_error(const Matrix& a, const Matrix& b) {
  EXPECT_EQ(a.rows(), b.rows());
  EXPECT_EQ(a.cols(), b.cols());
  double e = 0;
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    const double x = a.data()[i], y = b.data()[i];
    e = std::max(e, std::abs(x - y) / (1.0 + std::max(std::abs(x), std::abs(y))));
  }
  return e;
}

// Checks f's gradient, Hessian and a Hessian-vector product at x against finite differences.
void check_derivatives(const xi::ScalarFunction& f, const Vector& x, double tol = 1e-6,
                       bool second_order = true) {
  const auto vg = xi::value_and_grad(f, x);
  ASSERT_TRUE(std::isfinite(vg.value));
  const Vector fd = fd_gradient(f, x);
  EXPECT_LT(max_error(vg.gradient, fd), tol) << "gradient\n"
                                             << vg.gradient.transpose() << "\nfinite differences\n"
                                             << fd.transpose();
  if (!second_order) return;
  const Matrix H = xi::hessian(f, x);
  const Matrix Hfd = fd_hessian(f, x);
  EXPECT_LT(max_error(H, Hfd), 10 * tol) << "hessian\n" << H << "\nfinite differences\n" << Hfd;
  EXPECT_LT(max_error(H, H.transpose()), 1e-10) << "hessian not symmetric\n" << H;
  const Vector v = random_vector(static_cast<std::size_t>(x.size()), 99);
  const Vector hv = xi::hvp(f, x, v);
  EXPECT_LT(max_error(hv, fd_hvp(f, x, v)), 10 * tol) << "hvp\n" << hv.transpose();
  EXPECT_LT(max_error(hv, H * v), 1e-9) << "hvp differs from the hessian times v";
}

// Input `shape` cut from x at `offset` (advanced past it).
Tensor cut(const Tensor& x, Index& offset, Shape shape) {
  const Index begin = offset;
  offset += static_cast<Index>(shape.size());
  return xi::reshape(xi::slice_rows(x, begin, offset), shape);
}

// A nonlinear scalar head on a tensor result: dot(W, y) + ¼·dot(y, y), W fixed by y's shape.
Var head(const Tensor& y) {
  const Matrix w = random_matrix(y.rows(), y.cols(), 1000 + y.rows() * 31 + y.cols());
  return xi::dot(xi::constant(w), y) + 0.25 * xi::dot(y, y);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const xi::Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Constants of zeros (a Matrix / Vector, since Eigen expressions match both overloads).
Tensor zeros(Index rows, Index cols) {
  return xi::constant(Matrix(Matrix::Zero(rows, cols)));
}
Tensor zeros(Index n) {
  return xi::constant(Vector(Vector::Zero(n)));
}

const Shape kScalar = Shape::scalar();
Shape vec(Index n) {
  return Shape::vector(n);
}
Shape mat(Index r, Index c) {
  return Shape::matrix(r, c);
}

// ------------------------------------------------------------------ reductions

TEST(TensorOpsReduce, SumAndMeanOfAllElements) {
  for (Shape s : {kScalar, vec(5), mat(3, 4), mat(1, 3), mat(4, 1)}) {
    SCOPED_TRACE(xi::to_string(s));
    const Vector x0 = random_vector(s.size(), 1);
    check_derivatives(
        [s](const Tensor& x) {
          Index o = 0;
          const Tensor a = xi::tanh(cut(x, o, s));
          const Var t = xi::sum(a), m = xi::mean(a);
          return t * m + xi::sin(t);
        },
        x0);
    const auto vg = xi::value_and_grad(
        [s](const Tensor& x) {
          Index o = 0;
          return xi::mean(cut(x, o, s));
        },
        x0);
    EXPECT_NEAR(vg.value, x0.mean(), 1e-14);
    EXPECT_LT(max_error(vg.gradient, Vector::Constant(x0.size(), 1.0 / x0.size())), 1e-15);
  }
}

TEST(TensorOpsReduce, SumAndMeanAlongAnAxis) {
  struct Case {
    Shape shape;
    int axis;
    Shape out;
  };
  for (const Case& c :
       {Case{mat(3, 4), 0, vec(4)}, Case{mat(3, 4), 1, vec(3)}, Case{mat(1, 4), 0, vec(4)},
        Case{mat(3, 1), 0, vec(1)}, Case{mat(3, 1), 1, vec(3)}, Case{vec(5), 0, kScalar}}) {
    SCOPED_TRACE(fmt::format("{} axis {}", c.shape, c.axis));
    const Vector x0 = random_vector(c.shape.size(), 2);
    for (bool use_mean : {false, true}) {
      check_derivatives(
          [&](const Tensor& x) {
            Index o = 0;
            const Tensor a = cut(x, o, c.shape);
            const Tensor y = use_mean ? xi::mean(a, c.axis) : xi::sum(a, c.axis);
            EXPECT_EQ(y.shape(), c.out);
            return head(y);
          },
          x0);
    }
    // Values against Eigen.
    const Tensor a = xi::borrow(x0.data(), c.shape);
    const Matrix m = a.values();
    const Matrix expected = c.shape.rank == 1 ? Matrix::Constant(1, 1, m.sum())
                            : c.axis == 0     ? Matrix(m.colwise().sum())
                                              : Matrix(m.rowwise().sum().transpose());
    EXPECT_LT(max_error(xi::sum(a, c.axis).values(), expected), 1e-14);
    EXPECT_LT(max_error(xi::mean(a, c.axis).values(),
                        expected / static_cast<double>(c.shape.rank == 1 ? m.size()
                                                       : c.axis == 0     ? m.rows()
                                                                         : m.cols())),
              1e-14);
  }
}

TEST(TensorOpsReduce, LogSumExpAllAndAlongAnAxis) {
  for (Shape s : {kScalar, vec(6), mat(3, 4)}) {
    SCOPED_TRACE(xi::to_string(s));
    const Vector x0 = random_vector(s.size(), 3, 2.0);
    check_derivatives(
        [s](const Tensor& x) {
          Index o = 0;
          const Var l = xi::logsumexp(cut(x, o, s));
          return l * l;
        },
        x0);
    const auto vg = xi::value_and_grad(
        [s](const Tensor& x) {
          Index o = 0;
          return xi::logsumexp(cut(x, o, s));
        },
        x0);
    EXPECT_NEAR(vg.value, std::log(x0.array().exp().sum()), 1e-13);
  }
  for (int axis : {0, 1}) {
    SCOPED_TRACE(axis);
    check_derivatives(
        [axis](const Tensor& x) {
          Index o = 0;
          return head(xi::logsumexp(cut(x, o, mat(3, 4)), axis));
        },
        random_vector(12, 4, 2.0));
  }
}

TEST(TensorOpsReduce, LogSumExpOfLargeMagnitudesIsStable) {
  const Vector x0 = (Vector(5) << 700.0, -700.0, 699.5, 0.0, 698.0).finished();
  const auto f = [](const Tensor& x) { return xi::logsumexp(x); };
  const auto vg = xi::value_and_grad(f, x0);
  const double expected = 700.0 + std::log(1.0 + std::exp(-0.5) + std::exp(-2.0));
  EXPECT_NEAR(vg.value, expected, 1e-12);
  Vector p = (x0.array() - expected).exp();
  EXPECT_LT(max_error(vg.gradient, p), 1e-14);
  check_derivatives(f, x0);
  // Along an axis, with a row of large negatives.
  check_derivatives(
      [](const Tensor& x) {
        Index o = 0;
        return head(xi::logsumexp(cut(x, o, mat(2, 3)), 1));
      },
      (Vector(6) << 700.0, 699.0, -700.0, -800.0, -801.0, -799.5).finished());
}

TEST(TensorOpsReduce, LogSumExpWithInfiniteEntries) {
  const auto value_and_grad_at = [](const Vector& v) {
    return xi::value_and_grad([](const Tensor& x) { return xi::logsumexp(x); }, v);
  };
  // −∞ entries get weight 0.
  auto r = value_and_grad_at((Vector(3) << -kInf, 0.0, 1.0).finished());
  EXPECT_NEAR(r.value, std::log(1.0 + std::exp(1.0)), 1e-15);
  EXPECT_EQ(r.gradient[0], 0.0);
  EXPECT_NEAR(r.gradient[2], std::exp(1.0) / (1.0 + std::exp(1.0)), 1e-15);
  // All −∞: −∞, equal weights (the limit along equal entries).
  r = value_and_grad_at(Vector::Constant(4, -kInf));
  EXPECT_EQ(r.value, -kInf);
  EXPECT_LT(max_error(r.gradient, Vector::Constant(4, 0.25)), 1e-15);
  // +∞: +∞, the +∞ entries share the weight.
  r = value_and_grad_at((Vector(4) << kInf, 3.0, kInf, -kInf).finished());
  EXPECT_EQ(r.value, kInf);
  EXPECT_LT(max_error(r.gradient, (Vector(4) << 0.5, 0.0, 0.5, 0.0).finished()), 1e-15);
  // NaN propagates.
  r = value_and_grad_at((Vector(2) << std::nan(""), 1.0).finished());
  EXPECT_TRUE(std::isnan(r.value));
}

TEST(TensorOpsReduce, AxisErrorsNameTheOpAndShape) {
  const Tensor a = zeros(2, 3);
  EXPECT_EQ(error_of([&] { xi::sum(a, 2); }), "sum: axis 2 is out of range for shape (2, 3)");
  EXPECT_EQ(error_of([&] { xi::mean(zeros(3), 1); }), "mean: axis 1 is out of range for shape (3)");
  EXPECT_EQ(error_of([&] { xi::logsumexp(a, -2); }),
            "logsumexp: axis -2 is out of range for shape (2, 3)");
}

TEST(TensorOpsReduce, ConstantInputsGiveConstants) {
  const Matrix m = random_matrix(3, 2, 5);
  EXPECT_TRUE(xi::sum(xi::borrow(m)).is_constant());
  EXPECT_NEAR(xi::mean(xi::borrow(m)).value(), m.mean(), 1e-15);
  EXPECT_TRUE(xi::logsumexp(xi::constant(m)).is_constant());
  EXPECT_TRUE(xi::sum(xi::constant(m), 0).is_constant());
  // A constant operand beside a variable one contributes no gradient and no tangent.
  check_derivatives(
      [m](const Tensor& x) {
        Index o = 0;
        const Tensor a = cut(x, o, mat(3, 2));
        return head(xi::sum(a * xi::borrow(m), 1)) + xi::logsumexp(xi::borrow(m) + a);
      },
      random_vector(6, 6));
}

// ------------------------------------------------------------------ softmax, log_softmax

TEST(TensorOpsSoftmax, SoftmaxAndLogSoftmaxAlongEachAxis) {
  struct Case {
    Shape shape;
    int axis;
  };
  for (const Case& c : {Case{vec(5), -1}, Case{vec(5), 0}, Case{mat(3, 4), -1}, Case{mat(3, 4), 1},
                        Case{mat(3, 4), 0}, Case{kScalar, -1}}) {
    SCOPED_TRACE(fmt::format("{} axis {}", c.shape, c.axis));
    const Vector x0 = random_vector(c.shape.size(), 7, 1.5);
    for (bool log : {false, true}) {
      SCOPED_TRACE(log ? "log_softmax" : "softmax");
      check_derivatives(
          [&](const Tensor& x) {
            Index o = 0;
            const Tensor a = cut(x, o, c.shape);
            const Tensor y = log ? xi::log_softmax(a, c.axis) : xi::softmax(a, c.axis);
            EXPECT_EQ(y.shape(), c.shape);
            return head(y);
          },
          x0);
    }
  }
}

TEST(TensorOpsSoftmax, ValuesMatchTheDefinition) {
  const Matrix z = random_matrix(3, 4, 8);
  const Matrix p = xi::softmax(xi::constant(z)).values();
  const Matrix lp = xi::log_softmax(xi::constant(z)).values();
  const Matrix pc = xi::softmax(xi::constant(z), 0).values();
  for (Eigen::Index r = 0; r < 3; ++r) {
    const Eigen::RowVectorXd e = z.row(r).array().exp();
    EXPECT_LT(max_error(p.row(r), e / e.sum()), 1e-15);
    EXPECT_LT(max_error(lp.row(r), (e / e.sum()).array().log().matrix()), 1e-14);
  }
  for (Eigen::Index c = 0; c < 4; ++c) {
    const Vector e = z.col(c).array().exp();
    EXPECT_LT(max_error(pc.col(c), e / e.sum()), 1e-15);
  }
}

TEST(TensorOpsSoftmax, LargeMagnitudesAreStable) {
  const Vector x0 = (Vector(6) << 700.0, -700.0, 699.0, -750.0, -760.0, -755.0).finished();
  for (bool log : {false, true}) {
    SCOPED_TRACE(log ? "log_softmax" : "softmax");
    const auto f = [log](const Tensor& x) {
      Index o = 0;
      const Tensor a = cut(x, o, mat(2, 3));
      return head(log ? xi::log_softmax(a) : xi::softmax(a));
    };
    check_derivatives(f, x0);
  }
  const Matrix p =
      xi::softmax(xi::constant(Matrix(Eigen::Map<const Matrix>(x0.data(), 2, 3)))).values();
  EXPECT_NEAR(p(0, 0), 1.0 / (1.0 + std::exp(-1.0)), 1e-15);
  EXPECT_EQ(p(0, 1), 0.0);
  EXPECT_NEAR(p(1, 1), std::exp(-10.0) / (1.0 + std::exp(-10.0) + std::exp(-5.0)), 1e-15);
  EXPECT_TRUE(p.allFinite());
  const Matrix lp =
      xi::log_softmax(xi::constant(Matrix(Eigen::Map<const Matrix>(x0.data(), 2, 3)))).values();
  EXPECT_NEAR(lp(0, 1), -1400.0 - std::log1p(std::exp(-1.0)), 1e-9);
  // Infinite entries: −∞ gets probability 0; a row of −∞ is uniform.
  Matrix z(2, 3);
  z << -kInf, 0.0, 0.0, -kInf, -kInf, -kInf;
  const Matrix q = xi::softmax(xi::constant(z)).values();
  EXPECT_LT(max_error(q, (Matrix(2, 3) << 0, 0.5, 0.5, 1. / 3, 1. / 3, 1. / 3).finished()), 1e-15);
}

TEST(TensorOpsSoftmax, AxisErrors) {
  EXPECT_EQ(error_of([] { xi::softmax(zeros(3), 1); }),
            "softmax: axis 1 is out of range for shape (3)");
  EXPECT_EQ(error_of([] { xi::log_softmax(zeros(2, 2), 3); }),
            "log_softmax: axis 3 is out of range for shape (2, 2)");
}

// ------------------------------------------------------------------ dot, matmul, transpose

TEST(TensorOpsLinalg, DotOfTensorsOfTheSameSize) {
  check_derivatives(
      [](const Tensor& x) {
        Index o = 0;
        const Tensor a = cut(x, o, mat(2, 3)), b = cut(x, o, vec(6));
        const Var d = xi::dot(a, b);
        return d * d + xi::dot(a, a);
      },
      random_vector(12, 9));
  const Vector a = random_vector(4, 10), b = random_vector(4, 11);
  EXPECT_NEAR(xi::dot(xi::borrow(a), xi::borrow(b)).value(), a.dot(b), 1e-15);
  EXPECT_TRUE(xi::dot(xi::borrow(a), xi::borrow(b)).is_constant());
  EXPECT_EQ(error_of([&] { xi::dot(xi::borrow(a), zeros(2, 3)); }),
            "dot: shapes (4) and (2, 3) do not fit (4 and 6 elements)");
}

TEST(TensorOpsLinalg, MatmulOverOperandRanks) {
  struct Case {
    Shape a, b, out;
  };
  for (const Case& c :
       {Case{mat(3, 4), mat(4, 2), mat(3, 2)}, Case{vec(4), mat(4, 2), vec(2)},
        Case{mat(3, 4), vec(4), vec(3)}, Case{vec(4), vec(4), kScalar},
        Case{mat(1, 4), mat(4, 1), mat(1, 1)}, Case{mat(2, 1), mat(1, 3), mat(2, 3)},
        Case{mat(3, 2), mat(2, 3), mat(3, 3)}}) {
    SCOPED_TRACE(fmt::format("{} · {}", c.a, c.b));
    const Vector x0 = random_vector(c.a.size() + c.b.size(), 12);
    const Vector fixed = random_vector(std::max(c.a.size(), c.b.size()), 40);
    // Both operands variable, then each one constant in turn.
    for (int constant : {-1, 0, 1}) {
      SCOPED_TRACE(constant);
      check_derivatives(
          [&](const Tensor& x) {
            Index o = 0;
            Tensor a = cut(x, o, c.a), b = cut(x, o, c.b);
            if (constant == 0) a = xi::borrow(fixed.data(), c.a);
            if (constant == 1) b = xi::borrow(fixed.data(), c.b);
            const Tensor y = xi::matmul(xi::tanh(a), b);
            EXPECT_EQ(y.shape(), c.out);
            return head(y);
          },
          x0);
    }
    // Values against Eigen.
    const Matrix a = Eigen::Map<const Matrix>(x0.data(), c.a.rows, c.a.cols);
    const Matrix b =
        c.b.rank == 1
            ? Matrix(Eigen::Map<const Matrix>(x0.data() + c.a.size(), c.b.cols, 1))
            : Matrix(Eigen::Map<const Matrix>(x0.data() + c.a.size(), c.b.rows, c.b.cols));
    const Matrix y =
        xi::matmul(xi::borrow(x0.data(), c.a), xi::borrow(x0.data() + c.a.size(), c.b)).values();
    const Matrix expected = a * b;
    EXPECT_LT(max_error(y, Eigen::Map<const Matrix>(expected.data(), y.rows(), y.cols())), 1e-14);
  }
}

TEST(TensorOpsLinalg, MatmulOfATensorWithItself) {
  check_derivatives(
      [](const Tensor& x) {
        Index o = 0;
        const Tensor a = cut(x, o, mat(3, 3));
        return head(xi::matmul(a, a)) + head(xi::matmul(a, xi::transpose(a)));
      },
      random_vector(9, 13));
}

TEST(TensorOpsLinalg, MatmulShapeErrorsNameBothShapes) {
  const Tensor a = zeros(3, 4);
  EXPECT_EQ(error_of([&] { xi::matmul(a, zeros(5)); }),
            "matmul: shapes (3, 4) and (5) do not fit (inner dimensions 4 and 5)");
  EXPECT_EQ(error_of([&] { xi::matmul(a, zeros(3, 4)); }),
            "matmul: shapes (3, 4) and (3, 4) do not fit (inner dimensions 4 and 3)");
  EXPECT_EQ(error_of([&] { xi::matmul(zeros(2), a); }),
            "matmul: shapes (2) and (3, 4) do not fit (inner dimensions 2 and 3)");
  EXPECT_EQ(error_of([&] { xi::matmul(Tensor(Var(2.0)), a); }),
            "matmul: shapes () and (3, 4) do not fit (the operands must be vectors or matrices)");
}

TEST(TensorOpsLinalg, TransposeOfMatricesAndVectors) {
  check_derivatives(
      [](const Tensor& x) {
        Index o = 0;
        const Tensor a = cut(x, o, mat(2, 3));
        const Tensor t = xi::transpose(xi::sin(a));
        EXPECT_EQ(t.shape(), mat(3, 2));
        return head(t) + xi::sum(xi::matmul(t, a));
      },
      random_vector(6, 14));
  const Matrix m = random_matrix(2, 3, 15);
  EXPECT_EQ(xi::transpose(xi::borrow(m)).values(), Matrix(m.transpose()));
  const Tensor v = xi::constant(Vector(Vector::Ones(3)));
  EXPECT_EQ(xi::transpose(v).shape(), vec(3));
}

// The hessian-logistic workload: H = Xᵀ diag(p(1 − p)) X / n for mean(softplus(−s ⊙ Xw)).
TEST(TensorOpsLinalg, LogisticHessianMatchesTheClosedForm) {
  const Index n = 200, d = 5;
  const Matrix X = random_matrix(n, d, 16);
  Vector s(n);
  for (Index i = 0; i < n; ++i) s[i] = (i % 3 == 0) ? -1.0 : 1.0;
  const Vector w0 = random_vector(d, 17, 0.5);
  const xi::ScalarFunction f = [&](const Tensor& w) {
    return xi::mean(xi::softplus(-xi::borrow(s) * xi::matmul(xi::borrow(X), w)));
  };
  const Vector z = X * w0;
  Vector q(n), g = Vector::Zero(d);
  for (Index i = 0; i < n; ++i) {
    const double p = 1.0 / (1.0 + std::exp(-s[i] * z[i]));  // σ(s z)
    q[i] = p * (1.0 - p);
    g += -s[i] * (1.0 - p) * X.row(i).transpose() / n;
  }
  const Matrix H_ref = X.transpose() * q.asDiagonal() * X / n;
  EXPECT_LT(max_error(xi::hessian(f, w0), H_ref), 1e-13);
  EXPECT_LT(max_error(xi::value_and_grad(f, w0).gradient, g), 1e-14);
  const Vector v = random_vector(d, 18);
  EXPECT_LT(max_error(xi::hvp(f, w0, v), H_ref * v), 1e-13);
}

// ------------------------------------------------------------------ shape operations

TEST(TensorOpsShape, Reshape) {
  check_derivatives(
      [](const Tensor& x) {
        Index o = 0;
        const Tensor a = xi::tanh(cut(x, o, mat(2, 6)));
        const Tensor r = xi::reshape(a, mat(3, 4));
        EXPECT_EQ(r.values(), Matrix(Eigen::Map<const Matrix>(a.data(), 3, 4)));
        return head(r) + head(xi::reshape(r, vec(12)));
      },
      random_vector(12, 19));
  EXPECT_EQ(error_of([] { xi::reshape(zeros(3, 4), Shape::vector(5)); }),
            "reshape: cannot reshape (3, 4) into (5) (12 and 5 elements)");
}

TEST(TensorOpsShape, SelectRowsOfMatricesAndVectors) {
  const std::vector<Index> rows = {3, 0, 3, 2};  // a repeated row accumulates
  check_derivatives(
      [&](const Tensor& x) {
        Index o = 0;
        const Tensor a = cut(x, o, mat(4, 3)), v = cut(x, o, vec(5));
        const Tensor sa = xi::select_rows(xi::sin(a), rows), sv = xi::select_rows(v, rows);
        EXPECT_EQ(sa.shape(), mat(4, 3));
        EXPECT_EQ(sv.shape(), vec(4));
        return head(sa) + head(sv);
      },
      random_vector(17, 20));
  const Matrix m = random_matrix(4, 3, 21);
  const Matrix sel = xi::select_rows(xi::borrow(m), rows).values();
  for (std::size_t r = 0; r < rows.size(); ++r) EXPECT_EQ(sel.row(r), m.row(rows[r]));
  const std::vector<Index> bad = {1, 4};
  EXPECT_EQ(error_of([&] { xi::select_rows(xi::borrow(m), bad); }),
            "select_rows: index 4 (at position 1) is out of range for 4 rows (shape (4, 3))");
  EXPECT_EQ(error_of([&] { xi::select_rows(zeros(3), bad); }),
            "select_rows: index 4 (at position 1) is out of range for 3 elements (shape (3))");
}

TEST(TensorOpsShape, SliceRows) {
  check_derivatives(
      [](const Tensor& x) {
        Index o = 0;
        const Tensor a = cut(x, o, mat(5, 2)), v = cut(x, o, vec(4));
        const Tensor sa = xi::slice_rows(xi::exp(a), 1, 4), sv = xi::slice_rows(v, 2, 4);
        EXPECT_EQ(sa.shape(), mat(3, 2));
        EXPECT_EQ(sv.shape(), vec(2));
        return head(sa) + head(sv);
      },
      random_vector(14, 22));
  const Tensor m = zeros(5, 3);
  EXPECT_EQ(error_of([&] { xi::slice_rows(m, 2, 9); }),
            "slice_rows: rows [2, 9) are out of range for shape (5, 3) (5 rows)");
  EXPECT_EQ(error_of([&] { xi::slice_rows(m, 4, 2); }),
            "slice_rows: rows [4, 2) are out of range for shape (5, 3) (5 rows)");
}

TEST(TensorOpsShape, ConcatAlongEachAxis) {
  // Four parts (more than the three a node prints), one of them constant.
  const Matrix c = random_matrix(1, 3, 23);
  check_derivatives(
      [&](const Tensor& x) {
        Index o = 0;
        const Tensor a = cut(x, o, mat(2, 3)), b = cut(x, o, mat(1, 3)), v = cut(x, o, vec(3));
        const std::vector<Tensor> rows = {a, xi::borrow(c), xi::tanh(b), v};
        const Tensor y0 = xi::concat(rows, 0);
        EXPECT_EQ(y0.shape(), mat(5, 3));
        const Tensor p = cut(x, o, mat(2, 2));
        const std::vector<Tensor> cols = {xi::sin(p), a, p};
        const Tensor y1 = xi::concat(cols, 1);
        EXPECT_EQ(y1.shape(), mat(2, 7));
        const std::vector<Tensor> vecs = {v, xi::sum(a), xi::exp(v)};
        const Tensor y2 = xi::concat(vecs);
        EXPECT_EQ(y2.shape(), vec(7));
        return head(y0) + head(y1) + head(y2);
      },
      random_vector(16, 24));
  const Matrix a = random_matrix(2, 3, 25), b = random_matrix(2, 1, 26);
  const std::vector<Tensor> side = {xi::borrow(a), xi::borrow(b)};
  Matrix expected(2, 4);
  expected << a, b;
  EXPECT_EQ(xi::concat(side, 1).values(), expected);
  EXPECT_EQ(error_of([&] { xi::concat(side, 0); }),
            "concat: shapes (2, 3) and (2, 1) do not fit along axis 0 (3 and 1 columns)");
  const std::vector<Tensor> stacked = {xi::borrow(a), zeros(3, 3)};
  EXPECT_EQ(error_of([&] { xi::concat(stacked, 1); }),
            "concat: shapes (2, 3) and (3, 3) do not fit along axis 1 (2 and 3 rows)");
  EXPECT_EQ(error_of([] { xi::concat({}, 0); }), "concat: needs at least one tensor");
  EXPECT_EQ(error_of([&] { xi::concat(side, 2); }), "concat: axis 2 is out of range (0 or 1)");
}

// ------------------------------------------------------------------ losses

TEST(TensorOpsLosses, MeanSquaredError) {
  for (Shape s : {vec(5), mat(3, 2), kScalar}) {
    SCOPED_TRACE(xi::to_string(s));
    check_derivatives(
        [s](const Tensor& x) {
          Index o = 0;
          const Tensor p = xi::tanh(cut(x, o, s)), t = cut(x, o, s);
          const Var l = xi::mse(p, t);
          return l + l * l;
        },
        random_vector(2 * s.size(), 27));
  }
  const Vector p = random_vector(6, 28), t = random_vector(6, 29);
  EXPECT_NEAR(xi::mse(xi::borrow(p), xi::borrow(t)).value(), (p - t).squaredNorm() / 6, 1e-15);
  // A constant target.
  check_derivatives([&](const Tensor& x) { return xi::mse(x, xi::borrow(t)); }, p);
  EXPECT_EQ(error_of([] { xi::mse(zeros(3, 1), zeros(3)); }),
            "mse: shapes (3, 1) and (3) differ (the prediction and the target must have the same "
            "shape)");
}

TEST(TensorOpsLosses, BinaryCrossEntropyWithLogits) {
  Vector t(6);
  t << 1, 0, 1, 1, 0, 0.25;
  check_derivatives(
      [&](const Tensor& x) {
        Index o = 0;
        const Tensor z = cut(x, o, mat(2, 3)), tt = cut(x, o, mat(2, 3));
        const Var l = xi::bce_with_logits(z, tt);
        return l * l + l;
      },
      (Vector(12) << random_vector(6, 30, 2.0), t).finished());
  // Against the naive formula, and stable at ±700.
  const Vector z = random_vector(6, 31, 3.0);
  double naive = 0;
  for (int i = 0; i < 6; ++i) {
    const double s = 1.0 / (1.0 + std::exp(-z[i]));
    naive -= t[i] * std::log(s) + (1 - t[i]) * std::log(1 - s);
  }
  EXPECT_NEAR(xi::bce_with_logits(xi::borrow(z), xi::borrow(t)).value(), naive / 6, 1e-13);
  const Vector zl = (Vector(4) << 700.0, -700.0, 700.0, -700.0).finished();
  const Vector tl = (Vector(4) << 1.0, 0.0, 0.0, 1.0).finished();
  const auto f = [&](const Tensor& x) { return xi::bce_with_logits(x, xi::borrow(tl)); };
  const auto vg = xi::value_and_grad(f, zl);
  EXPECT_NEAR(vg.value, (700.0 + 700.0) / 4, 1e-12);
  EXPECT_LT(max_error(vg.gradient, (Vector(4) << 0.0, 0.0, 0.25, -0.25).finished()), 1e-15);
  check_derivatives(f, zl);
  EXPECT_EQ(error_of([] { xi::bce_with_logits(zeros(3), zeros(4)); }),
            "bce_with_logits: shapes (3) and (4) differ (the prediction and the target must have "
            "the same shape)");
}

TEST(TensorOpsLosses, SoftmaxCrossEntropy) {
  const std::vector<Index> labels = {2, 0, 3};
  const auto f = [&](const Tensor& x) {
    Index o = 0;
    const Var l = xi::softmax_cross_entropy(cut(x, o, mat(3, 4)), labels);
    return l + 0.5 * l * l;
  };
  check_derivatives(f, random_vector(12, 32, 2.0));
  // Against −log softmax, and a single vector of logits with one label.
  const Matrix z = random_matrix(3, 4, 33);
  const Matrix lp = xi::log_softmax(xi::borrow(z)).values();
  EXPECT_NEAR(xi::softmax_cross_entropy(xi::borrow(z), labels).value(),
              -(lp(0, 2) + lp(1, 0) + lp(2, 3)) / 3, 1e-14);
  const std::vector<Index> one = {1};
  check_derivatives(
      [&](const Tensor& x) {
        const Var l = xi::softmax_cross_entropy(x, one);
        return l * l;
      },
      random_vector(5, 34));
  // Stable at ±700.
  const Vector big = (Vector(6) << 700.0, -700.0, 0.0, -700.0, 700.0, 699.0).finished();
  const std::vector<Index> two = {1, 2};
  const auto g = [&](const Tensor& x) {
    Index o = 0;
    return xi::softmax_cross_entropy(cut(x, o, mat(2, 3)), two);
  };
  const auto vg = xi::value_and_grad(g, big);
  EXPECT_NEAR(vg.value, (1400.0 + 1.0 + std::log1p(std::exp(-1.0))) / 2, 1e-10);
  EXPECT_TRUE(vg.gradient.allFinite());
  check_derivatives(g, big);
  // Constant logits give a constant.
  EXPECT_TRUE(xi::softmax_cross_entropy(xi::borrow(z), labels).is_constant());
}

TEST(TensorOpsLosses, SoftmaxCrossEntropyErrors) {
  const Tensor z = zeros(3, 4);
  const std::vector<Index> bad = {0, 4, 1};
  EXPECT_EQ(error_of([&] { xi::softmax_cross_entropy(z, bad); }),
            "softmax_cross_entropy: label 4 in row 1 is out of range for 4 classes");
  const std::vector<Index> two = {0, 1};
  EXPECT_EQ(error_of([&] { xi::softmax_cross_entropy(z, two); }),
            "softmax_cross_entropy: 2 labels for logits of shape (3, 4) (one label per row: 3)");
}

// ------------------------------------------------------------------ composition

// A small MLP written with the ops, its loss against finite differences in every parameter.
TEST(TensorOpsComposite, SmallNetworkWithMiniBatch) {
  const Matrix X = random_matrix(6, 3, 35);
  const std::vector<Index> batch = {4, 1, 5, 0};
  const std::vector<Index> labels = {0, 2, 1, 1};
  const xi::ScalarFunction f = [&](const Tensor& x) {
    Index o = 0;
    const Tensor W1 = cut(x, o, mat(3, 4)), b1 = cut(x, o, vec(4));
    const Tensor W2 = cut(x, o, mat(4, 3)), b2 = cut(x, o, vec(3));
    const Tensor xb = xi::select_rows(xi::borrow(X), batch);
    const Tensor h = xi::tanh(xi::matmul(xb, W1) + b1);
    const Tensor z = xi::matmul(h, W2) + b2;
    return xi::softmax_cross_entropy(z, labels) + 0.01 * xi::dot(W1, W1) +
           xi::mean(xi::logsumexp(z, 1));
  };
  check_derivatives(f, random_vector(12 + 4 + 12 + 3, 36));
}

// Jacobians of tensor-valued functions: with more outputs than inputs xi::jacobian runs the
// forward (jvp) rules alone, so they are checked apart from the second-order ones.
TEST(TensorOpsComposite, JacobiansThroughTheForwardRules) {
  const Matrix A = random_matrix(5, 3, 41);
  const Matrix At = A.transpose();
  const Vector x0 = random_vector(3, 42);
  EXPECT_LT(
      max_error(xi::jacobian([&](const Tensor& x) { return xi::matmul(xi::borrow(A), x); }, x0), A),
      1e-15);
  const std::vector<Index> rows = {2, 0, 2, 1};
  const xi::VectorFunction f = [&](const Tensor& x) {
    const Tensor m = xi::reshape(xi::concat(std::vector<Tensor>{x, xi::exp(x)}), mat(2, 3));
    const Tensor t = xi::transpose(m);  // (3, 2)
    const std::vector<Tensor> parts = {xi::reshape(xi::softmax(t, 0), vec(6)),
                                       xi::log_softmax(x),
                                       xi::reshape(xi::select_rows(t, rows), vec(8)),
                                       xi::sum(m, 0),
                                       xi::mean(t, 1),
                                       xi::logsumexp(m, 1),
                                       xi::slice_rows(x, 1, 3),
                                       xi::matmul(x, xi::borrow(At))};
    return xi::concat(parts);
  };
  const Matrix J = xi::jacobian(f, x0);
  ASSERT_EQ(J.rows(), 6 + 3 + 8 + 3 + 3 + 2 + 2 + 5);
  Matrix Jfd(J.rows(), 3);
  for (Eigen::Index j = 0; j < 3; ++j) {
    Vector xp = x0, xm = x0;
    xp[j] += 1e-6;
    xm[j] -= 1e-6;
    xi::Tape tape;
    xi::Tape::Scope scope(tape);
    const Vector yp = f(xi::constant(xp)).values().reshaped();
    const Vector ym = f(xi::constant(xm)).values().reshaped();
    Jfd.col(j) = (yp - ym) / 2e-6;
  }
  EXPECT_LT(max_error(J, Jfd), 1e-8) << J << "\n\n" << Jfd;
}

// Parameters: backward() adds ∂L/∂W into W.grad() through matmul and the fused loss.
TEST(TensorOpsComposite, ParameterGradientsThroughBackward) {
  const Matrix X = random_matrix(4, 3, 43);
  const std::vector<Index> labels = {1, 0, 1, 1};
  xi::Parameter W(random_matrix(3, 2, 44), "W");
  xi::Tape tape;
  xi::Tape::Scope scope(tape);
  for (int pass = 0; pass < 2; ++pass) {  // the gradient accumulates over passes
    tape.clear();
    const Var L = xi::softmax_cross_entropy(xi::matmul(xi::borrow(X), W.var()), labels);
    xi::backward(L);
  }
  const Vector w0 = W.value().reshaped<Eigen::RowMajor>();
  const Vector fd = fd_gradient(
      [&](const Tensor& w) {
        return xi::softmax_cross_entropy(xi::matmul(xi::borrow(X), xi::reshape(w, mat(3, 2))),
                                         labels);
      },
      w0);
  EXPECT_LT(max_error(Vector(W.grad().reshaped<Eigen::RowMajor>()), 2 * fd), 1e-8);
}

// The ops print their rules: names, definitions and vector–Jacobian formulas.
TEST(TensorOpsPrinting, DefinitionsAndPartials) {
  xi::Tape tape;
  xi::Tape::Scope scope(tape);
  const Tensor a = xi::variable(Matrix(random_matrix(2, 3, 37)), "A");
  const Tensor b = xi::variable(Matrix(random_matrix(3, 2, 38)), "B");
  const Tensor c = xi::matmul(a, b);
  const xi::TensorNode& n = tape.tensor_nodes().back();
  EXPECT_EQ(n.op->name(), "matmul");
  EXPECT_EQ(n.op->definition(n, {"ξ1", "ξ2", ""}), "ξ1·ξ2");
  EXPECT_EQ(n.op->partial(n, 0), "Ḡ·Bᵀ");
  EXPECT_EQ(n.op->partial(n, 1), "Aᵀ·Ḡ");
  EXPECT_TRUE(n.op->has_second_order());
  xi::transpose(c);
  const xi::TensorNode& t = tape.tensor_nodes().back();
  EXPECT_EQ(t.op->definition(t, {"ξ3", "", ""}), "ξ3ᵀ");
  xi::mean(a);
  const xi::TensorNode& m = tape.tensor_nodes().back();
  EXPECT_EQ(m.op->definition(m, {"ξ1", "", ""}), "mean(ξ1)");
  xi::sum(a, 1);
  const xi::TensorNode& s = tape.tensor_nodes().back();
  EXPECT_EQ(s.op->definition(s, {"ξ1", "", ""}), "sum(ξ1, axis=1)");
  for (const xi::TensorNode& node : tape.tensor_nodes()) EXPECT_TRUE(node.op->has_second_order());
}

}  // namespace
