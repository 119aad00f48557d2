// explain on tensor recordings: every tensor op's local partial as the ξ table prints it
// (formula and values), vector leaves as one row, the reverse sweep's vector–Jacobian steps,
// named constants and whole short vectors in Graphviz.

#include <xigrad/autodiff/explain.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/tensor.hpp>

namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pointwise;

class ExplainTensorTest : public ::testing::Test {
 protected:
  xi::Tape tape_;
  xi::Tape::Scope scope_{tape_};
};

xi::Vector vec(std::initializer_list<double> v) {
  xi::Vector out(static_cast<Eigen::Index>(v.size()));
  std::copy(v.begin(), v.end(), out.data());
  return out;
}

// The node of L's table whose op is `op`.
const xi::NodeRow& node(const xi::Explanation& ex, const std::string& op) {
  const auto it = std::find_if(ex.nodes.begin(), ex.nodes.end(),
                               [&](const xi::NodeRow& n) { return n.op == op; });
  if (it == ex.nodes.end()) throw std::runtime_error("no node " + op);
  return *it;
}

// ∂(node op)/∂(its input named `input`), from the first node of that op that has one.
const xi::PartialRow& partial(const xi::Explanation& ex, const std::string& op,
                              const std::string& input) {
  for (const xi::NodeRow& n : ex.nodes) {
    if (n.op != op) continue;
    for (const xi::PartialRow& p : n.partials) {
      if (p.input == input) return p;
    }
  }
  throw std::runtime_error("no partial of " + op + " for " + input);
}

constexpr double kTol = 1e-14;

TEST_F(ExplainTensorTest, DotIsTheOtherOperand) {
  const xi::Tensor W = xi::variable(vec({0.5, -1.0}), "W");
  const xi::Tensor X = xi::variable(vec({2.0, 1.0}), "X");
  const xi::Explanation ex = xi::explain(xi::dot(W, X));
  const xi::PartialRow& p = partial(ex, "dot", "W");
  EXPECT_EQ(p.formula, "X");
  EXPECT_EQ(p.shape, xi::Shape::vector(2));
  EXPECT_THAT(p.values, ElementsAre(2.0, 1.0));
  EXPECT_TRUE(std::isnan(p.value));  // not one number
  EXPECT_THAT(partial(ex, "dot", "X").values, ElementsAre(0.5, -1.0));
  EXPECT_THAT(ex.table(), HasSubstr("∂ξ1/∂W = X = [2, 1]; ∂ξ1/∂X = W = [0.5, -1]"));
}

TEST_F(ExplainTensorTest, ElementwiseUnaryOpsShowTheirPartialPerElement) {
  const xi::Tensor x = xi::variable(vec({0.5, 2.0, -3.0}), "x");
  // One statement per node, so that the ξ numbers follow the lines.
  xi::Var L = xi::sum(xi::square(x));
  L = L + xi::sum(xi::clamp(x, -1.0, 1.0));
  L = L + xi::sum(1.0 + x);
  const xi::Tensor r = 2.0 - x;
  L = L + xi::sum(r);
  L = L + xi::sum(xi::exp(x));
  const xi::Explanation ex = xi::explain(L);
  const xi::PartialRow& sq = partial(ex, "square", "x");
  EXPECT_EQ(sq.formula, "2·x");
  EXPECT_EQ(sq.product, "⊙");
  EXPECT_THAT(sq.values, ElementsAre(1.0, 4.0, -6.0));
  EXPECT_THAT(partial(ex, "clamp", "x").values, ElementsAre(1.0, 0.0, 0.0));
  // 1 + x: one number, not [1, 1, 1]; 2 - x: -1 (told apart from x - 2, both named "sub").
  const xi::PartialRow& add = partial(ex, "add", "x");
  EXPECT_EQ(add.formula, "1");
  EXPECT_TRUE(add.shape.is_scalar());
  EXPECT_EQ(add.value, 1.0);
  const xi::PartialRow& sub = partial(ex, "sub", "x");
  EXPECT_EQ(node(ex, "sub").definition, "ξ9 = 2 - x");
  EXPECT_EQ(sub.formula, "-1");
  EXPECT_EQ(sub.value, -1.0);
  EXPECT_THAT(partial(ex, "exp", "x").values,
              ElementsAre(std::exp(0.5), std::exp(2.0), std::exp(-3.0)));
}

