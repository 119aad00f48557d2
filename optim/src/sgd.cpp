// SGD: torch.optim.SGD's single-tensor update, element by element in the same order of
// operations.

#include <xigrad/optim/sgd.hpp>

#include <cmath>

namespace xi::optim {

SGD::SGD(std::vector<Parameter> params, const SGDOptions& options)
    : Optimizer(std::move(params), options.lr), options_(options) {
  detail::require(std::isfinite(options.momentum) && options.momentum >= 0.0, "sgd", "momentum",
                  options.momentum, "it must be >= 0");
  detail::require(std::isfinite(options.dampening), "sgd", "dampening", options.dampening,
                  "it must be finite");
  detail::require(std::isfinite(options.weight_decay) && options.weight_decay >= 0.0, "sgd",
                  "weight_decay", options.weight_decay, "it must be >= 0");
  if (options.nesterov) {
    detail::require(options.momentum > 0.0, "sgd", "momentum", options.momentum,
                    "Nesterov momentum needs momentum > 0");
    detail::require(options.dampening == 0.0, "sgd", "dampening", options.dampening,
                    "Nesterov momentum needs zero dampening");
  }
}

void SGD::step() {
  const double lr = this->lr();
  const double wd = options_.weight_decay;
  const double mu = options_.momentum;
  const double one_minus_dampening = 1.0 - options_.dampening;
  const bool use_momentum = mu != 0.0;
  const bool first = use_momentum && momentum_buffer_.size() == 0;
  if (first) momentum_buffer_.resize(static_cast<Eigen::Index>(numel()));
  std::size_t offset = 0;
  for (Parameter p : parameters()) {
    double* x = p.data();
    const double* grad = p.grad().data();
    double* buf = use_momentum ? momentum_buffer_.data() + offset : nullptr;
    const std::size_t n = p.size();
    for (std::size_t i = 0; i < n; ++i) {
      double g = grad[i];
      if (wd != 0.0) g = g + wd * x[i];  // grad.add(param, alpha=weight_decay)
      if (use_momentum) {
        // buf = clone(grad), then buf.mul_(momentum).add_(grad, alpha=1 - dampening)
        buf[i] = first ? g : buf[i] * mu + one_minus_dampening * g;
        g = options_.nesterov ? g + mu * buf[i] : buf[i];
      }
      x[i] = x[i] + (-lr) * g;  // param.add_(grad, alpha=-lr)
    }
    offset += n;
  }
  count_step();
  clear_failure();
}

void SGD::save_buffers(OptimizerState& state) const {
  if (momentum_buffer_.size() != 0) {
    state.buffers["momentum_buffer"].assign(momentum_buffer_.begin(), momentum_buffer_.end());
  }
}

void SGD::load_buffers(const OptimizerState& state) {
  if (has_buffer(state, "momentum_buffer")) {
    const auto& b = buffer(state, "momentum_buffer", numel());
    momentum_buffer_ = ConstVectorMap(b.data(), static_cast<Eigen::Index>(b.size()));
  } else {
    momentum_buffer_.resize(0);
  }
}

}  // namespace xi::optim
