// RMSprop: torch.optim.RMSprop's single-tensor update, element by element in the same order of
// operations.

#include <xigrad/optim/rmsprop.hpp>

#include <cmath>

namespace xi::optim {

namespace {
/// torch.lerp for doubles: start + w·(end − start), or end − (end − start)·(1 − w) when |w| ≥ 0.5.
inline double lerp(double start, double end, double w) {
  return std::abs(w) < 0.5 ? start + w * (end - start) : end - (end - start) * (1.0 - w);
}
}  // namespace

RMSprop::RMSprop(std::vector<Parameter> params, const RMSpropOptions& options)
    : Optimizer(std::move(params), options.lr), options_(options) {
  detail::require(std::isfinite(options.alpha) && options.alpha >= 0.0, "rmsprop", "alpha",
                  options.alpha, "it must be >= 0");
  detail::require(std::isfinite(options.eps) && options.eps >= 0.0, "rmsprop", "eps", options.eps,
                  "it must be >= 0");
  detail::require(std::isfinite(options.weight_decay) && options.weight_decay >= 0.0, "rmsprop",
                  "weight_decay", options.weight_decay, "it must be >= 0");
  detail::require(std::isfinite(options.momentum) && options.momentum >= 0.0, "rmsprop", "momentum",
                  options.momentum, "it must be >= 0");
  const auto n = static_cast<Eigen::Index>(numel());
  square_avg_ = Vector::Zero(n);
  if (options.centered) grad_avg_ = Vector::Zero(n);
  if (options.momentum > 0.0) momentum_buffer_ = Vector::Zero(n);
}

void RMSprop::step() {
  const double lr = this->lr();
  const double alpha = options_.alpha;
  const double one_minus_alpha = 1.0 - alpha;
  const double eps = options_.eps;
  const double wd = options_.weight_decay;
  const double mu = options_.momentum;
  const bool centered = options_.centered;
  std::size_t offset = 0;
  for (Parameter p : parameters()) {
    double* x = p.data();
    const double* grad = p.grad().data();
    double* sq = square_avg_.data() + offset;
    const std::size_t n = p.size();
    for (std::size_t i = 0; i < n; ++i) {
      double g = grad[i];
      if (wd != 0.0) g = g + wd * x[i];
      sq[i] = sq[i] * alpha + one_minus_alpha * g * g;  // mul_(alpha).addcmul_(g, g, 1 - alpha)
      double avg;
      if (centered) {
        double& ga = grad_avg_[static_cast<Eigen::Index>(offset + i)];
        ga = lerp(ga, g, one_minus_alpha);  // grad_avg.lerp_(grad, 1 - alpha)
        avg = std::sqrt(sq[i] + -1.0 * ga * ga) + eps;
      } else {
        avg = std::sqrt(sq[i]) + eps;
      }
      if (mu > 0.0) {
        double& b = momentum_buffer_[static_cast<Eigen::Index>(offset + i)];
        b = b * mu + g / avg;     // buf.mul_(momentum).addcdiv_(grad, avg)
        x[i] = x[i] + (-lr) * b;  // param.add_(buf, alpha=-lr)
      } else {
        x[i] = x[i] + (-lr) * g / avg;  // param.addcdiv_(grad, avg, value=-lr)
      }
    }
    offset += n;
  }
  count_step();
  clear_failure();
}

void RMSprop::save_buffers(OptimizerState& state) const {
  state.buffers["square_avg"].assign(square_avg_.begin(), square_avg_.end());
  if (options_.centered) state.buffers["grad_avg"].assign(grad_avg_.begin(), grad_avg_.end());
  if (options_.momentum > 0.0) {
    state.buffers["momentum_buffer"].assign(momentum_buffer_.begin(), momentum_buffer_.end());
  }
}

void RMSprop::load_buffers(const OptimizerState& state) {
  // Check every buffer before changing anything.
  const auto& sq = buffer(state, "square_avg", numel());
  const std::vector<double>* ga = options_.centered ? &buffer(state, "grad_avg", numel()) : nullptr;
  const std::vector<double>* mb =
      options_.momentum > 0.0 ? &buffer(state, "momentum_buffer", numel()) : nullptr;
  const auto n = static_cast<Eigen::Index>(numel());
  square_avg_ = ConstVectorMap(sq.data(), n);
  if (ga != nullptr) grad_avg_ = ConstVectorMap(ga->data(), n);
  if (mb != nullptr) momentum_buffer_ = ConstVectorMap(mb->data(), n);
}

}  // namespace xi::optim
