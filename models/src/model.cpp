// The models: the shared interface, the linear-form models (linear, logistic, neuron), the MLP,
// and the closed-form least-squares cross-check.

#include <xigrad/models/model.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <random>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <Eigen/Cholesky>
#include <Eigen/Dense>

#include <xigrad/autodiff/error.hpp>
#include <xigrad/autodiff/explain.hpp>
#include <xigrad/autodiff/tape.hpp>
#include <xigrad/models/limits.hpp>

#include "model_random.hpp"

namespace xi::models {
namespace {

Task task_of(const ModelSpec& spec) {
  if (spec.kind == "linear") return Task::regression;
  if (spec.kind == "logistic" || spec.kind == "neuron") return Task::binary;
  if (spec.kind == "mlp") return spec.task;
  throw InputError(
      fmt::format("unknown model '{}' (known: {})", spec.kind, fmt::join(model_names(), ", ")));
}

void require_inputs(const ModelSpec& spec) {
  if (spec.inputs == 0) {
    throw InputError(fmt::format("model '{}': it needs at least one input feature", spec.kind));
  }
}

Init resolve_init(Init init, Activation act) {
  if (init != Init::automatic) return init;
  return act == Activation::relu ? Init::he : Init::xavier;
}

/// A (fan_in × fan_out) matrix of N(0, σ²) draws, σ² by the initialisation rule.
Matrix init_weights(std::size_t fan_in, std::size_t fan_out, Init init, std::mt19937_64& rng) {
  const double var = init == Init::he ? 2.0 / static_cast<double>(fan_in)
                                      : 2.0 / static_cast<double>(fan_in + fan_out);
  const double sd = std::sqrt(var);
  Matrix W(static_cast<Eigen::Index>(fan_in), static_cast<Eigen::Index>(fan_out));
  for (Eigen::Index i = 0; i < W.size(); ++i) W.data()[i] = sd * detail::standard_normal(rng);
  return W;
}

}  // namespace

// ------------------------------------------------------------------ names

std::vector<std::string_view> model_names() {
  return {"linear", "logistic", "neuron", "mlp"};
}

std::string_view activation_name(Activation a) noexcept {
  switch (a) {
    case Activation::relu:
      return "relu";
    case Activation::tanh:
      return "tanh";
    case Activation::sigmoid:
      return "sigmoid";
  }
  return "?";
}

std::string_view init_name(Init i) noexcept {
  switch (i) {
    case Init::automatic:
      return "auto";
    case Init::he:
      return "he";
    case Init::xavier:
      return "xavier";
  }
  return "?";
}

Activation parse_activation(std::string_view name) {
  if (name == "relu") return Activation::relu;
  if (name == "tanh") return Activation::tanh;
  if (name == "sigmoid") return Activation::sigmoid;
  throw InputError(fmt::format("unknown activation '{}' (known: relu, tanh, sigmoid)", name));
}

Init parse_init(std::string_view name) {
  if (name == "auto") return Init::automatic;
  if (name == "he") return Init::he;
  if (name == "xavier") return Init::xavier;
  throw InputError(fmt::format("unknown initialisation '{}' (known: auto, he, xavier)", name));
}

std::vector<std::size_t> parse_layer_sizes(std::string_view text) {
  std::vector<std::size_t> sizes;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string_view item = text.substr(start, end - start);
    std::size_t v = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || v == 0 ||
        v > limits::max_layer_size) {
      throw InputError(fmt::format(
          "layer sizes: '{}' is not a whole number from 1 to {} (write sizes like 16 or 32,16)",
          item.substr(0, 24), limits::max_layer_size));
    }
    if (sizes.size() == limits::max_hidden_layers) {
      throw InputError(
          fmt::format("layer sizes: more than {} hidden layers", limits::max_hidden_layers));
    }
    sizes.push_back(v);
    start = end + 1;
  }
  return sizes;
}

// ------------------------------------------------------------------ Model

Model::Model(ModelSpec spec, Task task) : spec_(std::move(spec)), task_(task) {}

std::size_t Model::numel() const {
  std::size_t n = 0;
  for (const Parameter& p : parameters()) n += p.size();
  return n;
}

void Model::check_input(const Tensor& X) const {
  if (X.shape().rank != 2 || X.cols() != spec_.inputs) {
    throw ShapeError(
        fmt::format("{}: input of shape {} (expected a matrix (n, {}): one row per "
                    "example, one column per feature)",
                    describe(), X.shape(), spec_.inputs));
  }
}

Var Model::data_loss(const Tensor& outputs, const Tensor& y) const {
  return task_ == Task::regression ? mse_loss(outputs, y) : bce_loss(outputs, y);
}

Var Model::penalty(double l2) const {
  Var P = 0.0;
  if (l2 == 0.0) return P;
  for (const Parameter& w : weights()) {
    const Tensor v = w.var();
    P = P + (0.5 * l2) * dot(v, v);
  }
  return P;
}

