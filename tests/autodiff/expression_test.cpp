// Expression templates and the two recording granularities (detail/expression.hpp, Tape):
// one node per operation (the ξ chain) and one node per statement (partials multiplied out,
// accumulating `z += e` as a chain statement). Both must give the same gradients.

#include <array>
#include <cmath>
#include <random>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <xigrad/autodiff/autodiff.hpp>

namespace {

using xi::Granularity;
using xi::Tape;
using xi::TapeError;
using xi::Var;

/// The lecture's logistic loss and its hand-derived gradient −y·x·σ(−w·x).
Var logistic(const Var& w, const Var& x, double y) {
  return -y * xi::log(1 / (1 + xi::exp(-w * x)));
}
double logistic_dw(double w, double x, double y) {
  return -y * x / (1 + std::exp(w * x));
}

// The benchmark's scalar code: Σᵢ log(1 + exp(−sᵢ w·xᵢ)), written once for doubles and Vars.
template <class T>
T logistic_sum(const T* w, const double* X, const double* s, std::size_t n, std::size_t d) {
  using std::exp;
  using std::log;
  T L = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double* x = X + i * d;
    T z = w[0] * x[0];
    for (std::size_t j = 1; j < d; ++j) z += w[j] * x[j];
    L += log(1.0 + exp(-s[i] * z));
  }
  return L;
}

class Granularities : public ::testing::TestWithParam<Granularity> {
 protected:
  void SetUp() override { tape_.set_granularity(GetParam()); }
  Tape tape_;
  Tape::Scope scope_{tape_};
};

TEST_P(Granularities, LogisticLossMatchesTheHandDerivedGradient) {
  const Var w = xi::variable(0.7, "w"), x = xi::variable(-1.3, "x");
  const Var L = logistic(w, x, 1.0);
  EXPECT_NEAR(L.value(), std::log1p(std::exp(0.7 * 1.3)), 1e-15);
  EXPECT_NEAR(xi::grad(L, w), logistic_dw(0.7, -1.3, 1.0), 1e-15);
  // One node per op (neg, mul, exp, 1+, 1/, log, ·(−y)) or one for the statement.
  const std::size_t nodes = tape_.slot_count() - 3;  // minus the sink and two leaves
  EXPECT_EQ(nodes, GetParam() == Granularity::operation ? 7u : 1u);
}

TEST_P(Granularities, ScalarLoopMatchesTheHandDerivedGradient) {
  constexpr std::size_t n = 40, d = 5;
  std::vector<double> X(n * d), s(n);
  for (std::size_t k = 0; k < X.size(); ++k) X[k] = std::sin(0.37 * static_cast<double>(k));
  for (std::size_t i = 0; i < n; ++i) s[i] = i % 3 == 0 ? -1.0 : 1.0;
  const std::array<double, d> w0 = {0.3, -0.2, 0.5, 0.1, -0.4};
  std::array<Var, d> w;
  for (std::size_t j = 0; j < d; ++j) w[j] = xi::variable(w0[j]);
  const Var L = logistic_sum(w.data(), X.data(), s.data(), n, d);
  EXPECT_NEAR(L.value(), logistic_sum(w0.data(), X.data(), s.data(), n, d), 1e-12);
  const std::vector<double> g = xi::grad(L, std::span<const Var>(w));
  for (std::size_t j = 0; j < d; ++j) {
    double expected = 0;
    for (std::size_t i = 0; i < n; ++i) {
      double z = 0;
      for (std::size_t k = 0; k < d; ++k) z += w0[k] * X[i * d + k];
      expected += -s[i] * X[i * d + j] / (1 + std::exp(s[i] * z));
    }
    EXPECT_NEAR(g[j], expected, 1e-12) << "component " << j;
  }
  if (GetParam() == Granularity::statement) {
    // Per sample: z = w0·x0, d − 1 chain statements, and L's statement.
    EXPECT_EQ(tape_.slot_count(), 1 + d + n * (d + 1));
    // L's first sum reads L = 0, a constant: it is stored too, pointing at the sink slot 0.
    EXPECT_EQ(tape_.memory().operands, n * (1 + (d - 1) + 2));
  }
}

