// Random expression graphs against finite differences: hundreds of seeded programs over 2–4
// scalar variables, mixing every element-wise op, folded constants and nodes used several times;
// gradients by xi::grad and xi::value_and_grad, Hessians by xi::hessian and xi::hvp. Then mixed
// scalar/tensor graphs with broadcasting and reductions.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/tensor.hpp>
#include <xigrad/autodiff/var.hpp>

#include "finite_difference.hpp"

namespace {

using xi::Matrix;
using xi::Tensor;
using xi::Var;
using xi::Vector;
using Rng = std::mt19937_64;

double uniform(Rng& r, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(r);
}
std::size_t pick(Rng& r, std::size_t n) {
  return static_cast<std::size_t>(r() % n);
}
bool r_coin(Rng& r) {
  return (r() & 1) != 0;
}

// ------------------------------------------------------------------ programs

/// One instruction: node = op(node[a], node[b]) with constants c, d. Domains are guarded by
/// construction (log only of softplus(·) + 0.1 or exp(·), sqrt of square(·) + 1e-3, division by
/// 1 + square(·), ...) and kinks by a margin checked when the program is generated.
enum class Ins {
  neg,
  exp,
  log_softplus,
  log_exp,
  log1p_square,
  expm1_tanh,
  sqrt_square,
  square,
  recip,
  abs,
  sin,
  cos,
  tan_tanh,
  tanh,
  sigmoid,
  softplus,
  relu,
  leaky_relu,
  clamp,
  pow_c,
  rpow_c,
  // folded constants
  add_c,
  rsub_c,
  mul_c,
  div_c,
  rdiv_c,
  // two operands (or a constant recorded as a leaf, or one node twice)
  add,
  sub,
  mul,
  div,
  pow,
  min,
  max,
  max_c,
  square_by_mul,
  count
};

struct Instr {
  Ins op = Ins::neg;
  std::size_t a = 0, b = 0;
  double c = 0, d = 0;
};

struct Program {
  std::size_t n_vars = 0;
  std::vector<Instr> code;
  std::string text;  // readable listing for failure messages
};

Var exec(const Instr& in, const std::vector<Var>& v) {
  const Var& a = v[in.a];
  const Var& b = v[in.b];
  switch (in.op) {
    case Ins::neg:
      return -a;
    case Ins::exp:
      return xi::exp(a);
    case Ins::log_softplus:
      return xi::log(xi::softplus(a) + 0.1);
    case Ins::log_exp:
      return xi::log(xi::exp(a));
    case Ins::log1p_square:
      return xi::log1p(xi::square(a));
    case Ins::expm1_tanh:
      return xi::expm1(xi::tanh(a));
    case Ins::sqrt_square:
      return xi::sqrt(xi::square(a) + 1e-3);
    case Ins::square:
      return xi::square(a);
    case Ins::recip:
      return xi::reciprocal(1.0 + xi::square(a));
    case Ins::abs:
      return xi::abs(a);
    case Ins::sin:
      return xi::sin(a);
    case Ins::cos:
      return xi::cos(a);
    case Ins::tan_tanh:
      return xi::tan(xi::tanh(a));
    case Ins::tanh:
      return xi::tanh(a);
    case Ins::sigmoid:
      return xi::sigmoid(a);
    case Ins::softplus:
      return xi::softplus(a);
    case Ins::relu:
      return xi::relu(a);
    case Ins::leaky_relu:
      return xi::leaky_relu(a, in.c);
    case Ins::clamp:
      return xi::clamp(a, in.c, in.d);
    case Ins::pow_c:
      return xi::pow(xi::softplus(a) + 0.1, in.c);
    case Ins::rpow_c:
      return xi::pow(in.c, xi::tanh(a));
    case Ins::add_c:
      return a + in.c;
    case Ins::rsub_c:
      return in.c - a;
    case Ins::mul_c:
      return in.c * a;
    case Ins::div_c:
      return a / in.c;
    case Ins::rdiv_c:
      return in.c / (1.0 + xi::square(a));
    case Ins::add:
      return a + b;
    case Ins::sub:
      return a - b;
    case Ins::mul:
      return a * b;
    case Ins::div:
      return a / (1.0 + xi::square(b));
    case Ins::pow:
      return xi::pow(xi::softplus(a) + 0.5, xi::tanh(b));
    case Ins::min:
      return xi::min(a, b);
    case Ins::max:
      return xi::max(a, b);
    case Ins::max_c:
      return xi::max(a, Var(in.c));  // a constant operand recorded as a leaf
    case Ins::square_by_mul:
      return a * a;  // one node used twice by one op
    case Ins::count:
      break;
  }
  return a;
}

const char* name_of(Ins op) {
  static constexpr std::array<const char*, static_cast<std::size_t>(Ins::count)> names = {
      "neg",
      "exp",
      "log(softplus+0.1)",
      "log(exp)",
      "log1p(sq)",
      "expm1(tanh)",
      "sqrt(sq+1e-3)",
      "square",
      "1/(1+sq)",
      "abs",
      "sin",
      "cos",
      "tan(tanh)",
      "tanh",
      "sigmoid",
      "softplus",
      "relu",
      "leaky_relu",
      "clamp",
      "pow(sp+0.1,c)",
      "pow(c,tanh)",
      "+c",
      "c-",
      "c*",
      "/c",
      "c/(1+sq)",
      "+",
      "-",
      "*",
      "/(1+sq)",
      "pow",
      "min",
      "max",
      "max(a,c)",
      "a*a"};
  return names[static_cast<std::size_t>(op)];
}

bool binary(Ins op) {
  return op == Ins::add || op == Ins::sub || op == Ins::mul || op == Ins::div || op == Ins::pow ||
         op == Ins::min || op == Ins::max;
}

/// Distance of the instruction's inputs from its kink (infinite for smooth instructions).
double kink_margin(const Instr& in, const std::vector<double>& v) {
  const double a = v[in.a], b = v[in.b];
  switch (in.op) {
    case Ins::abs:
    case Ins::relu:
    case Ins::leaky_relu:
      return std::abs(a);
    case Ins::clamp:
      return std::min(std::abs(a - in.c), std::abs(a - in.d));
    case Ins::min:
    case Ins::max:
      return std::abs(a - b);
    case Ins::max_c:
      return std::abs(a - in.c);
    default:
      return std::numeric_limits<double>::infinity();
  }
}

/// Evaluates the program on the given inputs; returns every node (inputs first).
std::vector<Var> run(const Program& p, std::span<const Var> inputs) {
  std::vector<Var> v(inputs.begin(), inputs.end());
  v.reserve(p.n_vars + p.code.size());
  for (const Instr& in : p.code) v.push_back(exec(in, v));
  return v;
}

double value_at(const Program& p, const Vector& x) {
  xi::Tape tape;  // values only: constants fold, nothing is recorded
  xi::Tape::Scope scope(tape);
  std::vector<Var> in;
  for (Eigen::Index i = 0; i < x.size(); ++i) in.emplace_back(x[i]);
  return run(p, in).back().value();
}

/// A random program whose every node is finite and moderate at x, with kinks kept at a margin.
Program generate(Rng& rng, const Vector& x) {
  Program p;
  p.n_vars = static_cast<std::size_t>(x.size());
  std::vector<double> vals(x.data(), x.data() + x.size());
  std::vector<Var> nodes;
  for (double xi_ : vals) nodes.emplace_back(xi_);
  const std::size_t length = 4 + pick(rng, 24);
  auto operand = [&](std::size_t n) {
    // Half the time one of the latest three nodes (chains), else any earlier node (reuse).
    if (r_coin(rng)) return n - 1 - pick(rng, std::min<std::size_t>(3, n));
    return pick(rng, n);
  };
  while (p.code.size() < length) {
    Instr in;
    in.op = static_cast<Ins>(pick(rng, static_cast<std::size_t>(Ins::count)));
    const std::size_t n = nodes.size();
    in.a = operand(n);
    in.b = binary(in.op) ? operand(n) : in.a;
    switch (in.op) {
      case Ins::leaky_relu:
        in.c = uniform(rng, 0.0, 0.5);
        break;
      case Ins::clamp:
        in.c = uniform(rng, -2, 1);
        in.d = in.c + uniform(rng, 0.2, 2);
        break;
      case Ins::pow_c:
        in.c = std::array{-1.5, 0.5, 2.0, 3.0, 1.7}[pick(rng, 5)];
        break;
      case Ins::rpow_c:
        in.c = uniform(rng, 0.5, 3);
        break;
      case Ins::div_c:
      case Ins::mul_c:
        in.c = (r_coin(rng) ? 1 : -1) * uniform(rng, 0.5, 2);
        break;
      default:
        in.c = uniform(rng, -2, 2);
    }
    if (in.op == Ins::exp || in.op == Ins::log_exp) {
      if (std::abs(vals[in.a]) > 20) continue;
    }
    if (kink_margin(in, vals) < 0.05) continue;
    const Var y = exec(in, nodes);
    if (!std::isfinite(y.value()) || std::abs(y.value()) > 1e3) continue;
    nodes.push_back(y);
    vals.push_back(y.value());
    p.code.push_back(in);
    p.text += fmt::format("  v{} = {}(v{}{}) c={:.4g} d={:.4g}   -> {:.6g}\n", nodes.size() - 1,
                          name_of(in.op), in.a, binary(in.op) ? fmt::format(", v{}", in.b) : "",
                          in.c, in.d, y.value());
  }
  // The output mixes the last node with two earlier ones so that early nodes matter too.
  for (int k = 0; k < 2; ++k) {
    Instr scale{Ins::mul_c, pick(rng, nodes.size()), 0, uniform(rng, -1, 1), 0};
    scale.b = scale.a;
    nodes.push_back(exec(scale, nodes));
    p.code.push_back(scale);
    Instr add{Ins::add, nodes.size() - 1, nodes.size() - 2 - static_cast<std::size_t>(k), 0, 0};
    nodes.push_back(exec(add, nodes));
    p.code.push_back(add);
  }
  return p;
}

::testing::AssertionResult near(const Vector& engine, const Vector& fd, double rel,
                                double abs_scale) {
  for (Eigen::Index i = 0; i < engine.size(); ++i) {
    const double err = std::abs(engine[i] - fd[i]);
    const double tol = rel * std::max(std::abs(engine[i]), std::abs(fd[i])) + abs_scale;
    if (!(err <= tol)) {
      return ::testing::AssertionFailure() << fmt::format(
                 "component {}: engine {:.17g} vs finite difference {:.17g} (|err| {:.3g} > "
                 "{:.3g})",
                 i, engine[i], fd[i], err, tol);
    }
  }
  return ::testing::AssertionSuccess();
}

Vector random_point(Rng& rng) {
  Vector x(static_cast<Eigen::Index>(2 + pick(rng, 3)));
  for (auto& xi_ : x) xi_ = uniform(rng, -2, 2);
  return x;
}

// Two finite-difference estimates from different starting steps agree when the function is
// smooth around x at the scale of the step; a kink nearby in input space shows up as
// disagreement, and such a point says nothing about the engine.
bool smooth_here(const std::function<double(const Vector&)>& f, const Vector& x, Vector* fd) {
  *fd = xi::test::fd_gradient(f, x, 1e-3);
  const Vector other = xi::test::fd_gradient(f, x, 1.0 / 4096);
  return near(*fd, other, 1e-7, 1e-9 * (1 + fd->cwiseAbs().maxCoeff()));
}

TEST(RandomGraphs, GradientMatchesFiniteDifferences) {
  Rng rng(20240601);
  int tested = 0, skipped = 0, with_hessian = 0;
  for (int g = 0; g < 400; ++g) {
    const Vector x = random_point(rng);
    const Program p = generate(rng, x);
    SCOPED_TRACE(fmt::format("graph #{} at x = [{}]\n{}", g,
                             fmt::join(std::vector<double>(x.data(), x.data() + x.size()), ", "),
                             p.text));
    auto f = [&](const Vector& xv) { return value_at(p, xv); };
    Vector fd;
    if (!smooth_here(f, x, &fd)) {
      ++skipped;
      continue;
    }
    ++tested;

    // xi::grad over scalar variables.
    xi::Tape tape;
    xi::Tape::Scope scope(tape);
    std::vector<Var> in;
    for (Eigen::Index i = 0; i < x.size(); ++i) in.push_back(xi::variable(x[i]));
    const Var L = run(p, in).back();
    ASSERT_FALSE(L.is_constant());
    EXPECT_EQ(L.value(), f(x));
    const std::vector<double> g1 = xi::grad(L, std::span<const Var>(in));
    const Vector engine = Eigen::Map<const Vector>(g1.data(), static_cast<Eigen::Index>(g1.size()));
    const double scale = 1 + fd.cwiseAbs().maxCoeff();
    EXPECT_TRUE(near(engine, fd, 1e-6, 1e-8 * scale));

    // Recorded one node per statement (each instruction is one statement): the same gradient
    // up to the rounding of the multiplied-out partials.
    {
      xi::Tape fused;
      xi::Tape::Scope fused_scope(fused);
      fused.set_granularity(xi::Granularity::statement);
      std::vector<Var> fin;
      for (Eigen::Index i = 0; i < x.size(); ++i) fin.push_back(xi::variable(x[i]));
      const Var Lf = run(p, fin).back();
      EXPECT_EQ(Lf.value(), L.value());
      EXPECT_LE(fused.slot_count(), tape.slot_count());
      const std::vector<double> gf = xi::grad(Lf, std::span<const Var>(fin));
      const Vector fused_grad =
          Eigen::Map<const Vector>(gf.data(), static_cast<Eigen::Index>(gf.size()));
      EXPECT_TRUE(near(fused_grad, engine, 1e-12, 1e-14 * scale));
    }

    // The same through value_and_grad (a tensor of variables, a private tape): identical.
    const xi::ScalarFunction F = [&](const Tensor& t) {
      std::vector<Var> v;
      for (std::size_t i = 0; i < t.size(); ++i) v.push_back(t[i]);
      return run(p, v).back();
    };
    const auto vg = xi::value_and_grad(F, x);
    EXPECT_EQ(vg.value, L.value());
    EXPECT_TRUE(near(vg.gradient, engine, 1e-15, 0.0));

    if (g % 3 != 0) continue;
    // Second order: the Hessian against finite differences of the gradient, and hvp = H·v.
    ++with_hessian;
    const Matrix H = xi::hessian(F, x);
    const auto grad_at = [&](const Vector& xv) { return xi::value_and_grad(F, xv).gradient; };
    const Matrix Hfd = xi::test::fd_hessian_from_gradient(grad_at, x, 1e-3);
    const double hscale = 1 + Hfd.cwiseAbs().maxCoeff();
    for (Eigen::Index j = 0; j < x.size(); ++j) {
      EXPECT_TRUE(near(H.col(j), Hfd.col(j), 1e-5, 1e-7 * hscale)) << "Hessian column " << j;
    }
    Vector v(x.size());
    for (auto& vi : v) vi = uniform(rng, -1, 1);
    const Vector Hv = xi::hvp(F, x, v);
    EXPECT_TRUE(near(Hv, H * v, 1e-12, 1e-12 * hscale));
  }
  EXPECT_GE(tested, 300) << skipped << " graphs skipped as non-smooth near their point";
  RecordProperty("graphs_tested", tested);
  RecordProperty("graphs_skipped", skipped);
  EXPECT_GE(with_hessian, 100);
}

// ------------------------------------------------------------------ mixed scalar / tensor graphs

/// A random function of x mixing scalar Vars and tensors: x (or the stack of its elements) is
/// broadcast against a constant matrix, scaled by a scalar Var, passed through element-wise ops
/// with row and column broadcasting, and reduced with sum / mean (all or along an axis).
struct MixedGraph {
  Matrix M;       // (m, n) constant
  Matrix column;  // (m, 1) constant
  int as_stack = 0, unary = 0, combine = 0, reduce = 0;
  double c = 0;

