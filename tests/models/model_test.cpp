// Tests for the models: linear regression against the normal equations, logistic regression
// against an independent Newton (IRLS) solve, the MLP on XOR and two moons, the neuron's ξ chain,
// initialisation, and the metrics.

#include <xigrad/models/metrics.hpp>
#include <xigrad/models/model.hpp>
#include <xigrad/models/train.hpp>

#include <xigrad/autodiff/autodiff.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Eigen/Dense>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

namespace xi::models {
namespace {

using ::testing::HasSubstr;

const std::filesystem::path kDataDir = XIGRAD_SHARED_DATA_DIR;

DatasetOptions options(std::string target, std::vector<std::string> features,
                       std::optional<std::string> positive = std::nullopt) {
  DatasetOptions o;
  o.target = std::move(target);
  o.features = std::move(features);
  o.positive = std::move(positive);
  return o;
}

ModelSpec spec_of(std::string kind, std::size_t inputs = 0) {
  ModelSpec s;
  s.kind = std::move(kind);
  s.inputs = inputs;
  return s;
}

void expect_rel_near(const Eigen::VectorXd& a, const Eigen::VectorXd& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  const double scale = std::max(1.0, b.cwiseAbs().maxCoeff());
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a[i], b[i], tol * std::max(scale * 1e-3, std::abs(b[i]))) << "component " << i;
  }
}

// ------------------------------------------------------------------ linear regression

TEST(LinearRegression, AdvertisingEqualsTheNormalEquations) {
  const Dataset ad =
      read_dataset(kDataDir / "Advertising.csv", options("sales", {"TV", "radio", "newspaper"}));
  ASSERT_EQ(ad.rows(), 200);
  const LinearCoefficients closed = least_squares(ad.X, ad.y);
  // The textbook's fit (ISLR table 3.9): 2.939 + 0.046 TV + 0.189 radio − 0.001 newspaper.
  EXPECT_NEAR(closed.bias, 2.939, 5e-4);
  EXPECT_NEAR(closed.weights[0], 0.0458, 5e-5);
  EXPECT_NEAR(closed.weights[1], 0.1885, 5e-5);
  EXPECT_NEAR(closed.weights[2], -0.0010, 5e-5);

  TrainOptions train;  // defaults: full-batch L-BFGS, no penalty
  const Fitted fitted = fit(ad, spec_of("linear"), train);
  EXPECT_TRUE(fitted.result.converged) << fitted.result.stop_reason;
  ASSERT_TRUE(fitted.coefficients.has_value());
  expect_rel_near(fitted.coefficients->weights, closed.weights, 1e-6);
  EXPECT_NEAR(fitted.coefficients->bias, closed.bias, 1e-6 * std::abs(closed.bias));
  // The loss at the solution is the residual mean square.
  const Eigen::VectorXd residual =
      ad.X * closed.weights + Eigen::VectorXd::Constant(200, closed.bias) - ad.y;
  EXPECT_NEAR(fitted.result.data_loss, residual.squaredNorm() / 200, 1e-9);
  EXPECT_NEAR(mean_squared_error(fitted.predict(ad.X), ad.y), fitted.result.data_loss, 1e-9);
}

TEST(LinearRegression, RidgeEqualsThePenalisedNormalEquations) {
  const SyntheticData syn = make_regression(80, 3, 0.5, 7);
  const Standardizer st = Standardizer::fit(syn.data.X);
  const Eigen::MatrixXd Z = st.transform(syn.data.X);
  const double l2 = 0.3;
  const LinearCoefficients closed = least_squares(Z, syn.data.y, l2);
  TrainOptions train;
  train.l2 = l2;
  const Fitted fitted = fit(syn.data, spec_of("linear"), train);
  const auto c = fitted.model->coefficients();  // standardised units, as penalised
  ASSERT_TRUE(c.has_value());
  expect_rel_near(c->weights, closed.weights, 1e-6);
  EXPECT_NEAR(c->bias, closed.bias, 1e-6);
}

TEST(LinearRegression, LeastSquaresRefusesSingularSystems) {
  Eigen::MatrixXd X(4, 2);
  X << 1, 2, 2, 4, 3, 6, 4, 8;  // second column = 2 × first
  const Eigen::VectorXd y = Eigen::VectorXd::LinSpaced(4, 0, 3);
  EXPECT_THROW(least_squares(X, y), InputError);
  EXPECT_THROW(least_squares(X, Eigen::VectorXd::Zero(3)), ShapeError);
}