TEST_P(Granularities, AnExpressionHeldInAutoIsRecordedAtEachAssignment) {
  const Var w = xi::variable(2.0), x = xi::variable(3.0);
  const auto e = w * x;  // unevaluated
  const std::size_t before = tape_.slot_count();
  const Var a = e;
  const Var b = e;
  EXPECT_EQ(tape_.slot_count(), before + 2);
  EXPECT_NE(a.slot(), b.slot());
  const Var L = a + b;
  EXPECT_DOUBLE_EQ(xi::grad(L, w), 6.0);
  EXPECT_DOUBLE_EQ(xi::grad(L, x), 4.0);
}

TEST_P(Granularities, ConstantsFoldAndAllConstantExpressionsRecordNothing) {
  const Var c = 2.0;
  const std::size_t before = tape_.slot_count();
  const Var k = xi::exp(c) * c + 1.0;
  EXPECT_TRUE(k.is_constant());
  EXPECT_DOUBLE_EQ(k.value(), std::exp(2.0) * 2.0 + 1.0);
  EXPECT_EQ(tape_.slot_count(), before);
  const Var x = xi::variable(0.5);
  const Var y = c * x + c;
  EXPECT_DOUBLE_EQ(xi::grad(y, x), 2.0);
  EXPECT_DOUBLE_EQ(y.value(), 3.0);
}

TEST_P(Granularities, AccumulatingKeepsEarlierCopiesOfTheVariable) {
  const Var x = xi::variable(1.5), w = xi::variable(-0.5);
  Var z = x * x;
  const Var before = z;  // x², kept while z moves on
  z += w * x;            // x² + w·x
  z -= xi::sin(w);       // x² + w·x − sin w
  z *= x;                // (x² + w·x − sin w)·x
  const Var L = z * before;
  const double zv = (1.5 * 1.5 - 0.5 * 1.5 - std::sin(-0.5)) * 1.5;
  EXPECT_DOUBLE_EQ(L.value(), zv * 2.25);
  // ∂L/∂x = z'·x² + z·2x with z' = (2x + w)·x + (x² + w·x − sin w).
  const double inner = 1.5 * 1.5 - 0.5 * 1.5 - std::sin(-0.5);
  const double dz_dx = (2 * 1.5 - 0.5) * 1.5 + inner;
  EXPECT_NEAR(xi::grad(L, x), dz_dx * 2.25 + zv * 3.0, 1e-13);
  // ∂L/∂w = (x − cos w)·x · x².
  EXPECT_NEAR(xi::grad(L, w), (1.5 - std::cos(-0.5)) * 1.5 * 2.25, 1e-13);
}

TEST_P(Granularities, AccumulatingOntoATensorElement) {
  const Var w = xi::variable(0.25);
  const xi::Tensor t = xi::variable(xi::Vector{{1.0, 2.0, 3.0}}, "t");
  Var z = t[2];  // the slot recorded last
  z += w * t[0];
  z -= 4.0;
  EXPECT_DOUBLE_EQ(z.value(), 3.0 + 0.25 - 4.0);
  const xi::Matrix g = xi::grad(z, t);
  EXPECT_DOUBLE_EQ(g.data()[0], 0.25);
  EXPECT_DOUBLE_EQ(g.data()[1], 0.0);
  EXPECT_DOUBLE_EQ(g.data()[2], 1.0);
  EXPECT_DOUBLE_EQ(xi::grad(z, w), 1.0);
}

