// Adam and AdamW: torch.optim.Adam's single-tensor update (decoupled weight decay for AdamW),
// element by element in the same order of operations.

#include <xigrad/optim/adam.hpp>

#include <algorithm>
#include <cmath>

namespace xi::optim {

namespace {

/// torch.lerp for doubles: start + w·(end − start), or end − (end − start)·(1 − w) when |w| ≥ 0.5.
inline double lerp(double start, double end, double w) {
  return std::abs(w) < 0.5 ? start + w * (end - start) : end - (end - start) * (1.0 - w);
}

struct AdamCoefficients {
  double one_minus_beta1, beta2, one_minus_beta2, eps, step_size, bc2_sqrt, wd, decay;
};

/// One parameter's update; the branches are template parameters so the loop stays tight.
template <bool kAmsgrad, bool kCoupledDecay, bool kDecoupledDecay>
void adam_kernel(std::size_t n, double* x, const double* grad, double* m, double* v, double* vmax,
                 const AdamCoefficients& c) {
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (kDecoupledDecay) x[i] = x[i] * c.decay;  // param.mul_(1 - lr * weight_decay)
    double g = grad[i];
    if constexpr (kCoupledDecay) g = g + c.wd * x[i];   // grad.add(param, alpha=weight_decay)
    m[i] = lerp(m[i], g, c.one_minus_beta1);            // exp_avg.lerp_(grad, 1 - beta1)
    v[i] = v[i] * c.beta2 + c.one_minus_beta2 * g * g;  // mul_(beta2).addcmul_(g, g, 1 - beta2)
    double denom;
    if constexpr (kAmsgrad) {
      vmax[i] = std::max(vmax[i], v[i]);
      denom = std::sqrt(vmax[i]) / c.bc2_sqrt + c.eps;
    } else {
      denom = std::sqrt(v[i]) / c.bc2_sqrt + c.eps;
    }
    x[i] = x[i] + (-c.step_size) * m[i] / denom;  // param.addcdiv_(exp_avg, denom, -step_size)
  }
}

}  // namespace

namespace detail {

AdamBase::AdamBase(std::vector<Parameter> params, const AdamOptions& options, bool decoupled,
                   const char* who)
    : Optimizer(std::move(params), options.lr), options_(options), decoupled_(decoupled) {
  const auto [beta1, beta2] = options.betas;
  require(beta1 >= 0.0 && beta1 < 1.0, who, "betas[0]", beta1, "it must be in [0, 1)");
  require(beta2 >= 0.0 && beta2 < 1.0, who, "betas[1]", beta2, "it must be in [0, 1)");
  require(std::isfinite(options.eps) && options.eps >= 0.0, who, "eps", options.eps,
          "it must be >= 0");
  require(std::isfinite(options.weight_decay) && options.weight_decay >= 0.0, who, "weight_decay",
          options.weight_decay, "it must be >= 0");
  const auto n = static_cast<Eigen::Index>(numel());
  exp_avg_ = Vector::Zero(n);
  exp_avg_sq_ = Vector::Zero(n);
  if (options.amsgrad) max_exp_avg_sq_ = Vector::Zero(n);
}

void AdamBase::step() {
  const auto [beta1, beta2] = options_.betas;
  const double t = static_cast<double>(steps() + 1);
  const double lr = this->lr();
  AdamCoefficients c{};
  c.one_minus_beta1 = 1.0 - beta1;
  c.beta2 = beta2;
  c.one_minus_beta2 = 1.0 - beta2;
  c.eps = options_.eps;
  c.step_size = lr / (1.0 - std::pow(beta1, t));
  c.bc2_sqrt = std::sqrt(1.0 - std::pow(beta2, t));
  c.wd = options_.weight_decay;
  c.decay = 1.0 - lr * options_.weight_decay;
  const bool has_decay = options_.weight_decay != 0.0;
  const bool coupled = has_decay && !decoupled_;
  const bool decoupled = has_decay && decoupled_;
  using Kernel = void (*)(std::size_t, double*, const double*, double*, double*, double*,
                          const AdamCoefficients&);
  Kernel kernel = nullptr;
  if (options_.amsgrad) {
    kernel = coupled     ? adam_kernel<true, true, false>
             : decoupled ? adam_kernel<true, false, true>
                         : adam_kernel<true, false, false>;
  } else {
    kernel = coupled     ? adam_kernel<false, true, false>
             : decoupled ? adam_kernel<false, false, true>
                         : adam_kernel<false, false, false>;
  }
  std::size_t offset = 0;
  for (Parameter p : parameters()) {
    const std::size_t n = p.size();
    kernel(n, p.data(), p.grad().data(), exp_avg_.data() + offset, exp_avg_sq_.data() + offset,
           options_.amsgrad ? max_exp_avg_sq_.data() + offset : nullptr, c);
    offset += n;
  }
  count_step();
  clear_failure();
}

void AdamBase::save_buffers(OptimizerState& state) const {
  state.buffers["exp_avg"].assign(exp_avg_.begin(), exp_avg_.end());
  state.buffers["exp_avg_sq"].assign(exp_avg_sq_.begin(), exp_avg_sq_.end());
  if (options_.amsgrad) {
    state.buffers["max_exp_avg_sq"].assign(max_exp_avg_sq_.begin(), max_exp_avg_sq_.end());
  }
}

void AdamBase::load_buffers(const OptimizerState& state) {
  // Check every buffer before changing anything.
  const auto& m = buffer(state, "exp_avg", numel());
  const auto& v = buffer(state, "exp_avg_sq", numel());
  const std::vector<double>* vmax =
      options_.amsgrad ? &buffer(state, "max_exp_avg_sq", numel()) : nullptr;
  const auto n = static_cast<Eigen::Index>(numel());
  exp_avg_ = ConstVectorMap(m.data(), n);
  exp_avg_sq_ = ConstVectorMap(v.data(), n);
  if (vmax != nullptr) max_exp_avg_sq_ = ConstVectorMap(vmax->data(), n);
}

}  // namespace detail

Adam::Adam(std::vector<Parameter> params, const AdamOptions& options)
    : AdamBase(std::move(params), options, false, "adam") {}

AdamW::AdamW(std::vector<Parameter> params, const AdamWOptions& options)
    : AdamBase(std::move(params),
               AdamOptions{options.lr, options.betas, options.eps, options.weight_decay,
                           options.amsgrad},
               true, "adamw") {}

}  // namespace xi::optim