// ------------------------------------------------------------------ logistic regression

/// Maximum-likelihood logistic regression by Newton's method (IRLS), written out with Eigen:
/// θ ← θ + (AᵀWA)⁻¹Aᵀ(y − p) with A = [1 X], W = diag(p(1 − p)).
Eigen::VectorXd irls(const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  const Eigen::Index n = X.rows(), d = X.cols();
  Eigen::MatrixXd A(n, d + 1);
  A.col(0).setOnes();
  A.rightCols(d) = X;
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(d + 1);
  for (int it = 0; it < 100; ++it) {
    const Eigen::VectorXd z = A * theta;
    const Eigen::VectorXd p = (1.0 / (1.0 + (-z).array().exp())).matrix();
    const Eigen::VectorXd w = (p.array() * (1.0 - p.array())).matrix();
    const Eigen::MatrixXd H = A.transpose() * w.asDiagonal() * A;
    const Eigen::VectorXd step = H.ldlt().solve(A.transpose() * (y - p));
    theta += step;
    if (step.cwiseAbs().maxCoeff() < 1e-14 * (1.0 + theta.cwiseAbs().maxCoeff())) break;
  }
  return theta;  // (bias, weights...)
}

TEST(LogisticRegression, HeartEqualsAnIndependentNewtonSolve) {
  const Dataset heart =
      read_dataset(kDataDir / "Heart.csv", options("AHD", {"Age", "MaxHR", "Chol"}, "Yes"));
  ASSERT_EQ(heart.rows(), 303);  // no NA in these columns
  const Eigen::VectorXd theta = irls(heart.X, heart.y);

  TrainOptions train;
  const Fitted fitted = fit(heart, spec_of("logistic"), train);
  EXPECT_TRUE(fitted.result.converged) << fitted.result.stop_reason;
  ASSERT_TRUE(fitted.coefficients.has_value());
  EXPECT_NEAR(fitted.coefficients->bias, theta[0], 1e-5 * std::abs(theta[0]));
  expect_rel_near(fitted.coefficients->weights, theta.tail(3), 1e-5);
  // MaxHR lowers the odds of heart disease, age raises them.
  EXPECT_LT(fitted.coefficients->weights[1], 0.0);
  EXPECT_GT(fitted.coefficients->weights[0], 0.0);

  const Eigen::VectorXd logits = fitted.predict(heart.X);
  const double acc = accuracy(decisions_from_logits(logits), heart.y);
  EXPECT_GT(acc, 0.65);
  EXPECT_NEAR(binary_cross_entropy(logits, heart.y), fitted.result.data_loss, 1e-12);
}

TEST(Neuron, GradientDescentFromRandomWeightsApproachesTheSameSolution) {
  const Dataset heart =
      read_dataset(kDataDir / "Heart.csv", options("AHD", {"Age", "MaxHR", "Chol"}, "Yes"));
  const Eigen::VectorXd theta = irls(heart.X, heart.y);
  TrainOptions train;
  train.optimizer = "gd";
  train.lr = 1.0;
  train.epochs = 3000;
  ModelSpec spec = spec_of("neuron");
  spec.seed = 3;
  const Fitted fitted = fit(heart, spec, train);
  ASSERT_TRUE(fitted.coefficients.has_value());
  expect_rel_near(fitted.coefficients->weights, theta.tail(3), 1e-3);
}