  Var operator()(const Tensor& x) const {
    const std::size_t n = x.size();
    std::vector<Var> s;
    for (std::size_t i = 0; i < n; ++i) s.push_back(x[i]);
    const Tensor v = as_stack != 0 ? xi::stack(s) : x;
    const Var k = xi::tanh(s[0] * s[1]) + 0.5;  // a scalar Var
    Tensor T = xi::constant(M) + v;             // matrix + vector: rows broadcast
    T = T * k;                                  // tensor ⊙ scalar Var
    switch (unary) {
      case 0:
        T = xi::tanh(T);
        break;
      case 1:
        T = xi::sigmoid(T);
        break;
      case 2:
        T = xi::softplus(T);
        break;
      case 3:
        T = xi::sin(T);
        break;
      case 4:
        T = xi::exp(xi::tanh(T));
        break;
      default:
        T = xi::log(xi::softplus(T) + 0.1);
        break;
    }
    switch (combine) {
      case 0:
        T = T * v;
        break;  // row broadcast of a vector
      case 1:
        T = T + xi::constant(column) * s.back();
        break;  // column broadcast, scalar Var
      case 2:
        T = T / (1.0 + xi::square(v));
        break;
      default:
        T = xi::pow(xi::square(T) + 1.0, 1.5) - c * v;
        break;
    }
    switch (reduce) {
      case 0:
        return xi::sum(T) * s[0];
      case 1:
        return xi::mean(T) + xi::sum(xi::square(v));
      case 2:
        return xi::sum(xi::mean(T, 0) * v);  // (n) · (n)
      default:
        return xi::mean(xi::sum(T, 1) * k) + c * s.back();
    }
  }
};

MixedGraph random_mixed(Rng& rng, Eigen::Index n) {
  MixedGraph g;
  const Eigen::Index m = 2 + static_cast<Eigen::Index>(pick(rng, 3));
  g.M.resize(m, n);
  g.column.resize(m, 1);
  for (Eigen::Index i = 0; i < m; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) g.M(i, j) = uniform(rng, -1, 1);
    g.column(i, 0) = uniform(rng, -1, 1);
  }
  g.as_stack = static_cast<int>(pick(rng, 2));
  g.unary = static_cast<int>(pick(rng, 6));
  g.combine = static_cast<int>(pick(rng, 4));
  g.reduce = static_cast<int>(pick(rng, 4));
  g.c = uniform(rng, -1, 1);
  return g;
}

