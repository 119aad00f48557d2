// make_optimizer: optimizers by name with hyper-parameters by name (for the command line and
// minimize).

#include <xigrad/optim/optimizers.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <initializer_list>
#include <string>

#include <xigrad/autodiff/error.hpp>

namespace xi::optim {

namespace {

constexpr std::array<std::string_view, 10> kNames = {
    "gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "lbfgs", "newton"};

/// The names of the fields set in `h`, in declaration order.
std::vector<std::string_view> set_fields(const HyperParameters& h) {
  std::vector<std::string_view> out;
  const auto add = [&](bool set, std::string_view name) {
    if (set) out.push_back(name);
  };
  add(h.lr.has_value(), "lr");
  add(h.momentum.has_value(), "momentum");
  add(h.dampening.has_value(), "dampening");
  add(h.nesterov.has_value(), "nesterov");
  add(h.weight_decay.has_value(), "weight_decay");
  add(h.eps.has_value(), "eps");
  add(h.betas.has_value(), "betas");
  add(h.amsgrad.has_value(), "amsgrad");
  add(h.alpha.has_value(), "alpha");
  add(h.centered.has_value(), "centered");
  add(h.lr_decay.has_value(), "lr_decay");
  add(h.initial_accumulator_value.has_value(), "initial_accumulator_value");
  add(h.max_iter.has_value(), "max_iter");
  add(h.max_eval.has_value(), "max_eval");
  add(h.tolerance_grad.has_value(), "tolerance_grad");
  add(h.tolerance_change.has_value(), "tolerance_change");
  add(h.history_size.has_value(), "history_size");
  add(h.line_search.has_value(), "line_search");
  add(h.damping.has_value(), "damping");
  return out;
}

/// Throws if `h` sets a field that `name` does not take.
void check_fields(std::string_view name, const HyperParameters& h,
                  std::initializer_list<std::string_view> allowed) {
  for (std::string_view field : set_fields(h)) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || a == field;
    if (!ok) {
      throw InputError(fmt::format("optimizer '{}' has no hyper-parameter '{}' (it takes: {})",
                                   name, field, fmt::join(allowed, ", ")));
    }
  }
}

}  // namespace

std::span<const std::string_view> optimizer_names() noexcept {
  return kNames;
}

std::unique_ptr<Optimizer> make_optimizer(std::string_view name, std::vector<Parameter> params,
                                          const HyperParameters& h,
                                          const ScalarFunction& objective) {
  if (name == "gd" || name == "sgd" || name == "momentum" || name == "nesterov") {
    SGDOptions o;
    if (name == "gd") {
      check_fields(name, h, {"lr", "weight_decay"});
    } else if (name == "sgd") {
      check_fields(name, h, {"lr", "momentum", "dampening", "nesterov", "weight_decay"});
    } else {
      check_fields(name, h, {"lr", "momentum", "dampening", "weight_decay"});
      o.momentum = 0.9;
      o.nesterov = name == "nesterov";
    }
    o.lr = h.lr.value_or(o.lr);
    o.momentum = h.momentum.value_or(o.momentum);
    o.dampening = h.dampening.value_or(o.dampening);
    o.nesterov = h.nesterov.value_or(o.nesterov);
    o.weight_decay = h.weight_decay.value_or(o.weight_decay);
    return std::make_unique<SGD>(std::move(params), o);
  }
  if (name == "adagrad") {
    check_fields(name, h, {"lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"});
    AdagradOptions o;
    o.lr = h.lr.value_or(o.lr);
    o.lr_decay = h.lr_decay.value_or(o.lr_decay);
    o.weight_decay = h.weight_decay.value_or(o.weight_decay);
    o.initial_accumulator_value = h.initial_accumulator_value.value_or(o.initial_accumulator_value);
    o.eps = h.eps.value_or(o.eps);
    return std::make_unique<Adagrad>(std::move(params), o);
  }
  if (name == "rmsprop") {
    check_fields(name, h, {"lr", "alpha", "eps", "weight_decay", "momentum", "centered"});
    RMSpropOptions o;
    o.lr = h.lr.value_or(o.lr);
    o.alpha = h.alpha.value_or(o.alpha);
    o.eps = h.eps.value_or(o.eps);
    o.weight_decay = h.weight_decay.value_or(o.weight_decay);
    o.momentum = h.momentum.value_or(o.momentum);
    o.centered = h.centered.value_or(o.centered);
    return std::make_unique<RMSprop>(std::move(params), o);
  }
  if (name == "adam" || name == "adamw") {
    check_fields(name, h, {"lr", "betas", "eps", "weight_decay", "amsgrad"});
    if (name == "adam") {
      AdamOptions o;
      o.lr = h.lr.value_or(o.lr);
      o.betas = h.betas.value_or(o.betas);
      o.eps = h.eps.value_or(o.eps);
      o.weight_decay = h.weight_decay.value_or(o.weight_decay);
      o.amsgrad = h.amsgrad.value_or(o.amsgrad);
      return std::make_unique<Adam>(std::move(params), o);
    }
    AdamWOptions o;
    o.lr = h.lr.value_or(o.lr);
    o.betas = h.betas.value_or(o.betas);
    o.eps = h.eps.value_or(o.eps);
    o.weight_decay = h.weight_decay.value_or(o.weight_decay);
    o.amsgrad = h.amsgrad.value_or(o.amsgrad);
    return std::make_unique<AdamW>(std::move(params), o);
  }
  if (name == "lbfgs") {
    check_fields(name, h,
                 {"lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change",
                  "history_size", "line_search"});
    LBFGSOptions o;
    o.lr = h.lr.value_or(o.lr);
    o.max_iter = h.max_iter.value_or(o.max_iter);
    o.max_eval = h.max_eval ? h.max_eval : o.max_eval;
    o.tolerance_grad = h.tolerance_grad.value_or(o.tolerance_grad);
    o.tolerance_change = h.tolerance_change.value_or(o.tolerance_change);
    o.history_size = h.history_size.value_or(o.history_size);
    o.line_search = h.line_search.value_or(o.line_search);
    return std::make_unique<LBFGS>(std::move(params), o);
  }
  if (name == "newton") {
    check_fields(name, h, {"lr", "damping"});
    if (!objective) {
      throw InputError("optimizer 'newton' needs the objective function (for the Hessian)");
    }
    NewtonOptions o;
    o.lr = h.lr.value_or(o.lr);
    o.damping = h.damping.value_or(o.damping);
    return std::make_unique<Newton>(std::move(params), objective, o);
  }
  throw InputError(
      fmt::format("unknown optimizer '{}' (known: {})", name, fmt::join(kNames, ", ")));
}

}  // namespace xi::optim