TEST(Neuron, LectureLossIsTheXiChainOfTheSlides) {
  ModelSpec spec = spec_of("neuron", 2);
  spec.seed = 1;
  const LinearModel neuron(spec);
  const Eigen::Vector2d x(0.5, -1.5);
  for (const double y : {0.0, 1.0}) {
    Tape tape;
    Tape::Scope scope(tape);
    const Var L = neuron.lecture_loss(x, y);
    const double z = neuron.w().value().reshaped().dot(x) + neuron.b().data()[0];
    const double p = 1.0 / (1.0 + std::exp(-z));
    EXPECT_NEAR(L.value(), -(y * std::log(p) + (1 - y) * std::log(1 - p)), 1e-14);
    const Explanation e = explain(L);
    // ξ1 = −WᵀX, exp, 1 +, reciprocal, log, 1 −, log, then the weighted sum.
    ASSERT_GE(e.nodes.size(), 7u);
    EXPECT_EQ(e.nodes[1].op, "exp");
    EXPECT_EQ(e.nodes[3].op, "reciprocal");
    EXPECT_EQ(e.nodes[4].op, "log");
    EXPECT_EQ(e.nodes[0].op, "dot");
    EXPECT_EQ(e.nodes[2].definition, "ξ3 = 1 + ξ2");
    // What docs/models.md promises: the slides' rows, with W one leaf and named constants.
    ASSERT_EQ(e.nodes.size(), 10u);
    EXPECT_EQ(e.nodes[0].definition, "ξ1 = W·(-X)");
    EXPECT_EQ(e.nodes[0].partials.at(0).formula, "-X");
    EXPECT_EQ(e.nodes[7].definition, "ξ8 = -y·ξ5");
    EXPECT_EQ(e.nodes[8].definition, "ξ9 = -(1-y)·ξ7");
    ASSERT_EQ(e.leaves.size(), 1u);
    EXPECT_EQ(e.leaves[0].name, "W");
    ASSERT_EQ(e.leaves[0].adjoints.size(), 3u);
    EXPECT_NEAR(e.leaves[0].adjoints[0], (p - y) * x[0], 1e-14);
    EXPECT_NEAR(e.leaves[0].adjoints[2], p - y, 1e-14);
  }
}

// ------------------------------------------------------------------ MLP

double mlp_accuracy(const Dataset& data, std::vector<std::size_t> hidden, Activation act,
                    std::size_t epochs, double lr) {
  ModelSpec spec = spec_of("mlp");
  spec.hidden = std::move(hidden);
  spec.activation = act;
  spec.seed = 1;
  TrainOptions train;
  train.optimizer = "adam";
  train.lr = lr;
  train.epochs = epochs;
  train.batch_size = 32;
  train.seed = 2;
  const Fitted fitted = fit(data, spec, train);
  EXPECT_FALSE(fitted.result.diverged) << fitted.result.stop_reason;
  return accuracy(decisions_from_logits(fitted.predict(data.X)), data.y);
}

TEST(Mlp, FitsXor) {
  const Dataset xor_data = make_xor(200, 0.0, 5);
  EXPECT_GE(mlp_accuracy(xor_data, {8}, Activation::tanh, 300, 0.03), 0.95);
}

TEST(Mlp, FitsNoisyTwoMoons) {
  const Dataset moons = make_two_moons(300, 0.1, 11);
  EXPECT_GE(mlp_accuracy(moons, {16, 16}, Activation::relu, 150, 0.01), 0.9);
}

TEST(Mlp, ALinearModelCannotFitXor) {
  const Dataset xor_data = make_xor(200, 0.0, 5);
  TrainOptions train;
  const Fitted fitted = fit(xor_data, spec_of("logistic"), train);
  EXPECT_LT(accuracy(decisions_from_logits(fitted.predict(xor_data.X)), xor_data.y), 0.7);
}

TEST(Mlp, InitialisationIsSeededAndScaled) {
  ModelSpec spec = spec_of("mlp", 200);
  spec.hidden = {300};
  spec.seed = 42;
  const Mlp a(spec), b(spec);
  EXPECT_EQ(a.parameter_values()[0], b.parameter_values()[0]);
  EXPECT_EQ(a.init(), Init::he);
  const Matrix W1 = a.parameter_values()[0];
  const double var = W1.squaredNorm() / static_cast<double>(W1.size());
  EXPECT_NEAR(var, 2.0 / 200, 0.1 * 2.0 / 200);  // He: 2 / fan_in
  spec.activation = Activation::tanh;
  const Mlp c(spec);
  EXPECT_EQ(c.init(), Init::xavier);
  const Matrix V1 = c.parameter_values()[0];
  EXPECT_NEAR(V1.squaredNorm() / static_cast<double>(V1.size()), 2.0 / 500, 0.1 * 2.0 / 500);
  spec.seed = 43;
  const Mlp d(spec);
  EXPECT_NE(c.parameter_values()[0], d.parameter_values()[0]);
  EXPECT_EQ(a.layer_sizes(), (std::vector<std::size_t>{200, 300, 1}));
  EXPECT_EQ(a.describe(), "MLP 200-300-1 (relu, he)");
  EXPECT_TRUE(a.parameter_values()[1].isZero());  // biases start at 0
}