TEST_F(ExplainTensorTest, ElementwiseBinaryOpsBroadcast) {
  const xi::Tensor x = xi::variable(vec({1.0, 2.0, 3.0}), "x");
  const xi::Tensor w = xi::variable(vec({4.0, 5.0, 6.0}), "w");
  const xi::Var s = xi::variable(2.0, "s");
  const xi::Tensor xw = x * w;
  const xi::Tensor sx = s * x;
  const xi::Tensor pw_ = xi::pow(x, w);
  xi::Var L = xi::sum(xw);
  L = L + xi::sum(sx);
  L = L + xi::sum(pw_);
  const xi::Explanation ex = xi::explain(L);
  const xi::NodeRow& mul = ex.nodes[0];
  EXPECT_EQ(mul.definition, "ξ1 = x·w");
  EXPECT_EQ(mul.partials[0].formula, "w");
  EXPECT_THAT(mul.partials[0].values, ElementsAre(4.0, 5.0, 6.0));
  EXPECT_THAT(mul.partials[1].values, ElementsAre(1.0, 2.0, 3.0));
  // The scalar s broadcast over x: its element-wise partial has x's shape; the sweep sums it.
  const xi::NodeRow& scaled = ex.nodes[1];
  EXPECT_EQ(scaled.partials[0].input, "s");
  EXPECT_EQ(scaled.partials[0].shape, xi::Shape::vector(3));
  EXPECT_THAT(scaled.partials[0].values, ElementsAre(1.0, 2.0, 3.0));
  const xi::NodeRow& pw = node(ex, "pow");
  EXPECT_THAT(pw.partials[0].values, Pointwise(DoubleNear(kTol), {4.0, 5.0 * 16.0, 6.0 * 243.0}));
  EXPECT_THAT(pw.partials[1].values,
              Pointwise(DoubleNear(1e-10), {0.0, std::log(2.0) * 32.0, std::log(3.0) * 729.0}));
  EXPECT_DOUBLE_EQ(ex.leaves[2].adjoint, 6.0);  // ∂L/∂s = Σx
}

TEST_F(ExplainTensorTest, WhereIsItsMaskElementwise) {
  const xi::Tensor a = xi::variable(vec({1.0, 2.0, 3.0}), "a");
  const xi::Tensor b = xi::variable(vec({7.0, 8.0, 9.0}), "b");
  const xi::Tensor cond = xi::constant(vec({1.0, 0.0, 1.0}));
  const xi::Explanation ex = xi::explain(xi::sum(xi::where(cond, a, b)));
  const xi::PartialRow& pa = partial(ex, "where", "a");
  EXPECT_EQ(pa.product, "⊙");
  EXPECT_THAT(pa.values, ElementsAre(1.0, 0.0, 1.0));
  EXPECT_THAT(partial(ex, "where", "b").values, ElementsAre(0.0, 1.0, 0.0));
}