double mixed_value(const MixedGraph& g, const Vector& x) {
  xi::Tape tape;
  xi::Tape::Scope scope(tape);
  return g(xi::constant(x)).value();
}

TEST(RandomGraphs, MixedScalarTensorGraphs) {
  Rng rng(777);
  for (int k = 0; k < 120; ++k) {
    Vector x(2 + static_cast<Eigen::Index>(pick(rng, 3)));
    for (auto& e : x) e = uniform(rng, -1.5, 1.5);
    const MixedGraph g = random_mixed(rng, x.size());
    SCOPED_TRACE(fmt::format("mixed graph #{}: stack={} unary={} combine={} reduce={} n={}", k,
                             g.as_stack, g.unary, g.combine, g.reduce, x.size()));
    const xi::ScalarFunction F = [&](const Tensor& t) { return g(t); };
    const auto vg = xi::value_and_grad(F, x);
    EXPECT_NEAR(vg.value, mixed_value(g, x), 1e-14 * (1 + std::abs(vg.value)));
    const Vector fd =
        xi::test::fd_gradient([&](const Vector& v) { return mixed_value(g, v); }, x, 1.0 / 64);
    EXPECT_TRUE(near(vg.gradient, fd, 1e-7, 1e-9 * (1 + fd.cwiseAbs().maxCoeff())));
    if (k % 2 == 0) {
      const Matrix H = xi::hessian(F, x);
      const Matrix Hfd = xi::test::fd_hessian_from_gradient(
          [&](const Vector& v) { return xi::value_and_grad(F, v).gradient; }, x, 1.0 / 64);
      const double hscale = 1 + Hfd.cwiseAbs().maxCoeff();
      for (Eigen::Index j = 0; j < x.size(); ++j) {
        EXPECT_TRUE(near(H.col(j), Hfd.col(j), 1e-6, 1e-8 * hscale)) << "Hessian column " << j;
      }
    }
  }
}

