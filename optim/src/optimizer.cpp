// The optimizer base class (parameters, learning rate, state save/restore) and gradient
// clipping.

#include <xigrad/optim/optimizer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include <xigrad/autodiff/error.hpp>

namespace xi::optim {

namespace detail {
void require(bool ok, std::string_view who, std::string_view name, double value,
             std::string_view requirement) {
  if (!ok) {
    throw InputError(fmt::format("{}: {} = {} is invalid ({})", who, name, value, requirement));
  }
}
}  // namespace detail

Optimizer::Optimizer(std::vector<Parameter> params, double lr) : params_(std::move(params)) {
  detail::require(std::isfinite(lr) && lr >= 0.0, "optimizer", "lr", lr,
                  "it must be finite and >= 0");
  lr_ = lr;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (params_[i].same_as(params_[j])) {
        throw InputError(
            fmt::format("optimizer: parameter {} ('{}') appears twice in the parameter list", i,
                        params_[i].name()));
      }
    }
    numel_ += params_[i].size();
  }
}

double Optimizer::step(const Closure& closure) {
  const double loss = closure();
  step();
  return loss;
}

void Optimizer::zero_grad() noexcept {
  for (Parameter& p : params_) p.zero_grad();
}

void Optimizer::set_lr(double lr) {
  detail::require(std::isfinite(lr) && lr >= 0.0, name(), "lr", lr, "it must be finite and >= 0");
  lr_ = lr;
}

OptimizerState Optimizer::state() const {
  OptimizerState s;
  s.name = std::string(name());
  s.step = step_;
  s.buffers["lr"] = {lr_};
  save_buffers(s);
  return s;
}

void Optimizer::load_state(const OptimizerState& state) {
  if (state.name != name()) {
    throw InputError(
        fmt::format("{}: cannot load the state of optimizer '{}'", name(), state.name));
  }
  const double lr = buffer(state, "lr", 1)[0];
  detail::require(std::isfinite(lr) && lr >= 0.0, name(), "lr (in the saved state)", lr,
                  "it must be finite and >= 0");
  for (const auto& [key, values] : state.buffers) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!std::isfinite(values[i])) {
        throw InputError(fmt::format(
            "optimizer state of '{}': the buffer '{}' holds a non-finite value ({} at index {})",
            state.name, key, values[i], i));
      }
    }
  }
  load_buffers(state);
  lr_ = lr;
  step_ = state.step;
  failure_.clear();
}

const std::vector<double>& Optimizer::buffer(const OptimizerState& state, const std::string& key,
                                             std::size_t size) {
  const auto it = state.buffers.find(key);
  if (it == state.buffers.end()) {
    throw InputError(
        fmt::format("optimizer state of '{}': the buffer '{}' is missing", state.name, key));
  }
  if (it->second.size() != size) {
    throw InputError(
        fmt::format("optimizer state of '{}': the buffer '{}' has {} values, expected {}",
                    state.name, key, it->second.size(), size));
  }
  return it->second;
}

std::uint64_t Optimizer::count_buffer(const OptimizerState& state, const std::string& key) {
  constexpr double kMaxExact = 9007199254740992.0;  // 2^53
  const double v = buffer(state, key, 1)[0];
  if (!(v >= 0.0 && v <= kMaxExact && v == std::floor(v))) {
    throw InputError(fmt::format(
        "optimizer state of '{}': the buffer '{}' holds {}, which is not a count (a whole number "
        "from 0 to 2^53)",
        state.name, key, v));
  }
  return static_cast<std::uint64_t>(v);
}

double grad_norm(std::span<const Parameter> params) {
  double sum = 0.0;
  for (const Parameter& p : params) sum += p.grad().squaredNorm();
  return std::sqrt(sum);
}

double clip_grad_norm(std::span<const Parameter> params, double max_norm) {
  detail::require(max_norm > 0.0, "clip_grad_norm", "max_norm", max_norm, "it must be > 0");
  // The norm of the per-parameter norms, as torch.nn.utils.clip_grad_norm_ computes it.
  double sum = 0.0;
  for (const Parameter& p : params) {
    const double n = p.grad().norm();
    sum += n * n;
  }
  const double total = std::sqrt(sum);
  const double coef = std::min(max_norm / (total + 1e-6), 1.0);
  if (coef < 1.0) {
    for (Parameter p : params) p.grad() *= coef;  // a handle: scales the shared gradient
  }
  return total;
}

void clip_grad_value(std::span<const Parameter> params, double clip_value) {
  detail::require(clip_value > 0.0, "clip_grad_value", "clip_value", clip_value, "it must be > 0");
  for (Parameter p : params) p.grad() = p.grad().cwiseMax(-clip_value).cwiseMin(clip_value);
}

}  // namespace xi::optim