TEST_P(Granularities, WhereRecordsOnlyTheBranchTaken) {
  const Var x = xi::variable(0.3);
  const std::size_t before = tape_.slot_count();
  const Var y = xi::where(x > 0.0, xi::sin(x), xi::cos(x) * 2.0);
  EXPECT_EQ(tape_.slot_count(), before + 1);
  EXPECT_DOUBLE_EQ(xi::grad(y, x), std::cos(0.3));
  // Comparisons and detach look at values only.
  EXPECT_TRUE(x * 2.0 < 1.0);
  EXPECT_TRUE(xi::detach(x * 2.0).is_constant());
  EXPECT_EQ(tape_.slot_count(), before + 1);
}

TEST_P(Granularities, NoGradRecordsNothing) {
  const Var x = xi::variable(0.3);
  const std::size_t before = tape_.slot_count();
  {
    xi::NoGrad off;
    Var z = x * x;
    z += xi::exp(x);
    EXPECT_TRUE(z.is_constant());
    EXPECT_DOUBLE_EQ(z.value(), 0.09 + std::exp(0.3));
  }
  EXPECT_EQ(tape_.slot_count(), before);
}

TEST_P(Granularities, AVarFromAClearedRecordingIsATapeErrorAndRecordsNothing) {
  const Var old = xi::variable(1.0);
  tape_.clear();
  const Var x = xi::variable(2.0);
  Var z = x * 3.0;
  const std::size_t slots = tape_.slot_count();
  const std::size_t operands = tape_.memory().operands;
  EXPECT_THROW((void)Var(x * old + 1.0), TapeError);
  EXPECT_THROW(z += old * x, TapeError);  // the accumulating path
  EXPECT_THROW((void)Var(xi::exp(old)), TapeError);
  EXPECT_EQ(tape_.slot_count(), slots);
  EXPECT_EQ(tape_.memory().operands, operands);
  EXPECT_DOUBLE_EQ(z.value(), 6.0);
}

// A node the output does not use has adjoint 0; its infinite partial must not make 0 · inf = NaN
// of an input's gradient. The tape notes such partials, and only then does the reverse sweep
// test adjoints for zero.
TEST_P(Granularities, AnUnusedNodeWithAnInfinitePartialPassesNothingBack) {
  const Var x = xi::variable(0.0);
  Var z = 2.0 * x;
  EXPECT_FALSE(tape_.has_nonfinite_partials());
  z += xi::sqrt(x);  // ∂/∂x = inf at 0 (a chain statement by statement)
  const Var unused = xi::log(x) * x;
  (void)unused;
  EXPECT_TRUE(tape_.has_nonfinite_partials());
  const Var L = 3.0 * x;
  EXPECT_EQ(xi::grad(L, x), 3.0);
  tape_.clear();
  EXPECT_FALSE(tape_.has_nonfinite_partials());
  // Finite partials only: the sweep without the test gives the same exact gradient, zero
  // adjoints included (relu's partial at its kink is 0).
  const Var y = xi::variable(0.0);
  const Var r = xi::relu(y) + y * y;
  EXPECT_FALSE(tape_.has_nonfinite_partials());
  EXPECT_EQ(xi::grad(r, y), 0.0);
}

TEST_P(Granularities, HessianWorksWhateverTheGranularity) {
  // The Hessian records on its own tape, one node per operation.
  const xi::ScalarFunction f = [](const xi::Tensor& v) -> Var {
    const Var a = v[0], b = v[1];
    Var s = a * a;
    s += 3.0 * a * b;
    s += xi::exp(b);
    return s;
  };
  const xi::Matrix H = xi::hessian(f, xi::Vector{{0.5, -1.0}});
  EXPECT_DOUBLE_EQ(H(0, 0), 2.0);
  EXPECT_DOUBLE_EQ(H(0, 1), 3.0);
  EXPECT_DOUBLE_EQ(H(1, 1), std::exp(-1.0));
}

INSTANTIATE_TEST_SUITE_P(Expression, Granularities,
                         ::testing::Values(Granularity::operation, Granularity::statement),
                         [](const auto& info) {
                           return info.param == Granularity::operation ? "operation" : "statement";
                         });

// ------------------------------------------------------------------ statement granularity only