Var Model::objective(const Tensor& X, const Tensor& y, double l2) const {
  const Var L = data_loss(forward(X), y);
  return l2 == 0.0 ? L : L + penalty(l2);
}

Eigen::VectorXd Model::predict(const Matrix& X) const {
  Tape tape;
  Tape::Scope scope(tape);
  const Tensor out = forward(borrow(X));
  return Eigen::Map<const Eigen::VectorXd>(out.data(), static_cast<Eigen::Index>(out.size()));
}

void Model::set_parameter_values(const std::vector<Matrix>& values) {
  std::vector<Parameter> ps = parameters();
  if (values.size() != ps.size()) {
    throw InputError(fmt::format("{}: {} parameter arrays given, the model has {}", describe(),
                                 values.size(), ps.size()));
  }
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (static_cast<std::size_t>(values[i].size()) != ps[i].size()) {
      throw InputError(fmt::format("{}: parameter '{}' has {} values, {} given", describe(),
                                   ps[i].name(), ps[i].size(), values[i].size()));
    }
    std::copy_n(values[i].data(), ps[i].size(), ps[i].data());
  }
}

std::vector<Matrix> Model::parameter_values() const {
  std::vector<Matrix> out;
  for (const Parameter& p : parameters()) out.push_back(p.value());
  return out;
}

// ------------------------------------------------------------------ LinearModel

LinearModel::LinearModel(const ModelSpec& spec)
    : Model(spec, task_of(spec)),
      w_(Vector::Zero(static_cast<Eigen::Index>(spec.inputs)), "w"),
      b_(0.0, "b") {
  if (spec.kind == "mlp") throw InputError("LinearModel: kind 'mlp' is built by Mlp");
  require_inputs(spec);
  if (spec.kind == "neuron") {
    // The lecture starts from randomly selected weights: Xavier-normal, seeded.
    std::mt19937_64 rng(detail::splitmix64(spec.seed));
    const double sd = std::sqrt(2.0 / static_cast<double>(spec.inputs + 1));
    for (std::size_t j = 0; j < spec.inputs; ++j) w_.data()[j] = sd * detail::standard_normal(rng);
  }
}

std::string LinearModel::describe() const {
  if (kind() == "linear") return "linear regression";
  if (kind() == "logistic") return "logistic regression";
  return "single neuron sigmoid(w·x + b)";
}

Tensor LinearModel::forward(const Tensor& X) const {
  check_input(X);
  return matmul(X, w_.var()) + b_.var();
}

std::optional<LinearCoefficients> LinearModel::coefficients() const {
  LinearCoefficients c;
  c.weights = Eigen::Map<const Eigen::VectorXd>(w_.data(), static_cast<Eigen::Index>(w_.size()));
  c.bias = b_.data()[0];
  return c;
}

Var LinearModel::lecture_loss(const Eigen::VectorXd& x, double y) const {
  const auto d = static_cast<Eigen::Index>(spec().inputs);
  if (x.size() != d) {
    throw ShapeError(
        fmt::format("{}: lecture_loss: example of size {} (expected {})", describe(), x.size(), d));
  }
  Vector theta(d + 1), neg_x(d + 1);
  theta.head(d) = Eigen::Map<const Eigen::VectorXd>(w_.data(), d);
  theta[d] = b_.data()[0];
  neg_x.head(d) = -x;
  neg_x[d] = -1.0;
  const Tensor W = variable(theta, "W");
  // Named constants, so that explain prints ξ1 = W·(-X) and ξ8 = -y·ξ5 as the slides do.
  const Var xi1 = dot(W, named_constant(neg_x.data(), Shape::vector(d + 1), "-X"));  // −WᵀX
  const Var xi2 = exp(xi1);
  const Var xi3 = 1.0 + xi2;
  const Var xi4 = reciprocal(xi3);  // p
  const Var xi5 = log(xi4);         // log p
  const Var xi6 = 1.0 - xi4;        // 1 − p
  const Var xi7 = log(xi6);         // log(1 − p)
  // (0 − c rather than −c, so that y = 0 is 0, not −0.)
  const Var LA = named_constant(0.0 - y, "-y") * xi5;              // L^A = −y·log p
  const Var LB = named_constant(0.0 - (1.0 - y), "-(1-y)") * xi7;  // L^B = −(1 − y)·log(1 − p)
  return LA + LB;
}

// ------------------------------------------------------------------ Mlp

Mlp::Mlp(const ModelSpec& spec)
    : Model(spec, task_of(spec)), init_(resolve_init(spec.init, spec.activation)) {
  if (spec.kind != "mlp") throw InputError("Mlp: kind must be 'mlp'");
  require_inputs(spec);
  for (std::size_t h : spec.hidden) {
    if (h == 0) throw InputError("mlp: a hidden layer has size 0");
  }
  std::mt19937_64 rng(detail::splitmix64(spec.seed));
  const std::vector<std::size_t> sizes = layer_sizes();
  for (std::size_t k = 0; k + 1 < sizes.size(); ++k) {
    W_.emplace_back(init_weights(sizes[k], sizes[k + 1], init_, rng), fmt::format("W{}", k + 1));
    b_.emplace_back(Vector::Zero(static_cast<Eigen::Index>(sizes[k + 1])),
                    fmt::format("b{}", k + 1));
  }
}