TEST_F(ExplainTensorTest, MatmulIsTheOtherFactor) {
  xi::Matrix A(2, 2), B(2, 2);
  A << 1, 2, 3, 4;
  B << 5, 6, 7, 8;
  const xi::Tensor X = xi::variable(A, "X");
  const xi::Tensor W = xi::variable(vec({0.5, -1.0}), "W");
  const xi::Tensor M = xi::variable(B, "M");
  const xi::Tensor XW = xi::matmul(X, W);
  const xi::Tensor XM = xi::matmul(X, M);
  const xi::Var first = xi::sum(XW);
  const xi::Explanation ex = xi::explain(first + xi::sum(XM));
  const xi::NodeRow& xw = ex.nodes[0];
  EXPECT_EQ(xw.partials[1].formula, "X");  // ∂(X@W)/∂W = X, the matrix
  EXPECT_EQ(xw.partials[1].shape, xi::Shape::matrix(2, 2));
  EXPECT_THAT(xw.partials[1].values, ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(xw.partials[0].formula, "W (in each row)");
  EXPECT_THAT(xw.partials[0].values, ElementsAre(0.5, -1.0));
  const xi::NodeRow& xm = ex.nodes[1];
  EXPECT_EQ(xm.partials[0].formula, "Mᵀ");
  EXPECT_THAT(xm.partials[0].values, ElementsAre(5, 7, 6, 8));
  EXPECT_THAT(ex.table(), HasSubstr("∂ξ1/∂W = X = [[1, 2], [3, 4]]"));
}

TEST_F(ExplainTensorTest, SumAndMeanAreOneAndOneOverN) {
  const xi::Tensor x = xi::variable(vec({1.0, 2.0, 3.0, 4.0}), "x");
  const xi::Var total = xi::sum(x);
  const xi::Explanation ex = xi::explain(total + xi::mean(x));
  EXPECT_EQ(partial(ex, "sum", "x").formula, "1");
  EXPECT_EQ(partial(ex, "sum", "x").value, 1.0);
  EXPECT_EQ(partial(ex, "mean", "x").formula, "1/4");
  EXPECT_EQ(partial(ex, "mean", "x").value, 0.25);
  EXPECT_THAT(ex.table(), HasSubstr("∂ξ2/∂x = 1/4 = 0.25"));
}

TEST_F(ExplainTensorTest, ShapeOpsAreOneWhereTheyCopy) {
  const xi::Tensor x = xi::variable(vec({1.0, 2.0, 3.0, 4.0}), "x");
  const xi::Tensor m = xi::reshape(x, xi::Shape::matrix(2, 2));
  const xi::Tensor t = xi::transpose(m);
  const std::array<xi::Index, 2> rows{1, 0};
  const xi::Tensor sel = xi::select_rows(t, rows);
  const xi::Tensor sl = xi::slice_rows(x, 1, 3);
  const std::array<xi::Tensor, 2> parts{sl, x};
  const xi::Tensor cat = xi::concat(parts);
  const xi::Var a = x[0], b = x[3];
  const std::array<xi::Var, 2> elems{a, b};
  const xi::Tensor st = xi::stack(elems);
  xi::Var L = xi::sum(sel);
  L = L + xi::sum(cat);
  L = L + xi::sum(st);
  const xi::Explanation ex = xi::explain(L);
  EXPECT_EQ(partial(ex, "reshape", "x").formula, "1 (each element; (4) reshaped to (2, 2))");
  EXPECT_EQ(partial(ex, "transpose", "ξ1").formula, "1 (element [i, j] moved to [j, i])");
  EXPECT_EQ(partial(ex, "select_rows", "ξ2").value, 1.0);
  EXPECT_THAT(partial(ex, "select_rows", "ξ2").formula, HasSubstr("1 where ξ3 = "));
  EXPECT_EQ(partial(ex, "slice_rows", "x").formula, "1 where ξ4 = x[1:3], 0 elsewhere");
  EXPECT_EQ(partial(ex, "concat", "ξ4").formula, "1 on ξ5[0:2], 0 elsewhere");
  EXPECT_EQ(partial(ex, "concat", "x").formula, "1 on ξ5[2:6], 0 elsewhere");
  EXPECT_EQ(partial(ex, "stack", "x[3]").formula, "1 at ξ6[1], 0 elsewhere");
  EXPECT_EQ(partial(ex, "stack", "x[3]").value, 1.0);
  // The adjoint of x gathers every copy: 1 (sel) + 1 + [0, 1, 1, 0] (slice) + [1, 0, 0, 1].
  ASSERT_EQ(ex.leaves.size(), 1u);
  EXPECT_THAT(ex.leaves[0].adjoints, ElementsAre(3.0, 3.0, 3.0, 3.0));
}

TEST_F(ExplainTensorTest, OtherOpsShowTheirJacobian) {
  const xi::Tensor z = xi::variable(vec({0.0, 1.0, 2.0}), "z");
  const xi::Tensor t = xi::constant(vec({1.0, 0.0, 1.0}));
  xi::Var L = xi::logsumexp(z);
  L = L + xi::sum(xi::softmax(z));
  L = L + xi::mse(z, t);
  L = L + xi::bce_with_logits(z, t);
  const xi::Explanation ex = xi::explain(L);
  const double e0 = 1.0, e1 = std::exp(1.0), e2 = std::exp(2.0), S = e0 + e1 + e2;
  const std::vector<double> s{e0 / S, e1 / S, e2 / S};
  // logsumexp is a scalar: its partial is the gradient, of z's shape: softmax(z).
  const xi::PartialRow& lse = partial(ex, "logsumexp", "z");
  EXPECT_EQ(lse.shape, xi::Shape::vector(3));
  EXPECT_THAT(lse.values, Pointwise(DoubleNear(kTol), s));
  // softmax: the full Jacobian diag(s) − s sᵀ.
  const xi::PartialRow& sm = partial(ex, "softmax", "z");
  EXPECT_EQ(sm.shape, xi::Shape::matrix(3, 3));
  std::vector<double> J;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) J.push_back((r == c ? s[r] : 0.0) - s[r] * s[c]);
  }
  EXPECT_THAT(sm.values, Pointwise(DoubleNear(kTol), J));
  // mse = mean((z − t)²): 2(z − t)/3.
  EXPECT_THAT(partial(ex, "mse", "z").values,
              Pointwise(DoubleNear(kTol), {-2.0 / 3, 2.0 / 3, 2.0 / 3}));
  // bce_with_logits = mean(softplus(z) − t·z): (σ(z) − t)/3.
  const auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
  EXPECT_THAT(partial(ex, "bce_with_logits", "z").values,
              Pointwise(DoubleNear(kTol), {(sig(0) - 1) / 3, sig(1) / 3, (sig(2) - 1) / 3}));
}