TEST(Mlp, ForwardMatchesAHandWrittenPass) {
  ModelSpec spec = spec_of("mlp", 3);
  spec.hidden = {4, 2};
  spec.activation = Activation::tanh;
  spec.seed = 9;
  const Mlp mlp(spec);
  Matrix X(5, 3);
  X.setRandom();
  const auto p = mlp.parameter_values();
  Eigen::MatrixXd h = X;
  for (std::size_t k = 0; k < 2; ++k) {
    Eigen::MatrixXd W = Eigen::Map<const Matrix>(
        p[2 * k].data(), static_cast<Eigen::Index>(h.cols()), p[2 * k].size() / h.cols());
    h = ((h * W).rowwise() + Eigen::Map<const Eigen::RowVectorXd>(p[2 * k + 1].data(), W.cols()))
            .array()
            .tanh()
            .matrix();
  }
  const Eigen::VectorXd out =
      (h * Eigen::Map<const Eigen::VectorXd>(p[4].data(), 2)).array() + p[5](0);
  const Eigen::VectorXd engine = mlp.predict(X);
  EXPECT_TRUE(engine.isApprox(out, 1e-13)) << engine.transpose() << "\n" << out.transpose();
}

TEST(Models, RejectBadSpecsAndInputs) {
  EXPECT_THROW(make_model(spec_of("svm", 2)), InputError);
  EXPECT_THROW(make_model(spec_of("linear", 0)), InputError);
  ModelSpec mlp = spec_of("mlp", 2);
  mlp.hidden = {3, 0};
  EXPECT_THROW(make_model(mlp), InputError);
  const auto model = make_model(spec_of("logistic", 3));
  Matrix wrong(4, 2);
  wrong.setZero();
  try {
    (void)model->predict(wrong);
    FAIL() << "a (4, 2) input was accepted by a 3-input model";
  } catch (const ShapeError& e) {
    EXPECT_THAT(e.what(), HasSubstr("(4, 2)"));
  }
  EXPECT_EQ(parse_layer_sizes("32,16"), (std::vector<std::size_t>{32, 16}));
  EXPECT_THROW(parse_layer_sizes("32,,16"), InputError);
  EXPECT_THROW(parse_layer_sizes("0"), InputError);
  EXPECT_THROW(parse_activation("gelu"), InputError);
}

// ------------------------------------------------------------------ metrics

TEST(Metrics, ConfusionMatrixAndAccuracy) {
  Eigen::VectorXd predicted(6), actual(6);
  predicted << 1, 0, 1, 1, 0, 0;
  actual << 1, 0, 0, 1, 1, 0;
  const ConfusionMatrix cm = confusion_matrix(predicted, actual);
  EXPECT_EQ(cm.true_positive, 2u);
  EXPECT_EQ(cm.true_negative, 2u);
  EXPECT_EQ(cm.false_positive, 1u);
  EXPECT_EQ(cm.false_negative, 1u);
  EXPECT_DOUBLE_EQ(cm.accuracy(), 4.0 / 6);
  EXPECT_DOUBLE_EQ(accuracy(predicted, actual), 4.0 / 6);
  EXPECT_THAT(cm.table({"No", "Yes"}), HasSubstr("actual Yes"));
  Eigen::VectorXd logits(3);
  logits << -0.1, 0.0, 2.0;
  EXPECT_EQ(decisions_from_logits(logits), Eigen::Vector3d(0, 0, 1));
  Eigen::VectorXd bad(6);
  bad << 1, 0, 2, 1, 0, 0;
  EXPECT_THROW(confusion_matrix(bad, actual), InputError);
  EXPECT_THROW(accuracy(predicted, Eigen::VectorXd::Zero(2)), ShapeError);
  Eigen::VectorXd z(2), y(2);
  z << 800, -800;
  y << 0, 1;
  EXPECT_DOUBLE_EQ(binary_cross_entropy(z, y), 800.0);
}

}  // namespace
}  // namespace xi::models
