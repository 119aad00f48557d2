#pragma once
// Every optimizer, and a factory that makes one by name (for the command line and minimize).
//
//   auto opt = xi::optim::make_optimizer("adam", {w}, {.lr = 0.01});

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <xigrad/autodiff/grad.hpp>
#include <xigrad/optim/adagrad.hpp>
#include <xigrad/optim/adam.hpp>
#include <xigrad/optim/lbfgs.hpp>
#include <xigrad/optim/newton.hpp>
#include <xigrad/optim/optimizer.hpp>
#include <xigrad/optim/rmsprop.hpp>
#include <xigrad/optim/sgd.hpp>

namespace xi::optim {

/// Hyper-parameters by name for make_optimizer(). Unset fields take the optimizer's default
/// (PyTorch's); a field the chosen optimizer does not have is an error.
struct HyperParameters {
  std::optional<double> lr{};
  // SGD
  std::optional<double> momentum{};  ///< also RMSprop
  std::optional<double> dampening{};
  std::optional<bool> nesterov{};
  // shared
  std::optional<double> weight_decay{};  ///< SGD, Adagrad, RMSprop, Adam, AdamW
  std::optional<double> eps{};           ///< Adagrad, RMSprop, Adam, AdamW
  // Adam, AdamW
  std::optional<std::pair<double, double>> betas{};
  std::optional<bool> amsgrad{};
  // RMSprop
  std::optional<double> alpha{};
  std::optional<bool> centered{};
  // Adagrad
  std::optional<double> lr_decay{};
  std::optional<double> initial_accumulator_value{};
  // L-BFGS
  std::optional<int> max_iter{};
  std::optional<int> max_eval{};
  std::optional<double> tolerance_grad{};
  std::optional<double> tolerance_change{};
  std::optional<int> history_size{};
  std::optional<LineSearch> line_search{};
  // Newton
  std::optional<double> damping{};
};

/// The names make_optimizer() accepts, in the order the documentation lists them:
/// "gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "lbfgs", "newton".
std::span<const std::string_view> optimizer_names() noexcept;

/// Makes an optimizer by name over `params`:
///
/// | name       | optimizer                                                  |
/// |------------|------------------------------------------------------------|
/// | "gd"       | SGD without momentum (plain gradient descent)              |
/// | "sgd"      | SGD (momentum, dampening, nesterov, weight_decay allowed)  |
/// | "momentum" | SGD with momentum (default 0.9)                            |
/// | "nesterov" | SGD with Nesterov momentum (default 0.9)                   |
/// | "adagrad"  | Adagrad                                                    |
/// | "rmsprop"  | RMSprop                                                    |
/// | "adam"     | Adam                                                       |
/// | "adamw"    | AdamW                                                      |
/// | "lbfgs"    | L-BFGS (strong-Wolfe line search)                          |
/// | "newton"   | Newton (needs `objective`, a function of the flattened      |
/// |            | parameter vector)                                          |
///
/// Throws xi::InputError for an unknown name (listing the known ones), a hyper-parameter the
/// optimizer does not take (naming both), an invalid value, or "newton" without an objective.
std::unique_ptr<Optimizer> make_optimizer(std::string_view name, std::vector<Parameter> params,
                                          const HyperParameters& hyper = {},
                                          const ScalarFunction& objective = {});

}  // namespace xi::optim