TEST_F(ExplainTensorTest, SoftmaxCrossEntropyAndLogSoftmax) {
  xi::Matrix Z(1, 3);
  Z << 0.0, 1.0, 2.0;
  const xi::Tensor z = xi::variable(Z, "z");
  const std::array<xi::Index, 1> labels{2};
  xi::Var L = xi::softmax_cross_entropy(z, labels);
  L = L + xi::sum(xi::log_softmax(z, 1));
  const xi::Explanation ex = xi::explain(L);
  const double e1 = std::exp(1.0), e2 = std::exp(2.0), S = 1 + e1 + e2;
  const xi::PartialRow& ce = partial(ex, "softmax_cross_entropy", "z");
  EXPECT_EQ(ce.shape, xi::Shape::matrix(1, 3));
  EXPECT_THAT(ce.values, Pointwise(DoubleNear(kTol), {1 / S, e1 / S, e2 / S - 1}));
  const xi::PartialRow& ls = partial(ex, "log_softmax", "z");
  EXPECT_EQ(ls.shape, xi::Shape::matrix(3, 3));
  EXPECT_NEAR(ls.values[0], 1 - 1 / S, kTol);  // ∂(z0 − lse)/∂z0
  EXPECT_NEAR(ls.values[1], -e1 / S, kTol);
}

// The lecture's L^A with a vector W: one leaf row for W, ∂ξ1/∂W = X, and the reverse sweep
// reaching W as a vector–Jacobian product.
TEST_F(ExplainTensorTest, LectureLossWithVectorW) {
  const xi::Vector x = vec({2.0, 1.0});
  const xi::Tensor W = xi::variable(vec({0.5, -1.0}), "W");
  const xi::Tensor X = xi::borrow(x);
  const xi::Var L = -1.0 * xi::log(1 / (1 + xi::exp(-xi::dot(W, X))));
  const std::array<xi::ConstantName, 1> names{xi::ConstantName{X.data(), "X"}};
  const xi::Explanation ex = xi::explain(L, names);
  ASSERT_EQ(ex.leaves.size(), 1u);
  EXPECT_EQ(ex.leaves[0].name, "W");
  EXPECT_THAT(ex.leaves[0].values, ElementsAre(0.5, -1.0));
  EXPECT_THAT(ex.leaves[0].adjoints, Pointwise(DoubleNear(kTol), {-1.0, -0.5}));
  EXPECT_EQ(ex.nodes[0].definition, "ξ1 = W·X");
  EXPECT_EQ(ex.nodes[0].partials[0].formula, "X");
  const xi::SweepStep& last = ex.steps.back();
  EXPECT_TRUE(last.tensor);
  EXPECT_EQ(last.to, "W");
  EXPECT_THAT(last.adjoints, ElementsAre(-0.5));
  EXPECT_THAT(last.partial_row.values, ElementsAre(2.0, 1.0));
  EXPECT_THAT(last.contribution, Pointwise(DoubleNear(kTol), {-1.0, -0.5}));
  EXPECT_THAT(last.after_values, Pointwise(DoubleNear(kTol), {-1.0, -0.5}));
  EXPECT_THAT(
      ex.steps_text(),
      HasSubstr("   7  ∂L/∂W += ∂L/∂ξ1 · ∂ξ1/∂W    -0.5 · [2, 1] = [-1, -0.5]  [0, 0] → [-1, "
                "-0.5]\n"));
  EXPECT_THAT(ex.table(), HasSubstr("W   leaf"));
  const std::string dot = xi::to_dot(L, names);
  EXPECT_THAT(dot, HasSubstr("W = [0.5, -1]\\n∂L/∂W = [-1, -0.5]"));
  EXPECT_THAT(dot, HasSubstr("ξ1 = W·X"));
  EXPECT_THAT(dot, HasSubstr("label=\"X = [2, 1]\""));  // the edge W → ξ1
}