std::vector<std::size_t> Mlp::layer_sizes() const {
  std::vector<std::size_t> sizes{spec().inputs};
  sizes.insert(sizes.end(), spec().hidden.begin(), spec().hidden.end());
  sizes.push_back(1);
  return sizes;
}

std::string Mlp::describe() const {
  return fmt::format("MLP {} ({}, {})", fmt::join(layer_sizes(), "-"),
                     activation_name(spec().activation), init_name(init_));
}

std::vector<Parameter> Mlp::parameters() const {
  std::vector<Parameter> ps;
  for (std::size_t k = 0; k < W_.size(); ++k) {
    ps.push_back(W_[k]);
    ps.push_back(b_[k]);
  }
  return ps;
}

Tensor Mlp::forward(const Tensor& X) const {
  check_input(X);
  Tensor h = X;
  const std::size_t last = W_.size() - 1;
  for (std::size_t k = 0; k < last; ++k) {
    const Tensor z = matmul(h, W_[k].var()) + b_[k].var();
    switch (spec().activation) {
      case Activation::relu:
        h = relu(z);
        break;
      case Activation::tanh:
        h = tanh(z);
        break;
      case Activation::sigmoid:
        h = sigmoid(z);
        break;
    }
  }
  const Tensor out = matmul(h, W_[last].var()) + b_[last].var();  // (n, 1)
  return reshape(out, Shape::vector(out.rows()));
}

// ------------------------------------------------------------------ factory, least squares

std::size_t parameter_count(const ModelSpec& spec) {
  (void)task_of(spec);  // validates the kind
  require_inputs(spec);
  const auto check_size = [&](std::size_t n, std::string_view what) {
    if (n == 0 || n > limits::max_layer_size) {
      throw InputError(fmt::format("model '{}': {} {} is not in the range 1 to {}", spec.kind, what,
                                   n, limits::max_layer_size));
    }
  };
  check_size(spec.inputs, "the number of inputs");
  std::vector<std::size_t> sizes{spec.inputs};
  if (spec.kind == "mlp") {
    if (spec.hidden.size() > limits::max_hidden_layers) {
      throw InputError(fmt::format("model 'mlp': {} hidden layers (at most {})", spec.hidden.size(),
                                   limits::max_hidden_layers));
    }
    for (std::size_t h : spec.hidden) {
      check_size(h, "a hidden layer of size");
      sizes.push_back(h);
    }
  }
  sizes.push_back(1);
  // Each term is at most (10^6 + 1) · 10^6 and there are at most 101 of them: no overflow.
  std::size_t total = 0;
  for (std::size_t k = 0; k + 1 < sizes.size(); ++k) total += (sizes[k] + 1) * sizes[k + 1];
  if (total > limits::max_parameters) {
    throw InputError(fmt::format("model '{}': {} parameters exceed the limit of {}", spec.kind,
                                 total, limits::max_parameters));
  }
  return total;
}

std::unique_ptr<Model> make_model(const ModelSpec& spec) {
  (void)parameter_count(spec);  // validates the kind and the sizes before anything is allocated
  if (spec.kind == "mlp") return std::make_unique<Mlp>(spec);
  return std::make_unique<LinearModel>(spec);
}

LinearCoefficients least_squares(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, double l2) {
  if (X.rows() != y.size()) {
    throw ShapeError(
        fmt::format("least_squares: X has {} rows but y has {} values", X.rows(), y.size()));
  }
  if (X.rows() == 0) throw InputError("least_squares: no rows");
  if (!(l2 >= 0.0) || !std::isfinite(l2)) {
    throw InputError(fmt::format("least_squares: l2 = {} must be finite and >= 0", l2));
  }
  const Eigen::Index n = X.rows(), d = X.cols();
  Eigen::MatrixXd A(n, d + 1);
  A.leftCols(d) = X;
  A.col(d).setOnes();
  Eigen::MatrixXd G = A.transpose() * A;
  // mean((Aθ − y)²) + (l2/2)·|w|² is minimal where AᵀAθ + (n·l2/2)·[w; 0] = Aᵀy.
  G.diagonal().head(d).array() += 0.5 * static_cast<double>(n) * l2;
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(G);
  const Eigen::VectorXd rhs = A.transpose() * y;
  const Eigen::VectorXd theta = ldlt.solve(rhs);
  const double scale = std::max(1.0, G.diagonal().cwiseAbs().maxCoeff());
  if (ldlt.info() != Eigen::Success || !theta.allFinite() ||
      (ldlt.vectorD().array().abs() <= 1e-12 * scale).any()) {
    throw InputError(
        "least_squares: the normal equations are singular (a feature is constant or a linear "
        "combination of others)");
  }
  LinearCoefficients c;
  c.weights = theta.head(d);
  c.bias = theta[d];
  return c;
}

}  // namespace xi::models