class StatementGranularity : public ::testing::Test {
 protected:
  void SetUp() override { tape_.set_granularity(Granularity::statement); }
  Tape tape_;
  Tape::Scope scope_{tape_};
};

TEST_F(StatementGranularity, AccumulationRecordsAChainStatement) {
  const Var w = xi::variable(0.5), x = xi::variable(2.0);
  Var z = w * 3.0;
  const std::size_t operands = tape_.memory().operands;
  z += w * x;
  EXPECT_TRUE(xi::is_chain_statement(tape_.op_at(z.slot())));
  EXPECT_EQ(tape_.memory().operands, operands + 2);  // w and x; z itself is implied
  EXPECT_DOUBLE_EQ(xi::grad(z, w), 3.0 + 2.0);
  // Not the last node any more: an ordinary statement that stores z as an operand.
  Var y = w * w;
  z += y;
  EXPECT_FALSE(xi::is_chain_statement(tape_.op_at(z.slot())));
  EXPECT_DOUBLE_EQ(xi::grad(z, w), 3.0 + 2.0 + 1.0);
}

TEST_F(StatementGranularity, StatementNodesKeepNoValue) {
  const Var w = xi::variable(0.5), x = xi::variable(2.0);
  const Var y = xi::exp(w * x) + w;                  // one node, two operands
  EXPECT_DOUBLE_EQ(y.value(), std::exp(1.0) + 0.5);  // the Var holds its value
  EXPECT_THROW((void)tape_.value_at(y.slot()), TapeError);
  const xi::TapeMemory m = tape_.memory();
  EXPECT_EQ(m.scalar_nodes, 3u);  // two leaves and the statement
  EXPECT_EQ(m.operands, 3u);
  // Op codes for all three, values for the two leaves, (partial, input) per operand.
  EXPECT_EQ(m.scalar_bytes,
            3 * sizeof(xi::Op) + 2 * sizeof(double) + 3 * (sizeof(double) + sizeof(xi::Index)));
}

TEST_F(StatementGranularity, ExplainAndChecksAskForOperationGranularity) {
  const Var w = xi::variable(0.5, "w");
  const Var L = xi::log(1 + xi::exp(-w));
  for (auto call :
       {+[](const Var& l) { (void)xi::explain(l); }, +[](const Var& l) { (void)xi::to_dot(l); },
        +[](const Var& l) { (void)xi::check_nodes(l); },
        +[](const Var& l) { xi::backward(l, /*check_finite=*/true); }}) {
    try {
      call(L);
      ADD_FAILURE() << "expected a TapeError";
    } catch (const TapeError& e) {
      EXPECT_NE(std::string(e.what()).find("Granularity::operation"), std::string::npos)
          << e.what();
    }
  }
  // Recorded again with the default granularity, it is explained.
  tape_.clear();
  tape_.set_granularity(Granularity::operation);
  const Var w2 = xi::variable(0.5, "w");
  const Var L2 = xi::log(1 + xi::exp(-w2));
  EXPECT_EQ(xi::explain(L2).nodes.size(), 4u);
}

TEST_F(StatementGranularity, GranularityMayChangeWithinARecording) {
  const Var x = xi::variable(0.8);
  const Var a = xi::sin(x) * x;  // one statement
  tape_.set_granularity(Granularity::operation);
  const Var b = xi::sin(x) * x;  // two nodes
  tape_.set_granularity(Granularity::statement);
  Var L = a * b;
  L += a;
  const double d = std::cos(0.8) * 0.8 + std::sin(0.8);
  const double v = std::sin(0.8) * 0.8;
  EXPECT_NEAR(xi::grad(L, x), 2 * v * d + d, 1e-14);
}

template <std::size_t... I>
Var sum_of(const std::array<Var, sizeof...(I)>& v, std::index_sequence<I...>) {
  return (v[I] + ...);  // one expression of sizeof...(I) leaves
}

