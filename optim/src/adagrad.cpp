// Adagrad: torch.optim.Adagrad's single-tensor update, element by element in the same order of
// operations.

#include <xigrad/optim/adagrad.hpp>

#include <cmath>

namespace xi::optim {

Adagrad::Adagrad(std::vector<Parameter> params, const AdagradOptions& options)
    : Optimizer(std::move(params), options.lr), options_(options) {
  detail::require(std::isfinite(options.lr_decay) && options.lr_decay >= 0.0, "adagrad", "lr_decay",
                  options.lr_decay, "it must be >= 0");
  detail::require(std::isfinite(options.weight_decay) && options.weight_decay >= 0.0, "adagrad",
                  "weight_decay", options.weight_decay, "it must be >= 0");
  detail::require(
      std::isfinite(options.initial_accumulator_value) && options.initial_accumulator_value >= 0.0,
      "adagrad", "initial_accumulator_value", options.initial_accumulator_value, "it must be >= 0");
  detail::require(std::isfinite(options.eps) && options.eps >= 0.0, "adagrad", "eps", options.eps,
                  "it must be >= 0");
  sum_ = Vector::Constant(static_cast<Eigen::Index>(numel()), options.initial_accumulator_value);
}

void Adagrad::step() {
  const double t = static_cast<double>(steps() + 1);
  const double clr = lr() / (1.0 + (t - 1.0) * options_.lr_decay);
  const double wd = options_.weight_decay;
  const double eps = options_.eps;
  std::size_t offset = 0;
  for (Parameter p : parameters()) {
    double* x = p.data();
    const double* grad = p.grad().data();
    double* sum = sum_.data() + offset;
    const std::size_t n = p.size();
    for (std::size_t i = 0; i < n; ++i) {
      double g = grad[i];
      if (wd != 0.0) g = g + wd * x[i];
      sum[i] = sum[i] + g * g;  // state_sum.addcmul_(grad, grad, value=1)
      const double std = std::sqrt(sum[i]) + eps;
      x[i] = x[i] + (-clr) * g / std;  // param.addcdiv_(grad, std, value=-clr)
    }
    offset += n;
  }
  count_step();
  clear_failure();
}

void Adagrad::save_buffers(OptimizerState& state) const {
  state.buffers["sum"].assign(sum_.begin(), sum_.end());
}

void Adagrad::load_buffers(const OptimizerState& state) {
  const auto& b = buffer(state, "sum", numel());
  sum_ = ConstVectorMap(b.data(), static_cast<Eigen::Index>(b.size()));
}

}  // namespace xi::optim
