// explain, to_dot and the anomaly check, against the lecture's ξ table (seeds/001: logistic
// regression's L = −y log(1/(1 + e^{−WᵀX}))) and hand-computed numbers.

#include <xigrad/autodiff/explain.hpp>

#include <cmath>
#include <limits>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <xigrad/autodiff/grad.hpp>
#include <xigrad/autodiff/tensor.hpp>

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Display columns of UTF-8 text (ξ and ∂ are one column each).
std::size_t columns(const std::string& s) {
  std::size_t n = 0;
  for (const char ch : s) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// Each test records on a tape of its own.
class ExplainTest : public ::testing::Test {
 protected:
  xi::Tape tape_;
  xi::Tape::Scope scope_{tape_};
};

const xi::PartialRow& partial(const xi::NodeRow& row, std::size_t i) {
  return row.partials.at(i);
}

// The lecture's chain with w = 0.5, x = 2, y = 1, recorded as the lecture writes it. The engine
// records −w and its product with x as two nodes (the lecture's ξ1 = −WᵀX), so from ξ3 on the
// lecture's ξk is the engine's ξ(k+1): ξ4 = 1 + ξ3, ξ5 = 1/ξ4, ξ6 = log ξ5, L = ξ7 = −y·ξ6.
TEST_F(ExplainTest, LectureChainRowByRow) {
  const double y = 1.0;
  const xi::Var w = xi::variable(0.5, "w");
  const xi::Var x = xi::variable(2.0, "x");
  const xi::Var L = -y * xi::log(1 / (1 + xi::exp(-w * x)));

  const xi::Explanation ex = xi::explain(L);
  ASSERT_EQ(ex.nodes.size(), 7u);
  ASSERT_EQ(ex.leaves.size(), 2u);

  // Hand-computed: z = wx = 1, e = e^{-1}, p = σ(1) = 1/(1 + e).
  const double e = std::exp(-1.0);
  const double p = 1.0 / (1.0 + e);
  const double tol = 1e-12;

  const auto& n = ex.nodes;
  EXPECT_EQ(n[0].definition, "ξ1 = -w");
  EXPECT_EQ(n[1].definition, "ξ2 = ξ1·x");
  EXPECT_EQ(n[2].definition, "ξ3 = exp(ξ2)");
  EXPECT_EQ(n[3].definition, "ξ4 = 1 + ξ3");
  EXPECT_EQ(n[4].definition, "ξ5 = 1/ξ4");
  EXPECT_EQ(n[5].definition, "ξ6 = log(ξ5)");
  EXPECT_EQ(n[6].definition, "ξ7 = -1·ξ6");
  for (std::size_t i = 0; i < n.size(); ++i) EXPECT_EQ(n[i].id, i + 1);

  // Values.
  EXPECT_NEAR(n[0].value, -0.5, tol);
  EXPECT_NEAR(n[1].value, -1.0, tol);
  EXPECT_NEAR(n[2].value, e, tol);
  EXPECT_NEAR(n[3].value, 1 + e, tol);
  EXPECT_NEAR(n[4].value, p, tol);
  EXPECT_NEAR(n[5].value, std::log(p), tol);
  EXPECT_NEAR(n[6].value, -std::log(p), tol);
  EXPECT_NEAR(ex.value, 0.31326168751822286, tol);

  // Local partials: formula with the inputs' names, and the number.
  EXPECT_EQ(partial(n[0], 0).formula, "-1");
  EXPECT_EQ(partial(n[1], 0).input, "ξ1");
  EXPECT_EQ(partial(n[1], 0).formula, "x");
  EXPECT_NEAR(partial(n[1], 0).value, 2.0, tol);
  EXPECT_EQ(partial(n[1], 1).input, "x");
  EXPECT_EQ(partial(n[1], 1).formula, "ξ1");
  EXPECT_NEAR(partial(n[1], 1).value, -0.5, tol);
  EXPECT_EQ(partial(n[2], 0).formula, "exp(ξ2)");  // ∂ξ2/∂ξ1 = e^{ξ1} in the lecture
  EXPECT_NEAR(partial(n[2], 0).value, e, tol);
  EXPECT_EQ(partial(n[3], 0).formula, "1");  // ∂ξ3/∂ξ2 = 1
  EXPECT_NEAR(partial(n[3], 0).value, 1.0, tol);
  EXPECT_EQ(partial(n[4], 0).formula, "-1/ξ4^2");  // ∂ξ4/∂ξ3 = −1/ξ3² in the lecture
  EXPECT_NEAR(partial(n[4], 0).value, -1.0 / ((1 + e) * (1 + e)), tol);
  EXPECT_EQ(partial(n[5], 0).formula, "1/ξ5");  // ∂ξ5/∂ξ4 = 1/ξ4 = 1 + e^{−WᵀX}
  EXPECT_NEAR(partial(n[5], 0).value, 1 + e, tol);
  EXPECT_EQ(partial(n[6], 0).formula, "-1");  // ∂L/∂ξ5 = −y
  EXPECT_NEAR(partial(n[6], 0).value, -y, tol);

  // Adjoints ∂L/∂ξ, each the product of the partials above it (the lecture's chain rule).
  EXPECT_DOUBLE_EQ(n[6].adjoint, 1.0);
  EXPECT_NEAR(n[5].adjoint, -1.0, tol);
  EXPECT_NEAR(n[4].adjoint, -1.0 / p, tol);
  EXPECT_NEAR(n[3].adjoint, p, tol);
  EXPECT_NEAR(n[2].adjoint, p, tol);
  EXPECT_NEAR(n[1].adjoint, 1 - p, tol);  // = e·p
  EXPECT_NEAR(n[0].adjoint, 2 * (1 - p), tol);
  // ∂L/∂W = −yX e^{−WᵀX}/(1 + e^{−WᵀX}), the lecture's closed form; and ∂L/∂X by symmetry.
  EXPECT_EQ(ex.leaves[0].name, "w");
  EXPECT_NEAR(ex.leaves[0].adjoint, -y * 2.0 * e / (1 + e), tol);
  EXPECT_EQ(ex.leaves[1].name, "x");
  EXPECT_NEAR(ex.leaves[1].adjoint, -y * 0.5 * e / (1 + e), tol);
  // The same numbers backward gives.
  EXPECT_NEAR(ex.leaves[0].adjoint, xi::grad(L, w), 1e-15);
  EXPECT_NEAR(ex.leaves[1].adjoint, xi::grad(L, x), 1e-15);

  for (const auto& row : n) EXPECT_EQ(row.kink, "") << row.definition;
  EXPECT_EQ(n[1].input_ids, (std::vector<xi::Index>{1, 0}));
  EXPECT_EQ(n[1].inputs, (std::vector<std::string>{"ξ1", "x"}));

  const std::string table = ex.table();
  EXPECT_THAT(table, HasSubstr("ξ5"));
  EXPECT_THAT(table, HasSubstr("1 + ξ3"));
  EXPECT_THAT(table, HasSubstr("∂ξ5/∂ξ4 = -1/ξ4^2 = -0.534447"));
  EXPECT_THAT(table, HasSubstr("∂ξ4/∂ξ3 = 1"));
  EXPECT_THAT(table, HasSubstr("∂L/∂ξ"));
}

TEST_F(ExplainTest, TableColumnsAlign) {
  const xi::Var w = xi::variable(0.5, "w");
  const xi::Var x = xi::variable(2.0, "x");
  const xi::Var L = -1.0 * xi::log(1 / (1 + xi::exp(-w * x)));
  const std::string table = xi::explain(L).table();
  // Every line starts its value column at the same display column.
  std::vector<std::string> lines;
  for (std::size_t at = 0, next; at < table.size(); at = next + 1) {
    next = table.find('\n', at);
    lines.push_back(table.substr(at, next - at));
  }
  ASSERT_GE(lines.size(), 10u);  // header, rule, 2 leaves, 7 nodes
  auto column_of = [&](const std::string& text) {
    for (const std::string& line : lines) {
      const std::size_t byte = line.find(text);
      if (byte != std::string::npos) return columns(line.substr(0, byte));
    }
    return std::string::npos;
  };
  const std::size_t partial_column = column_of("local partials");
  EXPECT_EQ(column_of("∂ξ5/∂ξ4"), partial_column) << table;
  EXPECT_EQ(column_of("∂ξ2/∂ξ1"), partial_column) << table;
  EXPECT_EQ(column_of("∂ξ1/∂w"), partial_column) << table;
  EXPECT_EQ(column_of("-0.313262"), column_of("value") + columns("value") - columns("-0.313262"))
      << table;  // numbers are right-aligned
}

TEST_F(ExplainTest, LeafUsedTwiceSumsItsAdjoint) {
  const xi::Var x = xi::variable(3.0, "x");
  const xi::Var L = x * x + x;  // ∂L/∂x = 2x + 1 = 7
  const xi::Explanation ex = xi::explain(L);
  ASSERT_EQ(ex.leaves.size(), 1u);
  EXPECT_DOUBLE_EQ(ex.leaves[0].adjoint, 7.0);
  EXPECT_EQ(ex.nodes[0].definition, "ξ1 = x·x");
  EXPECT_EQ(ex.nodes[1].definition, "ξ2 = ξ1 + x");

  // Steps into x: 1·1 from ξ2, then x and x from ξ1 (3 each): 1 → 4 → 7.
  std::vector<xi::SweepStep> into_x;
  for (const auto& s : ex.steps) {
    if (s.to == "x") into_x.push_back(s);
  }
  ASSERT_EQ(into_x.size(), 3u);
  EXPECT_EQ(into_x[0].from, "ξ2");
  EXPECT_DOUBLE_EQ(into_x[0].after, 1.0);
  EXPECT_EQ(into_x[1].from, "ξ1");
  EXPECT_DOUBLE_EQ(into_x[1].before, 1.0);
  EXPECT_DOUBLE_EQ(into_x[1].partial, 3.0);
  EXPECT_DOUBLE_EQ(into_x[1].after, 4.0);
  EXPECT_EQ(into_x[2].from, "ξ1");
  EXPECT_DOUBLE_EQ(into_x[2].before, 4.0);
  EXPECT_DOUBLE_EQ(into_x[2].after, 7.0);
  // steps_text() is the steps table as aligned text: one row a step, a rule under the header.
  std::string rule;
  for (int i = 0; i < 81; ++i) rule += "─";
  EXPECT_EQ(
      ex.steps_text(),
      "step  chain rule                  adjoint · partial  ∂L/∂target\n" + rule +
          "\n"
          "   1  ∂L/∂ξ1 += ∂L/∂ξ2 · ∂ξ2/∂ξ1  1 · 1 = 1          0 → 1\n"
          "   2  ∂L/∂x += ∂L/∂ξ2 · ∂ξ2/∂x    1 · 1 = 1          0 → 1  (contribution 1 of 3)\n"
          "   3  ∂L/∂x += ∂L/∂ξ1 · ∂ξ1/∂x    1 · 3 = 3          1 → 4  (contribution 2 of 3)\n"
          "   4  ∂L/∂x += ∂L/∂ξ1 · ∂ξ1/∂x    1 · 3 = 3          4 → 7  (contribution 3 of "
          "3)\n");
}

TEST_F(ExplainTest, NodeUsedTwiceShowsBothContributions) {
  const xi::Var x = xi::variable(0.7, "x");
  const xi::Var t = xi::sin(x);
  const xi::Var u = xi::exp(t);
  const xi::Var L = u * t;  // t is used by u and by L
  const xi::Explanation ex = xi::explain(L);
  ASSERT_EQ(ex.nodes.size(), 3u);
  const double st = std::sin(0.7), et = std::exp(st);
  // ∂L/∂t = u·∂u/∂t + u = 2e^t (direct and through u).
  EXPECT_NEAR(ex.nodes[0].adjoint, et * st + et, 1e-14);
  std::vector<xi::SweepStep> into_t;
  for (const auto& s : ex.steps) {
    if (s.to == "ξ1") into_t.push_back(s);
  }
  ASSERT_EQ(into_t.size(), 2u);
  EXPECT_EQ(into_t[0].from, "ξ3");  // the later consumer first: the sweep runs backwards
  EXPECT_NEAR(into_t[0].after, et, 1e-14);
  EXPECT_EQ(into_t[1].from, "ξ2");
  EXPECT_NEAR(into_t[1].before, et, 1e-14);
  EXPECT_NEAR(into_t[1].after, et + st * et, 1e-14);
  EXPECT_NEAR(ex.leaves[0].adjoint, xi::grad(L, x), 1e-15);
}

TEST_F(ExplainTest, KinksAreNamed) {
  const xi::Var zero = xi::variable(0.0, "z");
  const xi::Var one = xi::variable(1.0, "o");
  const xi::Var tie = xi::variable(1.0, "t");
  const xi::Var a = xi::abs(zero);
  const xi::Var r = xi::relu(zero);
  const xi::Var m = xi::max(one, tie);
  const xi::Var smooth = xi::abs(one);
  const xi::Var L = a + r;
  const xi::Var L2 = L + m;
  const xi::Var L3 = L2 + smooth;
  const xi::Explanation ex = xi::explain(L3);
  EXPECT_EQ(ex.nodes[0].kink, "abs at 0: subgradient 0 taken");
  EXPECT_EQ(ex.nodes[1].kink, "relu at 0: subgradient 0 taken");
  EXPECT_EQ(ex.nodes[2].kink, "max at a tie: subgradient 1/2 to each side taken");
  EXPECT_EQ(ex.nodes[2].definition, "ξ3 = max(o, t)");
  EXPECT_DOUBLE_EQ(ex.nodes[2].partials[0].value, 0.5);
  EXPECT_EQ(ex.nodes[3].kink, "");
  EXPECT_THAT(ex.table(), HasSubstr("relu at 0: subgradient 0 taken"));
  EXPECT_THAT(ex.table(), HasSubstr("note"));
}

TEST_F(ExplainTest, ConstantsPrintAsNumbers) {
  const xi::Var x = xi::variable(2.0, "x");
  const xi::Var L = xi::pow(xi::max(x, xi::Var(-0.5)) - 3.0, -2.0);
  const xi::Explanation ex = xi::explain(L);
  ASSERT_EQ(ex.nodes.size(), 3u);
  EXPECT_EQ(ex.nodes[0].definition, "ξ1 = max(x, -0.5)");
  EXPECT_EQ(ex.nodes[1].definition, "ξ2 = ξ1 - 3");
  EXPECT_EQ(ex.nodes[2].definition, "ξ3 = ξ2^(-2)");
  EXPECT_EQ(ex.nodes[2].partials[0].formula, "-2·ξ2^(-2-1)");
  EXPECT_NEAR(ex.nodes[2].partials[0].value, -2.0 * std::pow(-1.0, -3.0), 1e-15);
}

TEST_F(ExplainTest, UnnamedLeavesAndTensorNodes) {
  const xi::Var a = xi::variable(1.5);
  xi::Vector v(3);
  v << 0.1, -0.2, 0.3;
  const xi::Tensor x = xi::variable(v, "x");
  const xi::Tensor e = xi::exp(x);
  const xi::Var L = e[1] * a + e[2];
  const xi::Explanation ex = xi::explain(L);
  ASSERT_EQ(ex.leaves.size(), 2u);  // the vector x is one leaf row
  EXPECT_EQ(ex.leaves[0].name, fmt::format("x{}", a.slot()));
  EXPECT_EQ(ex.leaves[1].name, "x");
  EXPECT_EQ(ex.leaves[1].shape, xi::Shape::vector(3));
  EXPECT_THAT(ex.leaves[1].values, ElementsAre(0.1, -0.2, 0.3));
  ASSERT_EQ(ex.leaves[1].adjoints.size(), 3u);
  EXPECT_EQ(ex.leaves[1].adjoints[0], 0.0);
  EXPECT_NEAR(ex.leaves[1].adjoints[1], 1.5 * std::exp(-0.2), 1e-14);
  EXPECT_NEAR(ex.leaves[1].adjoints[2], std::exp(0.3), 1e-14);

  ASSERT_EQ(ex.nodes.size(), 3u);
  const xi::NodeRow& t = ex.nodes[0];
  EXPECT_EQ(t.definition, "ξ1 = exp(x)");
  EXPECT_EQ(t.op, "exp");
  EXPECT_EQ(t.shape, xi::Shape::vector(3));
  EXPECT_NEAR(t.value, std::exp(0.1), 1e-15);
  EXPECT_EQ(t.adjoint, 0.0);  // L reads elements 1 and 2 only
  ASSERT_EQ(t.partials.size(), 1u);
  EXPECT_EQ(t.partials[0].input, "x");
  EXPECT_EQ(t.partials[0].formula, "exp(x)");  // element-wise: ∂ξ1/∂x = exp(x) = [...]
  EXPECT_EQ(t.partials[0].shape, xi::Shape::vector(3));
  EXPECT_THAT(t.partials[0].values, ElementsAre(std::exp(0.1), std::exp(-0.2), std::exp(0.3)));
  EXPECT_THAT(t.values, ElementsAre(std::exp(0.1), std::exp(-0.2), std::exp(0.3)));
  EXPECT_THAT(t.adjoints, ElementsAre(0.0, 1.5, 1.0));
  EXPECT_EQ(ex.nodes[1].definition, fmt::format("ξ2 = ξ1[1]·x{}", a.slot()));
  EXPECT_EQ(ex.nodes[2].definition, "ξ3 = ξ2 + ξ1[2]");
  EXPECT_THAT(ex.table(), HasSubstr("[0.1, -0.2, 0.3]"));
  EXPECT_THAT(ex.table(), HasSubstr("∂ξ1/∂x = exp(x) = [1.10517, 0.818731, 1.34986]"));
  EXPECT_THAT(ex.table(), HasSubstr("[0, 1.5, 1]"));
}

TEST_F(ExplainTest, ScalarShapedTensorNodePrintsItsRule) {
  const xi::Var x = xi::variable(0.5, "x");
  const xi::Tensor e = xi::exp(xi::Tensor(x));  // a tensor node of shape ()
  const xi::Explanation ex = xi::explain(e.item());
  ASSERT_EQ(ex.nodes.size(), 1u);
  EXPECT_EQ(ex.nodes[0].definition, "ξ1 = exp(x)");
  EXPECT_TRUE(ex.nodes[0].shape.is_scalar());
  EXPECT_NEAR(ex.leaves[0].adjoint, std::exp(0.5), 1e-15);
  const std::string table = ex.table();
  EXPECT_THAT(table, HasSubstr("∂ξ1/∂x = exp(x) = 1.64872"));
  EXPECT_THAT(table, Not(HasSubstr("nan")));
}

TEST_F(ExplainTest, NanPartialOfAScalarNodeIsNoted) {
  const xi::Var x = xi::variable(-1.0, "x");
  const xi::Explanation ex = xi::explain(xi::sqrt(x));
  EXPECT_EQ(ex.nodes[0].kink, "∂ξ1/∂x is nan");
  EXPECT_THAT(ex.table(), HasSubstr("∂ξ1/∂x is nan"));
}

TEST_F(ExplainTest, EmptyTensorNodeKeepsItsName) {
  xi::Vector v(3);
  v << 1.0, 2.0, 3.0;
  const xi::Tensor x = xi::variable(v, "x");
  const xi::Tensor empty = xi::slice_rows(x, 1, 1);  // shares its slot with the next node
  const xi::Var total = xi::sum(empty);
  const xi::Var L = total + xi::exp(x[0]);
  const xi::Explanation ex = xi::explain(L);
  ASSERT_EQ(ex.nodes.size(), 4u);
  EXPECT_EQ(ex.nodes[0].shape.size(), 0u);
  EXPECT_THAT(ex.nodes[1].definition, HasSubstr("(ξ1)"));  // sum(ξ1), not sum(ξ2[0])
  EXPECT_THAT(ex.table(), HasSubstr("[] (0)"));
  EXPECT_NEAR(ex.leaves[0].adjoint, std::exp(1.0), 1e-15);
  EXPECT_THAT(xi::to_dot(L), Not(HasSubstr("n5 -> n5")));
  EXPECT_FALSE(xi::find_non_finite(tape_, L).has_value());
}

TEST_F(ExplainTest, ParametersAreLeaves) {
  xi::Vector v(2);
  v << 2.0, -1.0;
  xi::Parameter p(v, "theta");
  const xi::Tensor t = p.var();
  const xi::Var L = xi::square(t[0]) + t[1];
  const xi::Explanation ex = xi::explain(L);
  ASSERT_EQ(ex.leaves.size(), 1u);  // a parameter is one leaf row
  EXPECT_EQ(ex.leaves[0].name, "theta");
  EXPECT_EQ(ex.leaves[0].shape, xi::Shape::vector(2));
  EXPECT_THAT(ex.leaves[0].adjoints, ElementsAre(4.0, 1.0));
  EXPECT_EQ(ex.nodes[0].definition, "ξ1 = theta[0]^2");
  EXPECT_EQ(p.grad()(0, 0), 0.0);  // explain leaves parameters' gradients alone
}

TEST_F(ExplainTest, LongTensorLeavesAreElidedInTheTable) {
  const xi::Tensor x = xi::variable(xi::Vector(xi::Vector::LinSpaced(50, 0.0, 1.0)), "x");
  const xi::Var L = xi::exp(x)[49];
  const xi::Explanation ex = xi::explain(L);
  ASSERT_EQ(ex.leaves.size(), 1u);
  EXPECT_EQ(ex.leaves[0].values.size(), 50u);
  const std::string table = ex.table();
  EXPECT_THAT(table, HasSubstr("[0, 0.0204082, 0.0408163, …, 1] (50)"));
  EXPECT_THAT(table, Not(HasSubstr("0.0612245")));  // the fourth element is left out
}

TEST_F(ExplainTest, ExplainLeavesAdjointsReadable) {
  const xi::Var x = xi::variable(2.0, "x");
  const xi::Var L = x * x;
  (void)xi::explain(L);
  EXPECT_DOUBLE_EQ(x.adjoint(), 4.0);
}

TEST_F(ExplainTest, LeafOutputHasNoNodes) {
  const xi::Var x = xi::variable(2.0, "x");
  const xi::Explanation ex = xi::explain(x);
  EXPECT_TRUE(ex.nodes.empty());
  EXPECT_TRUE(ex.steps.empty());
  ASSERT_EQ(ex.leaves.size(), 1u);
  EXPECT_DOUBLE_EQ(ex.leaves[0].adjoint, 1.0);
  EXPECT_THAT(xi::to_dot(x), HasSubstr("fillcolor=\"#ffd966\""));
}

TEST_F(ExplainTest, NodesAfterTheOutputAreLeftOut) {
  const xi::Var x = xi::variable(2.0, "x");
  const xi::Var L = xi::exp(x);
  const xi::Var later = xi::log(x);
  (void)later;
  const xi::Explanation ex = xi::explain(L);
  ASSERT_EQ(ex.nodes.size(), 1u);
  EXPECT_EQ(ex.nodes[0].definition, "ξ1 = exp(x)");
}

TEST_F(ExplainTest, ConstantOutputIsAnError) {
  EXPECT_THROW((void)xi::explain(xi::Var(1.0)), xi::TapeError);
}

// ------------------------------------------------------------------ to_dot

TEST_F(ExplainTest, DotHasLabelsColoursAndEdges) {
  const xi::Var w = xi::variable(0.5, "w");
  const xi::Var x = xi::variable(2.0, "x\"q");
  const xi::Var unused = xi::exp(w);
  const xi::Var L = -1.0 * xi::log(1 / (1 + xi::exp(-w * x)));
  (void)unused;
  const std::string dot = xi::to_dot(L);
  EXPECT_THAT(dot, HasSubstr("digraph"));
  EXPECT_THAT(dot, HasSubstr("label=\"w = 0.5\\n∂L/∂w = -0.537883\""));
  EXPECT_THAT(dot, HasSubstr("x\\\"q = 2"));  // the quote is escaped
  EXPECT_THAT(dot, HasSubstr("ξ6 = 1/ξ5\\nvalue = 0.731059\\n∂L/∂ξ6 = -1.36788"));
  EXPECT_THAT(dot, HasSubstr("shape=box"));
  EXPECT_THAT(dot, HasSubstr("shape=ellipse"));
  EXPECT_THAT(dot, HasSubstr("fillcolor=\"#ffd966\""));  // the output
  EXPECT_THAT(dot, HasSubstr("[label=\"-0.534447\"]"));  // edge ξ5 → ξ6 carries ∂ξ6/∂ξ5
  EXPECT_THAT(dot, Not(HasSubstr("exp(w)")));            // L does not depend on it
  EXPECT_EQ(dot.back(), '\n');
  EXPECT_THAT(dot, HasSubstr("}\n"));
}

TEST_F(ExplainTest, DotDrawsTensorNodesAndConstantInputs) {
  xi::Vector v(2), c(2);
  v << 1.0, 2.0;
  c << 3.0, 4.0;
  const xi::Tensor x = xi::variable(v, "x");
  const xi::Tensor y = x * xi::constant(c);
  const xi::Var L = y[0] + y[1];
  const std::string dot = xi::to_dot(L);
  EXPECT_THAT(dot, HasSubstr("ξ1 = x·[3, 4]"));
  EXPECT_THAT(dot, HasSubstr("label=\"[3, 4]\""));
  EXPECT_THAT(dot, HasSubstr("x = [1, 2]\\n∂L/∂x = [3, 4]"));
  EXPECT_THAT(dot, HasSubstr("value = [3, 8]\\n∂L/∂ξ1 = [1, 1]"));
  EXPECT_THAT(dot, HasSubstr("n1 -> n3 [label=\"[3, 4]\"]"));  // ∂ξ1/∂x = [3, 4]
  EXPECT_THAT(dot, HasSubstr("[label=\"[1]: 1\"]"));           // ξ2 reads element 1 of ξ1
}

// ------------------------------------------------------------------ anomaly mode

TEST_F(ExplainTest, LogOfZeroIsNamed) {
  const xi::Var x = xi::variable(0.0, "x");
  const xi::Var L = 2.0 * xi::log(x);
  const auto message = xi::find_non_finite(tape_, L);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(*message, "ξ1 = log(x) is -inf: log(0) (inputs: x = 0)");
  try {
    xi::backward(L, /*check_finite=*/true);
    FAIL() << "no NonFiniteError";
  } catch (const xi::NonFiniteError& e) {
    EXPECT_THAT(e.what(), HasSubstr("ξ1 = log(x)"));
  }
}

TEST_F(ExplainTest, NaiveLectureChainOverflowNamesTheExp) {
  const xi::Var w = xi::variable(-1000.0, "w");
  const xi::Var x = xi::variable(1.0, "x");
  const xi::Var L = -1.0 * xi::log(1 / (1 + xi::exp(-w * x)));
  try {
    xi::throw_if_not_finite(tape_, L);
    FAIL() << "no NonFiniteError";
  } catch (const xi::NonFiniteError& e) {
    EXPECT_STREQ(e.what(), "ξ3 = exp(ξ2) is inf: exp(1000) (inputs: ξ2 = 1000)");
  }
}

TEST_F(ExplainTest, NonFiniteAdjointNamesTheConsumer) {
  const xi::Var x = xi::variable(0.0, "x");
  const xi::Var L = 3.0 * xi::sqrt(x);  // value 0, but ∂ξ1/∂x = 1/(2·sqrt(0)) = inf
  const auto message = xi::find_non_finite(tape_, L);
  ASSERT_TRUE(message.has_value());
  EXPECT_THAT(*message, HasSubstr("∂L/∂x is inf"));
  EXPECT_THAT(*message, HasSubstr("ξ1 = sqrt(x) passes ∂L/∂ξ1 · ∂ξ1/∂x = 3 · inf"));
  EXPECT_THROW(xi::backward(L, true), xi::NonFiniteError);
}

TEST_F(ExplainTest, NonFiniteTensorElementIsNamed) {
  xi::Vector v(3);
  v << 1.0, 0.0, 2.0;
  const xi::Tensor x = xi::variable(v, "x");
  const xi::Var L = xi::log(x)[0];
  const auto message = xi::find_non_finite(tape_, L);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(*message, "ξ1 = log(x) is -inf at element 1 of (3): log(0) (inputs: x[1] = 0)");
}

TEST_F(ExplainTest, NonFiniteLeafIsNamed) {
  const xi::Var w = xi::variable(std::nan(""), "w");
  const xi::Var L = xi::exp(w);
  EXPECT_EQ(xi::find_non_finite(tape_, L).value_or(""),
            "the leaf w is nan: a variable was given a non-finite value");
}

TEST_F(ExplainTest, FiniteComputationPasses) {
  const xi::Var w = xi::variable(0.5, "w");
  const xi::Var L = xi::exp(w) * w;
  EXPECT_FALSE(xi::find_non_finite(tape_, L).has_value());
  EXPECT_NO_THROW(xi::backward(L, true));
  EXPECT_DOUBLE_EQ(w.adjoint(), std::exp(0.5) * 1.5);
}

TEST_F(ExplainTest, NonFiniteNodeThatLDoesNotUseIsIgnored) {
  const xi::Var x = xi::variable(0.0, "x");
  const xi::Var unused = x + std::numeric_limits<double>::infinity();
  const xi::Var L = 2.0 * x;
  (void)unused;
  EXPECT_FALSE(xi::find_non_finite(tape_, L).has_value());
}

// A node L does not use still takes part in the reverse sweep with ∂L/∂ξ = 0; with an infinite
// local partial that is 0·inf. Whatever the engine makes of it, the anomaly check agrees.
TEST_F(ExplainTest, UnusedNodeWithInfinitePartialAgreesWithTheEngine) {
  const xi::Var x = xi::variable(0.0, "x");
  const xi::Var unused = xi::log(x);
  const xi::Var L = 2.0 * x;
  (void)unused;
  const double g = xi::grad(L, x);
  const auto message = xi::find_non_finite(tape_, L);
  if (std::isnan(g)) {
    ASSERT_TRUE(message.has_value());
    EXPECT_THAT(*message, HasSubstr("∂L/∂x is nan"));
    EXPECT_THAT(*message, HasSubstr("ξ1 = log(x) passes ∂L/∂ξ1 · ∂ξ1/∂x = 0 · inf"));
  } else {
    EXPECT_DOUBLE_EQ(g, 2.0);
    EXPECT_FALSE(message.has_value());
  }
}

}  // namespace