TEST(RandomGraphs, ScalarAndTensorSpellingsAgree) {
  // The same loss written element by element with Vars and as one tensor expression.
  Rng rng(99);
  for (int k = 0; k < 50; ++k) {
    const Eigen::Index n = 2 + static_cast<Eigen::Index>(pick(rng, 3));
    Vector x(n), w(n);
    for (auto& e : x) e = uniform(rng, -2, 2);
    for (auto& e : w) e = uniform(rng, -2, 2);
    const xi::ScalarFunction scalar = [&](const Tensor& t) {
      Var acc = 0.0;
      for (std::size_t i = 0; i < t.size(); ++i) {
        const Var e = t[i];
        acc += xi::softplus(-w[static_cast<Eigen::Index>(i)] * e) * xi::sigmoid(e) + xi::square(e);
      }
      return acc / static_cast<double>(t.size());
    };
    const xi::ScalarFunction tensor = [&](const Tensor& t) {
      return xi::mean(xi::softplus(-xi::borrow(w) * t) * xi::sigmoid(t) + xi::square(t));
    };
    const auto a = xi::value_and_grad(scalar, x), b = xi::value_and_grad(tensor, x);
    EXPECT_NEAR(a.value, b.value, 1e-14 * (1 + std::abs(a.value)));
    EXPECT_TRUE(near(a.gradient, b.gradient, 1e-13, 1e-15));
    const Matrix Ha = xi::hessian(scalar, x), Hb = xi::hessian(tensor, x);
    for (Eigen::Index j = 0; j < n; ++j) {
      EXPECT_TRUE(near(Ha.col(j), Hb.col(j), 1e-12, 1e-14));
    }
  }
}

}  // namespace