TEST_F(StatementGranularity, AnExpressionWithMoreLeavesThanAStatementHoldsIsRecordedByOperation) {
  constexpr std::size_t n = xi::kMaxStatementOperands + 1;
  std::array<Var, n> v;
  for (std::size_t i = 0; i < n; ++i) v[i] = xi::variable(static_cast<double>(i));
  const std::size_t before = tape_.slot_count();
  const Var s = sum_of(v, std::make_index_sequence<n>{});
  EXPECT_EQ(tape_.slot_count(), before + n - 1);  // n − 1 additions
  EXPECT_DOUBLE_EQ(s.value(), static_cast<double>(n * (n - 1) / 2));
  const std::vector<double> g = xi::grad(s, std::span<const Var>(v));
  for (double gi : g) EXPECT_EQ(gi, 1.0);

  // One leaf fewer fits in one statement.
  std::array<Var, n - 1> u;
  for (std::size_t i = 0; i < n - 1; ++i) u[i] = v[i];
  const std::size_t before_u = tape_.slot_count();
  (void)sum_of(u, std::make_index_sequence<n - 1>{});
  EXPECT_EQ(tape_.slot_count(), before_u + 1);
}

TEST_F(StatementGranularity, AChainStatementMayReadTheVarItExtends) {
  const Var x = xi::variable(3.0);
  Var z = x * 2.0;
  z += z * x;  // z₁ = z₀ + z₀·x: z₀ is both the implied operand and a stored one
  EXPECT_TRUE(xi::is_chain_statement(tape_.op_at(z.slot())));
  EXPECT_DOUBLE_EQ(z.value(), 24.0);
  EXPECT_DOUBLE_EQ(xi::grad(z, x), 2.0 + (2.0 * 3.0 + 6.0));  // dz₀ + (dz₀·x + z₀)
  z -= xi::exp(z * 0.0) * x;                                  // and subtracting
  EXPECT_DOUBLE_EQ(z.value(), 21.0);
  EXPECT_DOUBLE_EQ(xi::grad(z, x), 14.0 - 1.0);
}

TEST_F(StatementGranularity, ConstantLeavesAreStoredAgainstTheSinkAndNeedNoGradient) {
  const Var w = xi::variable(0.5), x = xi::variable(2.0);
  const Var c = 3.0;  // a constant Var: a leaf of the expression, but not a recorded value
  const std::size_t operands = tape_.memory().operands;
  const Var y = c * w + x * c;  // one statement of four leaves
  EXPECT_EQ(tape_.memory().operands, operands + 4);
  EXPECT_DOUBLE_EQ(xi::grad(y, w), 3.0);
  EXPECT_DOUBLE_EQ(xi::grad(y, x), 3.0);

  Var z = w * x;
  z += c * w;  // a chain statement with a constant leaf
  EXPECT_TRUE(xi::is_chain_statement(tape_.op_at(z.slot())));
  EXPECT_DOUBLE_EQ(xi::grad(z, w), 2.0 + 3.0);

  // Only constants: nothing is recorded and the result is a constant.
  const std::size_t slots = tape_.slot_count();
  const Var k = c * Var(2.0) + c;
  EXPECT_TRUE(k.is_constant());
  EXPECT_DOUBLE_EQ(k.value(), 9.0);
  EXPECT_EQ(tape_.slot_count(), slots);
}

TEST_F(StatementGranularity, AnAccumulationOnAVarOfAnEarlierRecordingIsATapeError) {
  const Var w = xi::variable(0.5);
  Var z = w * 2.0;
  tape_.clear();
  // The same slots again, in a new recording: z's slot is that of the last statement.
  const Var w2 = xi::variable(0.5);
  const Var z2 = w2 * 2.0;
  ASSERT_EQ(z2.slot(), z.slot());
  const std::size_t slots = tape_.slot_count();
  EXPECT_THROW(z += w2 * 3.0, TapeError);
  EXPECT_EQ(tape_.slot_count(), slots);
  EXPECT_DOUBLE_EQ(z.value(), 1.0);
}

