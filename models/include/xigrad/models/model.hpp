#pragma once
// The models: linear regression, logistic regression, the lecture's single neuron and a
// multi-layer perceptron, all behind one interface. A model owns its parameters (xi::Parameter,
// which live outside the tape), records its forward pass on the current tape and names its loss.
//
//   auto model = xi::models::make_model(spec);               // e.g. spec.kind = "logistic"
//   xi::Var L = model->objective(xi::borrow(X), xi::borrow(y), l2);
//   xi::backward(L);                                          // parameters' grad() += ∂L/∂θ
//
// Inputs are batches X of shape (n, d) (row-major, usually standardised features) and targets y
// of shape (n); every model's output is a vector (n): predictions for regression, logits (log
// odds of class 1) for binary classification.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include <xigrad/autodiff/matrix.hpp>
#include <xigrad/autodiff/parameter.hpp>
#include <xigrad/autodiff/tensor.hpp>
#include <xigrad/models/dataset.hpp>
#include <xigrad/models/losses.hpp>

namespace xi::models {

/// What a model predicts.
enum class Task {
  regression,  ///< a number; loss mse
  binary,      ///< class 1 vs class 0 from a logit; loss bce_with_logits
};

/// Hidden-layer activation of an MLP.
enum class Activation { relu, tanh, sigmoid };

/// Weight initialisation of an MLP (biases start at 0).
enum class Init {
  automatic,  ///< he for relu, xavier for tanh and sigmoid
  he,         ///< N(0, 2 / fan_in) (He et al. 2015)
  xavier,     ///< N(0, 2 / (fan_in + fan_out)) (Glorot and Bengio 2010, normal form)
};

/// Everything that determines a model before training: its kind, its sizes and how its
/// parameters start. make_model(spec) always builds the same model from the same spec.
struct ModelSpec {
  /// "linear" (linear regression), "logistic" (logistic regression), "neuron" (sigmoid(w·x + b)
  /// trained with BCE, starting from random weights, the lecture's first model) or "mlp".
  std::string kind = "logistic";
  std::size_t inputs = 0;                    ///< number of features d (at least 1)
  std::vector<std::size_t> hidden{};         ///< mlp: hidden layer sizes, e.g. {16, 16}
  Activation activation = Activation::relu;  ///< mlp: hidden activation
  Init init = Init::automatic;               ///< mlp (and neuron): weight initialisation
  std::uint64_t seed = 0;                    ///< random initialisation (neuron, mlp)
  Task task = Task::binary;  ///< mlp only (linear is regression, logistic and neuron binary)
};

/// The names make_model() accepts: "linear", "logistic", "neuron", "mlp".
std::vector<std::string_view> model_names();
std::string_view activation_name(Activation a) noexcept;
std::string_view init_name(Init i) noexcept;
/// Parses "relu", "tanh", "sigmoid"; throws xi::InputError listing them otherwise.
Activation parse_activation(std::string_view name);
/// Parses "auto", "he", "xavier"; throws xi::InputError listing them otherwise.
Init parse_init(std::string_view name);
/// Parses "16" or "32,16" (positive sizes, each at most limits::max_layer_size, at most
/// limits::max_hidden_layers of them); throws xi::InputError naming the bad item.
std::vector<std::size_t> parse_layer_sizes(std::string_view text);

class Model {
 public:
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelSpec& spec() const noexcept { return spec_; }
  std::string_view kind() const noexcept { return spec_.kind; }
  Task task() const noexcept { return task_; }
  /// mse for regression, bce_with_logits for binary classification.
  LossKind loss_kind() const noexcept {
    return task_ == Task::regression ? LossKind::mse : LossKind::bce_with_logits;
  }
  /// A description such as "logistic regression" or "MLP 3-16-16-1 (relu, he)".
  virtual std::string describe() const = 0;

  /// Every parameter, in a fixed order (the order checkpoints store them in).
  virtual std::vector<Parameter> parameters() const = 0;
  /// The parameters the L2 penalty applies to: the weights, not the biases.
  virtual std::vector<Parameter> weights() const = 0;
  /// Total number of scalar parameters.
  std::size_t numel() const;

  /// Records the outputs for a batch X (n, d) on the current tape: a vector (n).
  /// Throws xi::ShapeError if X does not have inputs() columns.
  virtual Tensor forward(const Tensor& X) const = 0;

  /// The mean data loss of `outputs` against targets y (mse or bce_with_logits).
  Var data_loss(const Tensor& outputs, const Tensor& y) const;
  /// The L2 penalty (l2 / 2)·Σ w² over weights(), recorded; a constant 0 when l2 is 0.
  Var penalty(double l2) const;
  /// What training minimises: data_loss(forward(X), y) + penalty(l2).
  Var objective(const Tensor& X, const Tensor& y, double l2 = 0.0) const;

  /// Outputs for every row of X as plain numbers (recorded on a private tape).
  Eigen::VectorXd predict(const Matrix& X) const;

