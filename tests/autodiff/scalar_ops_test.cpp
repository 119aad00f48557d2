// Every element-wise op of the op table against finite differences, its second partials, the
// public API and the tensor lifting; stability in the tails; subgradients at kinks.
//
// The test walks the op codes 0 .. Op::count and needs an entry in the test-side table below for
// each one (a domain sampler, extreme points and the public function that records it): an op
// added to scalar_ops.hpp without one fails here, naming the op.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/op_table.hpp>
#include <xigrad/autodiff/tensor.hpp>
#include <xigrad/autodiff/var.hpp>

#include "finite_difference.hpp"

namespace {

using xi::Op;
using xi::OpInfo;
using xi::Tensor;
using xi::Var;
using Rng = std::mt19937_64;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kOverflow = 709.78;  // exp(a) overflows a little above this

/// Inputs a, b and folded constants c, d of one evaluation of an op.
struct Point {
  double a = 0, b = 0, c = 0, d = 0;
  std::array<double, 2> in() const { return {a, b}; }
  std::array<double, 2> consts() const { return {c, d}; }
};

std::string show(const Point& p) {
  return fmt::format("a={:.17g} b={:.17g} c={:.17g} d={:.17g}", p.a, p.b, p.c, p.d);
}

using ScalarFn = std::function<Var(const Var& a, const Var& b, const Point& p)>;
using TensorFn = std::function<Tensor(const Tensor& a, const Tensor& b, const Point& p)>;

/// What the test knows about one op: where it is defined and how the public API reaches it.
struct OpCase {
  std::function<Point(Rng&)> sample;
  std::vector<Point> extremes;  // points at the edges of the domain or of double range
  /// Distance from the point to the nearest domain edge, pole or kink along input `arg`.
  std::function<double(const Point&, int arg)> room = [](const Point&, int) { return kInf; };
  double max_step = kInf;        // cap on the finite-difference step (fast-varying ops)
  std::vector<ScalarFn> scalar;  // every public spelling that records this op
  TensorFn tensor;               // the element-wise tensor function
};

double uniform(Rng& r, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(r);
}
bool coin(Rng& r) {
  return std::bernoulli_distribution(0.5)(r);
}
/// Any sign, magnitude log-uniform in [10^lo, 10^hi].
double wide(Rng& r, double lo = -3, double hi = 3) {
  const double m = std::pow(10.0, uniform(r, lo, hi));
  return coin(r) ? m : -m;
}
/// Mostly moderate values, sometimes wide ones.
double any(Rng& r) {
  return coin(r) ? uniform(r, -5, 5) : wide(r, -4, 4);
}

Point unary(double a, double c = 0, double d = 0) {
  return {a, 0, c, d};
}

std::map<Op, OpCase> make_cases() {
  std::map<Op, OpCase> m;
  auto dist_a = [](const Point& p, int) { return std::abs(p.a); };
  auto overflow = [](const Point& p, int) { return kOverflow - p.a; };

  // ---- binary
  m[Op::add] = {[](Rng& r) {
                  return Point{any(r), any(r)};
                },
                {{1e300, -1e300}, {1e-300, 1e-300}},
                {},
                kInf,
                {[](const Var& a, const Var& b, const Point&) { return a + b; }},
                [](const Tensor& a, const Tensor& b, const Point&) { return a + b; }};
  m[Op::sub] = {[](Rng& r) {
                  return Point{any(r), any(r)};
                },
                {{1e300, 1e300}, {-1e-300, 1e-300}},
                {},
                kInf,
                {[](const Var& a, const Var& b, const Point&) { return a - b; }},
                [](const Tensor& a, const Tensor& b, const Point&) { return a - b; }};
  m[Op::mul] = {[](Rng& r) {
                  return Point{any(r), any(r)};
                },
                {{1e150, -1e150}, {1e-150, 1e150}, {0, 3}},
                {},
                kInf,
                {[](const Var& a, const Var& b, const Point&) { return a * b; }},
                [](const Tensor& a, const Tensor& b, const Point&) { return a * b; }};
  m[Op::div] = {[](Rng& r) {
                  return Point{any(r), coin(r) ? uniform(r, 0.05, 5) : wide(r, -2, 4)};
                },
                {{1, 1e-100}, {-1e100, 1e100}, {0, -3}},
                [](const Point& p, int arg) { return arg == 1 ? std::abs(p.b) : kInf; },
                kInf,
                {[](const Var& a, const Var& b, const Point&) { return a / b; }},
                [](const Tensor& a, const Tensor& b, const Point&) { return a / b; }};
  m[Op::pow] = {[](Rng& r) {
                  return Point{uniform(r, 0.05, 20), uniform(r, -4, 4)};
                },
                {{1e-300, 0.5}, {1e300, 0.5}, {1e-5, 3}, {2, 60}, {0.5, -60}},
                // a^b varies on the scale a/|b| in a and 1/|log a| in b.
                [](const Point& p, int arg) {
                  return arg == 0 ? p.a / std::max(1.0, std::abs(p.b))
                                  : 4 / std::abs(std::log(p.a));
                },
                1.0,
                {[](const Var& a, const Var& b, const Point&) { return xi::pow(a, b); }},
                [](const Tensor& a, const Tensor& b, const Point&) { return xi::pow(a, b); }};
  auto tie_room = [](const Point& p, int) { return std::abs(p.a - p.b); };
  m[Op::min] = {[](Rng& r) {
                  return Point{any(r), any(r)};
                },
                {{-1e300, 1e300}, {1e-300, 2e-300}},
                tie_room,
                kInf,
                {[](const Var& a, const Var& b, const Point&) { return xi::min(a, b); }},
                [](const Tensor& a, const Tensor& b, const Point&) { return xi::min(a, b); }};
  m[Op::max] = {[](Rng& r) {
                  return Point{any(r), any(r)};
                },
                {{-1e300, 1e300}, {1e-300, 2e-300}},
                tie_room,
                kInf,
                {[](const Var& a, const Var& b, const Point&) { return xi::max(a, b); }},
                [](const Tensor& a, const Tensor& b, const Point&) { return xi::max(a, b); }};

  // ---- one operand and folded constants
  m[Op::add_c] = {[](Rng& r) { return unary(any(r), any(r)); },
                  {unary(1e300, -1e300), unary(-1e-300, 1)},
                  {},
                  kInf,
                  {[](const Var& a, const Var&, const Point& p) { return a + p.c; },
                   [](const Var& a, const Var&, const Point& p) { return p.c + a; },
                   [](const Var& a, const Var&, const Point& p) { return a + Var(p.c); },
                   [](const Var& a, const Var&, const Point& p) { return Var(p.c) + a; }},
                  [](const Tensor& a, const Tensor&, const Point& p) { return a + p.c; }};
  m[Op::sub_c] = {[](Rng& r) { return unary(any(r), any(r)); },
                  {unary(1e300, 1e300), unary(-1e-300, 1)},
                  {},
                  kInf,
                  {[](const Var& a, const Var&, const Point& p) { return a - p.c; },
                   [](const Var& a, const Var&, const Point& p) { return a - Var(p.c); }},
                  [](const Tensor& a, const Tensor&, const Point& p) { return a - p.c; }};
  m[Op::rsub_c] = {[](Rng& r) { return unary(any(r), any(r)); },
                   {unary(1e300, 1e300), unary(-1e-300, 1)},
                   {},
                   kInf,
                   {[](const Var& a, const Var&, const Point& p) { return p.c - a; },
                    [](const Var& a, const Var&, const Point& p) { return Var(p.c) - a; }},
                   [](const Tensor& a, const Tensor&, const Point& p) { return p.c - a; }};
  m[Op::mul_c] = {[](Rng& r) { return unary(any(r), any(r)); },
                  {unary(1e150, 1e150), unary(-1e-300, 1e-8), unary(3, 0)},
                  {},
                  kInf,
                  {[](const Var& a, const Var&, const Point& p) { return a * p.c; },
                   [](const Var& a, const Var&, const Point& p) { return p.c * a; },
                   [](const Var& a, const Var&, const Point& p) { return a * Var(p.c); },
                   [](const Var& a, const Var&, const Point& p) { return Var(p.c) * a; }},
                  [](const Tensor& a, const Tensor&, const Point& p) { return a * p.c; }};
  m[Op::div_c] = {[](Rng& r) { return unary(any(r), coin(r) ? uniform(r, 0.1, 5) : wide(r)); },
                  {unary(1e300, 1e-5), unary(-1e-300, 1e10)},
                  {},
                  kInf,
                  {[](const Var& a, const Var&, const Point& p) { return a / p.c; },
                   [](const Var& a, const Var&, const Point& p) { return a / Var(p.c); }},
                  [](const Tensor& a, const Tensor&, const Point& p) { return a / p.c; }};
  m[Op::rdiv_c] = {[](Rng& r) { return unary(coin(r) ? uniform(r, 0.1, 5) : wide(r), any(r)); },
                   {unary(1e-100, 1), unary(-1e100, 2), unary(3, 0)},
                   dist_a,
                   kInf,
                   {[](const Var& a, const Var&, const Point& p) { return p.c / a; },
                    [](const Var& a, const Var&, const Point& p) { return Var(p.c) / a; }},
                   [](const Tensor& a, const Tensor&, const Point& p) { return p.c / a; }};
  m[Op::pow_c] = {[](Rng& r) {
                    if (coin(r)) return unary(uniform(r, 0.01, 50), uniform(r, -4, 4));
                    // negative bases with integer exponents
                    const double c = std::array{-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0}[r() % 8];
                    return unary(-uniform(r, 0.1, 5), c);
                  },
                  {unary(1e-300, 0.5), unary(1e300, 0.5), unary(1e-5, 3), unary(2, 0), unary(2, 1),
                   unary(-2, 3), unary(0.5, -60)},
                  [](const Point& p, int) { return std::abs(p.a) / std::max(1.0, std::abs(p.c)); },
                  kInf,
                  {[](const Var& a, const Var&, const Point& p) { return xi::pow(a, p.c); },
                   [](const Var& a, const Var&, const Point& p) { return xi::pow(a, Var(p.c)); }},
                  [](const Tensor& a, const Tensor&, const Point& p) { return xi::pow(a, p.c); }};
  m[Op::rpow_c] = {[](Rng& r) { return unary(uniform(r, -20, 20), uniform(r, 0.1, 10)); },
                   {unary(500, 4), unary(-500, 4), unary(3, 1), unary(1e-300, 0.5)},
                   [](const Point& p, int) {
                     return 4 / std::abs(std::log(p.c));
                   },  // c^a varies like e^(a log c)
                   1.0,
                   {[](const Var& a, const Var&, const Point& p) { return xi::pow(p.c, a); },
                    [](const Var& a, const Var&, const Point& p) { return xi::pow(Var(p.c), a); }},
                   [](const Tensor& a, const Tensor&, const Point& p) { return xi::pow(p.c, a); }};
  m[Op::leaky_relu] = {
      [](Rng& r) { return unary(any(r), uniform(r, 0, 1)); },
      {unary(1e-300, 0.01), unary(-1e-300, 0.01), unary(-1e300, 0.2)},
      dist_a,
      kInf,
      {[](const Var& a, const Var&, const Point& p) { return xi::leaky_relu(a, p.c); }},
      [](const Tensor& a, const Tensor&, const Point& p) { return xi::leaky_relu(a, p.c); }};
  m[Op::clamp] = {
      [](Rng& r) {
        const double c = uniform(r, -5, 5), d = c + uniform(r, 0, 5);
        return unary(uniform(r, c - 2, d + 2), c, d);
      },
      {unary(-1e300, -1, 1), unary(1e300, -1, 1), unary(0.5, 0.5 - 1e-12, 0.5 + 1e-12)},
      [](const Point& p, int) { return std::min(std::abs(p.a - p.c), std::abs(p.a - p.d)); },
      kInf,
      {[](const Var& a, const Var&, const Point& p) { return xi::clamp(a, p.c, p.d); }},
      [](const Tensor& a, const Tensor&, const Point& p) { return xi::clamp(a, p.c, p.d); }};

  // ---- unary
  auto sample_any = [](Rng& r) { return unary(any(r)); };
  auto sample_positive = [](Rng& r) {
    return unary(coin(r) ? uniform(r, 1e-3, 20) : std::abs(wide(r, -12, 12)));
  };
  auto sample_tail = [](Rng& r) { return unary(coin(r) ? uniform(r, -8, 8) : wide(r, -3, 2.85)); };
  m[Op::neg] = {sample_any,
                {unary(1e300), unary(-1e-300)},
                {},
                kInf,
                {[](const Var& a, const Var&, const Point&) { return -a; }},
                [](const Tensor& a, const Tensor&, const Point&) { return -a; }};
  m[Op::exp] = {sample_tail,
                {unary(700), unary(-700), unary(1e-300)},
                overflow,
                1.0,
                {[](const Var& a, const Var&, const Point&) { return xi::exp(a); }},
                [](const Tensor& a, const Tensor&, const Point&) { return xi::exp(a); }};
  m[Op::log] = {sample_positive,
                {unary(1e-300), unary(1e300), unary(1e-10), unary(1)},
                dist_a,
                kInf,
                {[](const Var& a, const Var&, const Point&) { return xi::log(a); }},
                [](const Tensor& a, const Tensor&, const Point&) { return xi::log(a); }};
  m[Op::log1p] = {
      [](Rng& r) { return unary(coin(r) ? -1 + std::pow(10.0, uniform(r, -12, 1)) : any(r) + 6); },
      {unary(-1 + 1e-12), unary(1e-300), unary(-1e-300), unary(1e300), unary(-0.5)},
      [](const Point& p, int) { return 1 + p.a; },
      kInf,
      {[](const Var& a, const Var&, const Point&) { return xi::log1p(a); }},
      [](const Tensor& a, const Tensor&, const Point&) { return xi::log1p(a); }};
  m[Op::expm1] = {sample_tail,
                  {unary(700), unary(-700), unary(1e-300), unary(-1e-12)},
                  overflow,
                  1.0,
                  {[](const Var& a, const Var&, const Point&) { return xi::expm1(a); }},
                  [](const Tensor& a, const Tensor&, const Point&) { return xi::expm1(a); }};
  m[Op::sqrt] = {sample_positive,
                 {unary(1e-300), unary(1e300), unary(4)},
                 dist_a,
                 kInf,
                 {[](const Var& a, const Var&, const Point&) { return xi::sqrt(a); }},
                 [](const Tensor& a, const Tensor&, const Point&) { return xi::sqrt(a); }};
  m[Op::square] = {sample_any,
                   {unary(1e150), unary(-1e-150), unary(0)},
                   {},
                   kInf,
                   {[](const Var& a, const Var&, const Point&) { return xi::square(a); }},
                   [](const Tensor& a, const Tensor&, const Point&) { return xi::square(a); }};
  m[Op::reciprocal] = {
      [](Rng& r) { return unary(coin(r) ? uniform(r, 0.1, 5) * (coin(r) ? 1 : -1) : wide(r)); },
      {unary(1e-100), unary(-1e-100), unary(1e100)},
      dist_a,
      kInf,
      {[](const Var& a, const Var&, const Point&) { return xi::reciprocal(a); }},
      [](const Tensor& a, const Tensor&, const Point&) { return xi::reciprocal(a); }};
  m[Op::abs] = {sample_any,
                {unary(1e-300), unary(-1e-300), unary(-1e300)},
                dist_a,
                kInf,
                {[](const Var& a, const Var&, const Point&) { return xi::abs(a); }},
                [](const Tensor& a, const Tensor&, const Point&) { return xi::abs(a); }};
  auto sample_trig = [](Rng& r) { return unary(coin(r) ? uniform(r, -7, 7) : wide(r, -3, 3)); };
  m[Op::sin] = {sample_trig,
                {unary(1e3), unary(-1e3), unary(1e-300), unary(std::numbers::pi)},
                {},
                0.5,
                {[](const Var& a, const Var&, const Point&) { return xi::sin(a); }},
                [](const Tensor& a, const Tensor&, const Point&) { return xi::sin(a); }};
  m[Op::cos] = {sample_trig,
                {unary(1e3), unary(-1e3), unary(1e-300), unary(std::numbers::pi / 2)},
                {},
                0.5,
                {[](const Var& a, const Var&, const Point&) { return xi::cos(a); }},
                [](const Tensor& a, const Tensor&, const Point&) { return xi::cos(a); }};
  m[Op::tan] = {[](Rng& r) { return unary(uniform(r, -1.5, 1.5)); },
                {unary(1.5), unary(-1.5), unary(1e-300), unary(1.57)},
                [](const Point& p, int) { return std::numbers::pi / 2 - std::abs(p.a); },
                kInf,
                {[](const Var& a, const Var&, const Point&) { return xi::tan(a); }},
                [](const Tensor& a, const Tensor&, const Point&) { return xi::tan(a); }};
  m[Op::tanh] = {sample_tail,
                 {unary(700), unary(-700), unary(20), unary(-20), unary(1e-300)},
                 {},
                 1.0,
                 {[](const Var& a, const Var&, const Point&) { return xi::tanh(a); }},
                 [](const Tensor& a, const Tensor&, const Point&) { return xi::tanh(a); }};
  m[Op::sigmoid] = {sample_tail,
                    {unary(700), unary(-700), unary(36), unary(-36), unary(1e-300)},
                    {},
                    1.0,
                    {[](const Var& a, const Var&, const Point&) { return xi::sigmoid(a); }},
                    [](const Tensor& a, const Tensor&, const Point&) { return xi::sigmoid(a); }};
  m[Op::softplus] = {sample_tail,
                     {unary(700), unary(-700), unary(40), unary(-40), unary(1e-300)},
                     {},
                     1.0,
                     {[](const Var& a, const Var&, const Point&) { return xi::softplus(a); }},
                     [](const Tensor& a, const Tensor&, const Point&) { return xi::softplus(a); }};
  m[Op::relu] = {sample_any,
                 {unary(1e-300), unary(-1e-300), unary(1e300)},
                 dist_a,
                 kInf,
                 {[](const Var& a, const Var&, const Point&) { return xi::relu(a); }},
                 [](const Tensor& a, const Tensor&, const Point&) { return xi::relu(a); }};
  return m;
}

const std::map<Op, OpCase>& cases() {
  static const std::map<Op, OpCase> m = make_cases();
  return m;
}

bool is_element_wise(Op op) {
  return op != Op::leaf && op != Op::constant && op != Op::tensor;
}

std::vector<Op> element_wise_ops() {
  std::vector<Op> out;
  for (std::size_t i = 0; i < static_cast<std::size_t>(Op::count); ++i) {
    const auto op = static_cast<Op>(i);
    if (is_element_wise(op)) out.push_back(op);
  }
  return out;
}

// ------------------------------------------------------------------ evaluating the table entry

double value_of(const OpInfo& info, std::array<double, 2> in, const Point& p) {
  const auto c = p.consts();
  return info.value(in.data(), c.data());
}
std::array<double, 2> partials_of(const OpInfo& info, std::array<double, 2> in, const Point& p) {
  const auto c = p.consts();
  std::array<double, 2> out{0, 0};
  info.partials(in.data(), info.value(in.data(), c.data()), c.data(), out.data());
  return out;
}
std::array<double, 3> second_of(const OpInfo& info, std::array<double, 2> in, const Point& p) {
  const auto c = p.consts();
  std::array<double, 3> out{0, 0, 0};
  info.second(in.data(), info.value(in.data(), c.data()), c.data(), out.data());
  return out;
}
bool on_kink(const OpInfo& info, const Point& p) {
  const auto in = p.in();
  const auto c = p.consts();
  return info.at_kink != nullptr && info.at_kink(in.data(), c.data());
}

/// The finite-difference derivative of g along input `arg` at p, the step chosen to stay
/// inside the op's domain and away from its kinks; nullopt when there is no room.
struct Fd {
  double value = 0;
  double scale = 0;  // max |g| over the stencil / step: the size of a derivative of g here
  bool ok = false;
};
Fd fd_along(const OpCase& cs, const Point& p, int arg,
            const std::function<double(std::array<double, 2>)>& g) {
  const double x = p.in()[static_cast<std::size_t>(arg)];
  const double room = cs.room ? cs.room(p, arg) : kInf;
  double h = std::min({xi::test::detail::default_step(x), cs.max_step, room / 4});
  if (!(h > 0) || !std::isfinite(h)) return {};
  auto at = [&](double t) {
    auto in = p.in();
    in[static_cast<std::size_t>(arg)] = t;
    return g(in);
  };
  Fd out;
  out.value = xi::test::fd_derivative(at, x, h);
  out.scale = std::max({std::abs(at(x - h)), std::abs(at(x)), std::abs(at(x + h))}) / h;
  out.ok = std::isfinite(out.value) && std::isfinite(out.scale);
  return out;
}

/// |ad − fd| ≤ rel·max(|ad|, |fd|) + 1e-9·scale.
::testing::AssertionResult close(double ad, double fd, double scale, double rel = 1e-6) {
  const double err = std::abs(ad - fd);
  const double tol = rel * std::max(std::abs(ad), std::abs(fd)) + 1e-9 * scale;
  if (err <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << fmt::format("engine {:.17g} vs finite difference {:.17g}: |err| {:.3g} > tol {:.3g}",
                        ad, fd, err, tol);
}

bool same_value(double x, double y) {
  return x == y || (std::isnan(x) && std::isnan(y));
}

std::vector<Point> points_for(Op op, const OpCase& cs, int n_random) {
  Rng rng(0x5eed + static_cast<unsigned>(op));
  std::vector<Point> pts = cs.extremes;
  for (int i = 0; i < n_random; ++i) pts.push_back(cs.sample(rng));
  return pts;
}

// ------------------------------------------------------------------ the table drives the tests

TEST(ScalarOps, EveryOpHasATestEntryAndAConsistentTableRow) {
  for (Op op : element_wise_ops()) {
    const OpInfo& info = xi::op_info(op);
    SCOPED_TRACE(std::string(info.name));
    EXPECT_EQ(info.code, op);
    EXPECT_TRUE(cases().contains(op))
        << "op '" << info.name << "' (code " << static_cast<int>(op) << ", def '" << info.def
        << "') has no entry in the scalar_ops_test table: add a domain sampler, extreme points "
           "and its public function";
    EXPECT_FALSE(info.name.empty());
    EXPECT_FALSE(info.def.empty());
    EXPECT_FALSE(info.partial[0].empty());
    EXPECT_EQ(info.arity, xi::kArity[static_cast<std::size_t>(op)]);
    EXPECT_EQ(info.n_consts, xi::kConsts[static_cast<std::size_t>(op)]);
    EXPECT_TRUE(info.arity == 1 || info.arity == 2);
    if (info.arity == 2) {
      EXPECT_FALSE(info.partial[1].empty());
    } else {
      EXPECT_TRUE(info.partial[1].empty());
    }
    EXPECT_NE(info.value, nullptr);
    EXPECT_NE(info.partials, nullptr);
    EXPECT_NE(info.second, nullptr);
    // A kink is declared in words exactly when the op can tell whether it sits on one.
    EXPECT_EQ(info.kink.empty(), info.at_kink == nullptr);
  }
  for (Op op : {Op::leaf, Op::constant, Op::tensor, Op::count}) {
    EXPECT_THROW((void)xi::op_info(op), xi::MissingRuleError) << static_cast<int>(op);
  }
}

TEST(ScalarOps, FirstPartialsMatchFiniteDifferences) {
  for (Op op : element_wise_ops()) {
    const OpInfo& info = xi::op_info(op);
    if (!cases().contains(op)) continue;  // reported by EveryOpHasATestEntry...
    const OpCase& cs = cases().at(op);
    int checked = 0;
    for (const Point& p : points_for(op, cs, 300)) {
      if (on_kink(info, p)) continue;
      const auto ad = partials_of(info, p.in(), p);
      for (int arg = 0; arg < info.arity; ++arg) {
        const Fd fd =
            fd_along(cs, p, arg, [&](std::array<double, 2> in) { return value_of(info, in, p); });
        if (!fd.ok) continue;
        ++checked;
        EXPECT_TRUE(close(ad[static_cast<std::size_t>(arg)], fd.value, fd.scale))
            << info.name << " ∂/∂" << (arg == 0 ? 'a' : 'b') << " at " << show(p);
      }
    }
    EXPECT_GE(checked, 250) << info.name;
  }
}

TEST(ScalarOps, SecondPartialsMatchFiniteDifferencesOfTheFirst) {
  for (Op op : element_wise_ops()) {
    const OpInfo& info = xi::op_info(op);
    if (!cases().contains(op)) continue;
    const OpCase& cs = cases().at(op);
    int checked = 0;
    for (const Point& p : points_for(op, cs, 300)) {
      if (on_kink(info, p)) continue;
      const auto ad = second_of(info, p.in(), p);
      if (!std::isfinite(ad[0]) || !std::isfinite(ad[1]) || !std::isfinite(ad[2])) continue;
      // unary: d/da of ∂y/∂a. binary: d/da, d/db of ∂y/∂a and of ∂y/∂b ({aa, ab, ba, bb}).
      for (int which = 0; which < info.arity; ++which) {
        for (int arg = 0; arg < info.arity; ++arg) {
          const Fd fd = fd_along(cs, p, arg, [&](std::array<double, 2> in) {
            return partials_of(info, in, p)[static_cast<std::size_t>(which)];
          });
          if (!fd.ok) continue;
          ++checked;
          const double expected = ad[static_cast<std::size_t>(which + arg)];
          EXPECT_TRUE(close(expected, fd.value, fd.scale, 1e-6))
              << info.name << " ∂²/∂" << (which == 0 ? 'a' : 'b') << "∂" << (arg == 0 ? 'a' : 'b')
              << " at " << show(p);
        }
      }
    }
    EXPECT_GE(checked, 250) << info.name;
  }
}

TEST(ScalarOps, PublicApiRecordsTheOpWithItsValueAndPartials) {
  for (Op op : element_wise_ops()) {
    const OpInfo& info = xi::op_info(op);
    if (!cases().contains(op)) continue;
    const OpCase& cs = cases().at(op);
    ASSERT_FALSE(cs.scalar.empty()) << info.name;
    for (const Point& p : points_for(op, cs, 40)) {
      const double y = value_of(info, p.in(), p);
      const auto d = partials_of(info, p.in(), p);
      for (std::size_t k = 0; k < cs.scalar.size(); ++k) {
        SCOPED_TRACE(fmt::format("{} spelling #{} at {}", info.name, k, show(p)));
        xi::Tape tape;
        xi::Tape::Scope scope(tape);
        const Var a = xi::variable(p.a, "a"), b = xi::variable(p.b, "b");
        const Var r = cs.scalar[k](a, b, p);
        ASSERT_FALSE(r.is_constant());
        EXPECT_EQ(tape.op_at(r.slot()), op)
            << "recorded as '" << xi::op_info(tape.op_at(r.slot())).name << "'";
        EXPECT_TRUE(same_value(r.value(), y)) << r.value() << " vs " << y;
        const std::array<Var, 2> xs{a, b};
        const auto g = xi::grad(r, xs);
        EXPECT_TRUE(same_value(g[0], d[0])) << g[0] << " vs " << d[0];
        EXPECT_TRUE(same_value(g[1], info.arity == 2 ? d[1] : 0.0)) << g[1] << " vs " << d[1];
        // The same value with nothing recorded (constants fold, NoGrad).
        {
          xi::NoGrad no_grad;
          const Var rc = cs.scalar[k](a, b, p);
          EXPECT_TRUE(rc.is_constant());
          EXPECT_TRUE(same_value(rc.value(), y));
        }
        const Var rc = cs.scalar[k](Var(p.a), Var(p.b), p);
        EXPECT_TRUE(rc.is_constant());
        EXPECT_TRUE(same_value(rc.value(), y));
      }
    }
  }
}

TEST(ScalarOps, PublicHessianUsesTheSecondPartials) {
  for (Op op : element_wise_ops()) {
    const OpInfo& info = xi::op_info(op);
    if (!cases().contains(op)) continue;
    const OpCase& cs = cases().at(op);
    for (const Point& p : points_for(op, cs, 20)) {
      const auto s = second_of(info, p.in(), p);
      if (!std::isfinite(s[0]) || !std::isfinite(s[1]) || !std::isfinite(s[2])) continue;
      if (!std::isfinite(value_of(info, p.in(), p))) continue;
      SCOPED_TRACE(fmt::format("{} at {}", info.name, show(p)));
      const xi::Matrix H = xi::hessian([&](const Tensor& x) { return cs.scalar[0](x[0], x[1], p); },
                                       xi::Vector{{p.a, p.b}});
      const double h01 = info.arity == 2 ? s[1] : 0.0, h11 = info.arity == 2 ? s[2] : 0.0;
      EXPECT_TRUE(same_value(H(0, 0), s[0])) << H(0, 0) << " vs " << s[0];
      EXPECT_TRUE(same_value(H(0, 1), h01)) << H(0, 1) << " vs " << h01;
      EXPECT_TRUE(same_value(H(1, 0), h01)) << H(1, 0) << " vs " << h01;
      EXPECT_TRUE(same_value(H(1, 1), h11)) << H(1, 1) << " vs " << h11;
    }
  }
}

TEST(ScalarOps, TensorLiftingMatchesTheScalarOp) {
  for (Op op : element_wise_ops()) {
    const OpInfo& info = xi::op_info(op);
    if (!cases().contains(op)) continue;
    const OpCase& cs = cases().at(op);
    ASSERT_TRUE(cs.tensor) << info.name;
    for (const Point& p : points_for(op, cs, 20)) {
      SCOPED_TRACE(fmt::format("{} at {}", info.name, show(p)));
      const double y = value_of(info, p.in(), p);
      const auto d = partials_of(info, p.in(), p);
      xi::Tape tape;
      xi::Tape::Scope scope(tape);
      const Tensor a = xi::variable(xi::Vector(xi::Vector::Constant(3, p.a)));
      const Tensor b = xi::variable(xi::Vector(xi::Vector::Constant(3, p.b)));
      const Tensor r = cs.tensor(a, b, p);
      ASSERT_EQ(r.size(), 3u);
      for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(same_value(r.data()[i], y));
      if (!std::isfinite(y)) continue;
      const Var L = xi::sum(r);
      const xi::Matrix ga = xi::grad(L, a);
      const xi::Matrix gb = xi::grad(L, b);
      for (Eigen::Index i = 0; i < 3; ++i) {
        EXPECT_TRUE(same_value(ga(0, i), d[0])) << ga(0, i) << " vs " << d[0];
        EXPECT_TRUE(same_value(gb(0, i), info.arity == 2 ? d[1] : 0.0));
      }
    }
  }
}

// ------------------------------------------------------------------ stability in the tails

double rel_err(double x, double y) {
  return std::abs(x - y) / std::max(std::abs(y), 1e-300);
}

double value_and_slope(Var (*f)(const Var&), double a, double* slope) {
  xi::Tape tape;
  xi::Tape::Scope scope(tape);
  const Var x = xi::variable(a);
  const Var y = f(x);
  *slope = xi::grad(y, x);
  return y.value();
}

Var sigmoid_fn(const Var& x) {
  return xi::sigmoid(x);
}
Var softplus_fn(const Var& x) {
  return xi::softplus(x);
}
Var tanh_fn(const Var& x) {
  return xi::tanh(x);
}
Var log1p_expm1(const Var& x) {
  return xi::log1p(xi::expm1(x));
}
Var log_sigmoid(const Var& x) {
  return xi::log(xi::sigmoid(x));
}
Var log_one_minus_sigmoid(const Var& x) {
  return xi::log(xi::sigmoid(-x));
}

TEST(ScalarOpsStability, SigmoidInBothTails) {
  double s = 0;
  EXPECT_EQ(value_and_slope(sigmoid_fn, 700, &s), 1.0);
  EXPECT_LT(rel_err(s, std::exp(-700.0)), 1e-13);  // σ(700)σ(−700), not 1·0
  EXPECT_LT(rel_err(value_and_slope(sigmoid_fn, -700, &s), std::exp(-700.0)), 1e-13);
  EXPECT_LT(rel_err(s, std::exp(-700.0)), 1e-13);
  for (double a : {-1000.0, -745.5, 745.5, 1000.0, 1e300, -1e300}) {
    const double v = value_and_slope(sigmoid_fn, a, &s);
    EXPECT_TRUE(std::isfinite(v) && std::isfinite(s)) << a;
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 1.0);
    EXPECT_GE(s, 0.0);
  }
  EXPECT_EQ(value_and_slope(sigmoid_fn, 0, &s), 0.5);
  EXPECT_EQ(s, 0.25);
}

TEST(ScalarOpsStability, SoftplusInBothTails) {
  double s = 0;
  EXPECT_EQ(value_and_slope(softplus_fn, 700, &s), 700.0);
  EXPECT_EQ(s, 1.0);
  const double v = value_and_slope(softplus_fn, -700, &s);
  EXPECT_GT(v, 0.0);  // ≈ 1e-304, not 0
  EXPECT_LT(rel_err(v, std::exp(-700.0)), 1e-13);
  EXPECT_LT(rel_err(s, std::exp(-700.0)), 1e-13);
  EXPECT_LT(rel_err(value_and_slope(softplus_fn, 40, &s), 40 + std::exp(-40.0)), 1e-15);
  EXPECT_LT(rel_err(value_and_slope(softplus_fn, 1e-8, &s), std::log(2.0) + 0.5e-8), 1e-15);
  for (double a : {-1e300, -1000.0, 1000.0, 1e300}) {
    const double w = value_and_slope(softplus_fn, a, &s);
    EXPECT_TRUE(std::isfinite(w) && std::isfinite(s)) << a;
    EXPECT_GE(w, 0.0);
  }
  EXPECT_EQ(value_and_slope(softplus_fn, 1e300, &s), 1e300);
}

TEST(ScalarOpsStability, TanhSaturatesCleanly) {
  double s = 0;
  EXPECT_EQ(value_and_slope(tanh_fn, 700, &s), 1.0);
  EXPECT_EQ(s, 0.0);
  EXPECT_EQ(value_and_slope(tanh_fn, -700, &s), -1.0);
  EXPECT_EQ(s, 0.0);
  EXPECT_EQ(value_and_slope(tanh_fn, 1e-300, &s), 1e-300);
  EXPECT_EQ(s, 1.0);
  // The slope sech²(a) keeps its relative accuracy where tanh(a) has rounded to ±1.
  for (double a : {0.3, -2.0, 12.0, -15.0, 20.0, -300.0}) {
    (void)value_and_slope(tanh_fn, a, &s);
    EXPECT_LT(rel_err(s, 1.0 / (std::cosh(a) * std::cosh(a))), 1e-13) << a;
  }
}

TEST(ScalarOpsStability, Log1pOfExpm1IsTheIdentity) {
  for (double a : {1e-300, -1e-300, 1e-10, -1e-10, 0.5, 5.0, -5.0, 30.0, 700.0}) {
    double s = 0;
    const double v = value_and_slope(log1p_expm1, a, &s);
    EXPECT_LT(rel_err(v, a), 1e-14) << a;
    EXPECT_LT(std::abs(s - 1.0), 1e-12) << a;  // (1/(1+expm1 a))·exp(a)
  }
  double s = 0;
  // expm1 and log1p keep tiny arguments exact, where exp(a) − 1 and log(1 + a) lose them.
  EXPECT_EQ(value_and_slope(
                +[](const Var& x) -> Var { return xi::expm1(x); }, 1e-300, &s),
            1e-300);
  EXPECT_EQ(value_and_slope(
                +[](const Var& x) -> Var { return xi::log1p(x); }, 1e-300, &s),
            1e-300);
  EXPECT_EQ(value_and_slope(
                +[](const Var& x) -> Var { return xi::expm1(x); }, -700, &s),
            -1.0);
}

TEST(ScalarOpsStability, LogOfSigmoidKeepsItsSlopeInTheTails) {
  // log σ(a) ≈ a for a ≪ 0: slope 1 − σ(a) ≈ 1 needs σ' accurate to the last bit in the tail.
  double s = 0;
  EXPECT_LT(rel_err(value_and_slope(log_sigmoid, -700, &s), -700.0), 1e-15);
  EXPECT_LT(std::abs(s - 1.0), 1e-13);
  // log(1 − p) written as log σ(−a): the lecture's ξ6 without the cancellation.
  EXPECT_LT(rel_err(value_and_slope(log_one_minus_sigmoid, 700, &s), -700.0), 1e-15);
  EXPECT_LT(std::abs(s + 1.0), 1e-13);
  // At a = 30 the value log(1 − 9e-14) has lost its digits to the rounding of σ, but the slope
  // σ'(a)/σ(a) = σ(−a) has not.
  (void)value_and_slope(log_sigmoid, 30, &s);
  EXPECT_LT(rel_err(s, std::exp(-30.0) / (1 + std::exp(-30.0))), 1e-13);
}

TEST(ScalarOpsStability, DomainEdges) {
  double s = 0;
  EXPECT_LT(rel_err(value_and_slope(
                        +[](const Var& x) -> Var { return xi::log(x); }, 1e-300, &s),
                    std::log(1e-300)),
            1e-15);
  EXPECT_LT(rel_err(s, 1e300), 1e-15);
  EXPECT_LT(rel_err(value_and_slope(
                        +[](const Var& x) -> Var { return xi::log1p(x); }, -1 + 1e-12, &s),
                    std::log(1e-12)),
            1e-4);  // -1 + 1e-12 is only representable to ~1e-4 relative in its distance to -1
  EXPECT_TRUE(std::isfinite(s));
  EXPECT_GT(s, 9e11);
  EXPECT_LT(rel_err(value_and_slope(
                        +[](const Var& x) -> Var { return xi::sqrt(x); }, 1e-300, &s),
                    1e-150),
            1e-15);
  EXPECT_LT(rel_err(s, 0.5e150), 1e-15);
  EXPECT_TRUE(std::isfinite(value_and_slope(
      +[](const Var& x) -> Var { return xi::exp(x); }, 700, &s)));
  EXPECT_LT(rel_err(s, std::exp(700.0)), 1e-15);
}

// ------------------------------------------------------------------ subgradients at kinks

struct Slopes {
  double value = 0;
  double da = 0, db = 0;
};
Slopes at(const std::function<Var(const Var&, const Var&)>& f, double a, double b = 0) {
  xi::Tape tape;
  xi::Tape::Scope scope(tape);
  const Var x = xi::variable(a), y = xi::variable(b);
  const Var r = f(x, y);
  const std::array<Var, 2> xs{x, y};
  const auto g = xi::grad(r, xs);
  return {r.value(), g[0], g[1]};
}

TEST(ScalarOpsKinks, DocumentedSubgradients) {
  auto abs = [](const Var& a, const Var&) { return xi::abs(a); };
  auto relu = [](const Var& a, const Var&) { return xi::relu(a); };
  auto leaky = [](const Var& a, const Var&) { return xi::leaky_relu(a, 0.1); };
  auto max = [](const Var& a, const Var& b) { return xi::max(a, b); };
  auto min = [](const Var& a, const Var& b) { return xi::min(a, b); };
  auto clamp = [](const Var& a, const Var&) { return xi::clamp(a, -1.0, 2.0); };

  EXPECT_EQ(at(abs, 0.0).da, 0.0);
  EXPECT_EQ(at(abs, -0.0).da, 0.0);
  EXPECT_EQ(at(abs, 1e-300).da, 1.0);
  EXPECT_EQ(at(abs, -1e-300).da, -1.0);
  EXPECT_EQ(at(relu, 0.0).da, 0.0);
  EXPECT_EQ(at(relu, 1e-300).da, 1.0);
  EXPECT_EQ(at(leaky, 0.0).da, 0.1);
  EXPECT_EQ(at(leaky, -2.0).da, 0.1);
  EXPECT_EQ(at(leaky, 2.0).da, 1.0);
  const Slopes tie_max = at(max, 1.5, 1.5), tie_min = at(min, 1.5, 1.5);
  EXPECT_EQ(tie_max.value, 1.5);
  EXPECT_EQ(tie_max.da, 0.5);
  EXPECT_EQ(tie_max.db, 0.5);
  EXPECT_EQ(tie_min.da, 0.5);
  EXPECT_EQ(tie_min.db, 0.5);
  EXPECT_EQ(at(max, 2.0, 1.0).da, 1.0);
  EXPECT_EQ(at(max, 2.0, 1.0).db, 0.0);
  EXPECT_EQ(at(min, 2.0, 1.0).db, 1.0);
  // max(x, x): both halves reach x.
  EXPECT_EQ(at([](const Var& a, const Var&) { return xi::max(a, a); }, 3.0).da, 1.0);
  EXPECT_EQ(at(clamp, -1.0).da, 1.0);  // at a bound: slope 1
  EXPECT_EQ(at(clamp, 2.0).da, 1.0);
  EXPECT_EQ(at(clamp, 0.0).da, 1.0);
  EXPECT_EQ(at(clamp, -1.5).da, 0.0);
  EXPECT_EQ(at(clamp, 2.5).da, 0.0);
  EXPECT_EQ(at(clamp, 2.5).value, 2.0);
  // pow(0, b) for b ≥ 0 takes ∂/∂b = 0 (the limit), not NaN from 0·log 0.
  const Slopes p0 = at([](const Var& a, const Var& b) { return xi::pow(a, b); }, 0.0, 2.0);
  EXPECT_EQ(p0.value, 0.0);
  EXPECT_EQ(p0.da, 0.0);
  EXPECT_EQ(p0.db, 0.0);
  EXPECT_EQ(at([](const Var& a, const Var&) { return xi::pow(a, 0.0); }, 0.0).da, 0.0);
  EXPECT_THROW((void)xi::clamp(xi::variable(0.0), 1.0, -1.0), xi::Error);
}

TEST(ScalarOpsKinks, TheTableFlagsExactlyTheKinkPoints) {
  const double zero[2] = {0, 0}, one[2] = {1, 0}, tie[2] = {2, 2}, apart[2] = {2, 3};
  const double no_c[2] = {0, 0}, bounds[2] = {-1, 1};
  const double lo[2] = {-1, 0}, hi[2] = {1, 0};
  for (Op op : {Op::abs, Op::relu, Op::leaky_relu}) {
    const OpInfo& info = xi::op_info(op);
    ASSERT_NE(info.at_kink, nullptr) << info.name;
    const double c[2] = {0.1, 0};
    EXPECT_TRUE(info.at_kink(zero, c)) << info.name;
    EXPECT_FALSE(info.at_kink(one, c)) << info.name;
  }
  for (Op op : {Op::min, Op::max}) {
    const OpInfo& info = xi::op_info(op);
    ASSERT_NE(info.at_kink, nullptr) << info.name;
    EXPECT_TRUE(info.at_kink(tie, no_c)) << info.name;
    EXPECT_FALSE(info.at_kink(apart, no_c)) << info.name;
  }
  const OpInfo& clamp = xi::op_info(Op::clamp);
  ASSERT_NE(clamp.at_kink, nullptr);
  EXPECT_TRUE(clamp.at_kink(lo, bounds));
  EXPECT_TRUE(clamp.at_kink(hi, bounds));
  EXPECT_FALSE(clamp.at_kink(zero, bounds));
  // Smooth ops declare no kink.
  for (Op op : {Op::exp, Op::log, Op::sigmoid, Op::softplus, Op::add, Op::mul}) {
    EXPECT_EQ(xi::op_info(op).at_kink, nullptr) << xi::op_info(op).name;
  }
}

}  // namespace