TEST_F(StatementGranularity, OnlyTheStatementRecordedLastIsExtendedByAChainStatement) {
  const Var w = xi::variable(0.5), x = xi::variable(2.0);
  auto accumulate_is_chain = [&](Var& z) {
    z += w * x;
    return xi::is_chain_statement(tape_.op_at(z.slot()));
  };
  Var z = w * x;
  EXPECT_TRUE(accumulate_is_chain(z));
  (void)xi::variable(1.0);  // a leaf recorded after z
  EXPECT_FALSE(accumulate_is_chain(z));
  EXPECT_TRUE(accumulate_is_chain(z));
  (void)xi::variable(xi::Vector::Ones(3));  // a tensor
  EXPECT_FALSE(accumulate_is_chain(z));
  { const xi::NoGrad no_grad; }
  EXPECT_FALSE(accumulate_is_chain(z));
  tape_.set_granularity(Granularity::statement);  // set again: also ends the chain
  EXPECT_FALSE(accumulate_is_chain(z));
  EXPECT_TRUE(accumulate_is_chain(z));
  // Seven accumulations of w·x on top of z = w·x.
  EXPECT_DOUBLE_EQ(xi::grad(z, w), 8 * 2.0);
  EXPECT_DOUBLE_EQ(z.value(), 8.0);
}

// The tape grows on demand while leaves, tensors, statements of up to 63 operands and
// operation nodes are interleaved, over recordings of every size from cleared tapes: the one
// capacity check of a statement must never let a write past a buffer (AddressSanitizer in CI).
TEST(StatementCapacity, InterleavedLeavesTensorsAndStatementsGrowTheTapeSafely) {
  Tape tape;
  const Tape::Scope scope(tape);
  tape.set_granularity(Granularity::statement);
  std::mt19937 rng(7);
  for (int round = 0; round < 6; ++round) {
    tape.clear();
    const std::size_t steps = std::size_t{200} << round;
    std::array<Var, xi::kMaxStatementOperands> leaves;
    for (auto& v : leaves) v = xi::variable(1.0);
    Var total = 0.0;
    double expected_value = 0.0;
    std::size_t leaf_uses = 0;  // d total / d leaves[0], as sum over uses
    for (std::size_t k = 0; k < steps; ++k) {
      switch (rng() % 5) {
        case 0:
          (void)xi::variable(0.5);
          break;
        case 1:
          (void)xi::variable(xi::Vector::Ones(1 + rng() % 700));
          break;
        case 2: {
          tape.set_granularity(Granularity::operation);
          total = total + leaves[0] * 1.0;  // one node per operation
          tape.set_granularity(Granularity::statement);
          expected_value += 1.0;
          ++leaf_uses;
          break;
        }
        case 3:
          total += sum_of(leaves, std::make_index_sequence<xi::kMaxStatementOperands>{});
          expected_value += xi::kMaxStatementOperands;
          ++leaf_uses;
          break;
        default:
          total += leaves[0];  // a chain statement when total was the last statement
          expected_value += 1.0;
          ++leaf_uses;
      }
    }
    ASSERT_DOUBLE_EQ(total.value(), expected_value);
    if (!total.is_constant()) {
      EXPECT_DOUBLE_EQ(xi::grad(total, leaves[0]), static_cast<double>(leaf_uses));
    }
  }
}

TEST(Granularity, DefaultIsOneNodePerOperation) {
  Tape tape;
  EXPECT_EQ(tape.granularity(), Granularity::operation);
  // Whether the reverse sweep must expect statement nodes: since statement granularity was on.
  EXPECT_FALSE(tape.has_statements());
  tape.set_granularity(Granularity::statement);
  EXPECT_TRUE(tape.has_statements());
  tape.set_granularity(Granularity::operation);
  EXPECT_TRUE(tape.has_statements());  // this recording may hold some
  tape.clear();
  EXPECT_FALSE(tape.has_statements());
}

}  // namespace