  /// For models of the form X·w + b (linear, logistic, neuron): the weights and bias.
  virtual std::optional<LinearCoefficients> coefficients() const { return std::nullopt; }

  /// Copies values into the parameters (same order and sizes as parameters()).
  /// Throws xi::InputError naming the parameter whose size differs.
  void set_parameter_values(const std::vector<Matrix>& values);
  /// The parameters' values, in parameters() order.
  std::vector<Matrix> parameter_values() const;

 protected:
  Model(ModelSpec spec, Task task);
  /// Throws xi::ShapeError unless X is a matrix with inputs() columns.
  void check_input(const Tensor& X) const;

 private:
  ModelSpec spec_;
  Task task_;
};

/// z = X·w + b: linear regression ("linear", mse), logistic regression ("logistic", BCE) and the
/// single neuron ("neuron": σ(w·x + b) with BCE; its weights start random, the others' at 0).
class LinearModel final : public Model {
 public:
  /// Throws xi::InputError for an unknown kind or inputs = 0.
  explicit LinearModel(const ModelSpec& spec);

  std::string describe() const override;
  std::vector<Parameter> parameters() const override { return {w_, b_}; }
  std::vector<Parameter> weights() const override { return {w_}; }
  Tensor forward(const Tensor& X) const override;
  std::optional<LinearCoefficients> coefficients() const override;

  const Parameter& w() const noexcept { return w_; }
  const Parameter& b() const noexcept { return b_; }

  /// The lecture's per-example loss of a neuron written out as scalar operations, so that
  /// xi::explain(L) prints the ξ table of the slides (seeds/001):
  ///
  ///     ξ1 = W·(-X)      (W = (w, b), X = (x, 1): ξ1 = −WᵀX; ∂ξ1/∂W = -X)
  ///     ξ2 = exp(ξ1), ξ3 = 1 + ξ2, ξ4 = 1/ξ3 = p, ξ5 = log(ξ4),
  ///     ξ6 = 1 - ξ4, ξ7 = log(ξ6), ξ8 = L^A = -y·ξ5, ξ9 = L^B = -(1-y)·ξ7, L = ξ10 = ξ8 + ξ9
  ///
  /// -X, -y and -(1-y) are named constants (xi::named_constant), so they print by name.
  ///
  /// Records on the current tape with a fresh leaf "W" holding (w, b) (the parameters themselves
  /// are untouched). Throws xi::ShapeError if x has the wrong size.
  Var lecture_loss(const Eigen::VectorXd& x, double y) const;

 private:
  Parameter w_;
  Parameter b_;
};

/// A multi-layer perceptron: inputs → hidden layers (activation) → one output (linear), i.e.
/// h₀ = X, hₖ = act(hₖ₋₁·Wₖ + bₖ), output = h_L·W_{L+1} + b_{L+1}. Weights Wₖ (fan_in × fan_out)
/// start from the seeded initialisation, biases at 0.
class Mlp final : public Model {
 public:
  /// Throws xi::InputError if inputs = 0 or a hidden size is 0.
  explicit Mlp(const ModelSpec& spec);

  std::string describe() const override;
  std::vector<Parameter> parameters() const override;
  std::vector<Parameter> weights() const override { return W_; }
  Tensor forward(const Tensor& X) const override;

  /// Layer sizes including the inputs and the output, e.g. {3, 16, 16, 1}.
  std::vector<std::size_t> layer_sizes() const;
  /// The initialisation used (automatic resolved).
  Init init() const noexcept { return init_; }

 private:
  std::vector<Parameter> W_;
  std::vector<Parameter> b_;
  Init init_;
};

/// The number of scalar parameters the model of `spec` has, computed without building it. Throws
/// xi::InputError for an unknown kind, no inputs, a layer of size 0, or sizes beyond the bounds
/// of limits.hpp (a layer above max_layer_size, more than max_hidden_layers layers, more than
/// max_parameters parameters), naming the bound.
std::size_t parameter_count(const ModelSpec& spec);

/// Builds the model a spec describes (checked by parameter_count first, so that no absurd size
/// reaches an allocation). Throws xi::InputError for an unknown kind (listing the
/// known ones) or invalid sizes.
std::unique_ptr<Model> make_model(const ModelSpec& spec);

/// The least-squares fit y ≈ X·w + b by the normal equations, solved with Eigen's LDLT:
/// [X 1]ᵀ[X 1]·θ = [X 1]ᵀy, with n·l2/2 added to the weights' diagonal, so that it minimises
/// mean((X·w + b − y)²) + (l2/2)·|w|², the objective linear regression trains on. The
/// closed-form cross-check of linear regression. Throws xi::ShapeError if the sizes differ and
/// xi::InputError if X has no rows or the system is singular.
LinearCoefficients least_squares(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                 double l2 = 0.0);

}  // namespace xi::models