// A Jacobian of more than 65536 entries is shown by its formula only.
TEST_F(ExplainTensorTest, LargeJacobianKeepsItsFormulaOnly) {
  const xi::Tensor z = xi::variable(xi::Vector(xi::Vector::LinSpaced(300, -1.0, 1.0)), "z");
  const xi::Explanation ex = xi::explain(xi::sum(xi::softmax(z)));
  const xi::PartialRow& p = partial(ex, "softmax", "z");
  EXPECT_TRUE(p.values.empty());
  EXPECT_FALSE(p.formula.empty());
  EXPECT_THAT(ex.table(), HasSubstr("∂ξ1/∂z = " + p.formula));
  // The sweep still reaches z, through the op's own rule: Σ softmax = 1, so ∂L/∂z = 0.
  ASSERT_EQ(ex.leaves.size(), 1u);
  for (double g : ex.leaves[0].adjoints) EXPECT_NEAR(g, 0.0, 1e-15);
}

// The slides' six rows from C++: named constants print by name and take no partial or gradient.
TEST_F(ExplainTensorTest, NamedConstantsGiveTheSlidesRows) {
  const xi::Vector neg_x = vec({-2.0, -1.0});
  const xi::Tensor W = xi::variable(vec({0.5, -1.2}), "W");
  const xi::Var xi1 = xi::dot(W, xi::named_constant(neg_x.data(), xi::Shape::vector(2), "-X"));
  const xi::Var xi5 = xi::log(1 / (1 + xi::exp(xi1)));
  const xi::Var L = xi::named_constant(-1.0, "-y") * xi5;
  const xi::Explanation ex = xi::explain(L);
  ASSERT_EQ(ex.leaves.size(), 1u);  // the constants are no leaves
  ASSERT_EQ(ex.nodes.size(), 6u);
  EXPECT_EQ(ex.nodes[0].definition, "ξ1 = W·(-X)");
  ASSERT_EQ(ex.nodes[0].partials.size(), 1u);  // none for -X
  EXPECT_EQ(ex.nodes[0].partials[0].formula, "-X");
  EXPECT_THAT(ex.nodes[0].partials[0].values, ElementsAre(-2.0, -1.0));
  EXPECT_EQ(ex.nodes[5].definition, "ξ6 = -y·ξ5");
  ASSERT_EQ(ex.nodes[5].partials.size(), 1u);  // none for -y
  EXPECT_EQ(ex.nodes[5].partials[0].formula, "-y");
  EXPECT_EQ(ex.nodes[5].partials[0].value, -1.0);
  const double p = 1 / (1 + std::exp(-(0.5 * 2 - 1.2)));
  EXPECT_THAT(ex.leaves[0].adjoints, Pointwise(DoubleNear(kTol), {-(1 - p) * 2, -(1 - p)}));
  for (const xi::SweepStep& s : ex.steps) EXPECT_NE(s.to, "-y");
  const std::string dot = xi::to_dot(L);
  EXPECT_THAT(dot, HasSubstr("label=\"-X = [-2, -1]\""));
  EXPECT_THAT(dot, HasSubstr("label=\"-y = -1\""));
}

TEST_F(ExplainTensorTest, ValuesTextAbbreviatesConsistently) {
  const std::vector<double> v{1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(xi::values_text(xi::Shape::scalar(), {v.data(), 1}), "1");
  EXPECT_EQ(xi::values_text(xi::Shape::vector(6), {v.data(), 6}), "[1, 2, 3, 4, 5, 6]");
  EXPECT_EQ(xi::values_text(xi::Shape::vector(7), v), "[1, 2, 3, …, 7] (7)");
  EXPECT_EQ(xi::values_text(xi::Shape::matrix(2, 2), {v.data(), 4}), "[[1, 2], [3, 4]]");
  std::vector<double> big(8 * 7);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<double>(i);
  EXPECT_EQ(xi::values_text(xi::Shape::matrix(8, 7), big),
            "[[0, 1, 2, …, 6], [7, 8, 9, …, 13], [14, 15, 16, …, 20], …, [49, 50, 51, …, 55]] "
            "(8, 7)");
  EXPECT_EQ(xi::values_text(xi::Shape::vector(0), {}), "[] (0)");
}

}  // namespace
