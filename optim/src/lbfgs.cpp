// L-BFGS: a line-by-line port of torch.optim.LBFGS.step and its _strong_wolfe /
// _cubic_interpolate helpers (themselves ported from Torch7's optim package), over flat Eigen
// vectors. Departures, all in cases where PyTorch would carry on with a non-finite or useless
// point: a non-finite loss in the line search counts as too large, and a line search that finds
// no acceptable point leaves the parameters unchanged and reports "line_search_failed".

#include <xigrad/optim/lbfgs.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>
#include <utility>

#include <xigrad/autodiff/error.hpp>

namespace xi::optim {

namespace detail {

double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         std::optional<std::pair<double, double>> bounds) {
  double xmin_bound = 0.0;
  double xmax_bound = 0.0;
  if (bounds) {
    std::tie(xmin_bound, xmax_bound) = *bounds;
  } else if (x1 <= x2) {
    xmin_bound = x1;
    xmax_bound = x2;
  } else {
    xmin_bound = x2;
    xmax_bound = x1;
  }
  // d1 = g1 + g2 - 3*(f1-f2)/(x1-x2); d2 = sqrt(d1^2 - g1*g2);
  // min_pos = x2 - (x2 - x1)*((g2 + d2 - d1)/(g2 - g1 + 2*d2)) (x2 the farther point)
  const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (d2_square >= 0) {
    const double d2 = std::sqrt(d2_square);
    double min_pos = 0.0;
    if (x1 <= x2) {
      min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
    } else {
      min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    }
    return std::min(std::max(min_pos, xmin_bound), xmax_bound);
  }
  return (xmin_bound + xmax_bound) / 2.0;
}

WolfeResult strong_wolfe(const std::function<std::pair<double, Vector>(double)>& obj, double t,
                         const Vector& d, double f, const Vector& g, double gtd, double c1,
                         double c2, double tolerance_change, int max_ls) {
  const double d_norm = d.cwiseAbs().maxCoeff();
  // evaluate objective and gradient using initial step
  auto first = obj(t);
  double f_new = first.first;
  Vector g_new = std::move(first.second);
  int ls_func_evals = 1;
  double gtd_new = g_new.dot(d);

  // bracket an interval containing a point satisfying the Wolfe criteria
  double t_prev = 0.0;
  double f_prev = f;
  Vector g_prev = g;
  double gtd_prev = gtd;
  bool done = false;
  int ls_iter = 0;
  std::array<double, 2> bracket{};
  std::array<double, 2> bracket_f{};
  std::array<Vector, 2> bracket_g{};
  std::array<double, 2> bracket_gtd{};
  int bracket_size = 0;  // 1 or 2 once set
  while (ls_iter < max_ls) {
    // check conditions (a non-finite loss counts as too large)
    if (!(f_new <= f + c1 * t * gtd) || (ls_iter > 1 && f_new >= f_prev)) {
      bracket = {t_prev, t};
      bracket_f = {f_prev, f_new};
      bracket_g = {g_prev, g_new};
      bracket_gtd = {gtd_prev, gtd_new};
      bracket_size = 2;
      break;
    }
    if (std::abs(gtd_new) <= -c2 * gtd) {
      bracket[0] = t;
      bracket_f[0] = f_new;
      bracket_g[0] = g_new;
      bracket_size = 1;
      done = true;
      break;
    }
    if (gtd_new >= 0) {
      bracket = {t_prev, t};
      bracket_f = {f_prev, f_new};
      bracket_g = {g_prev, g_new};
      bracket_gtd = {gtd_prev, gtd_new};
      bracket_size = 2;
      break;
    }
    // interpolate
    const double min_step = t + 0.01 * (t - t_prev);
    const double max_step = t * 10;
    const double tmp = t;
    t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                          std::pair{min_step, max_step});
    // next step
    t_prev = tmp;
    f_prev = f_new;
    g_prev = g_new;
    gtd_prev = gtd_new;
    std::tie(f_new, g_new) = obj(t);
    ++ls_func_evals;
    gtd_new = g_new.dot(d);
    ++ls_iter;
  }

  // reached max number of iterations?
  if (ls_iter == max_ls) {
    bracket = {0.0, t};
    bracket_f = {f, f_new};
    bracket_g = {g, g_new};
    bracket_size = 2;
  }

  // zoom phase: we now have a point satisfying the criteria, or a bracket around it. We refine
  // the bracket until we find the exact point satisfying the criteria.
  bool insuf_progress = false;
  // find high and low points in bracket (a one-point bracket compares the point with itself)
  const auto last_f = [&] { return bracket_f[static_cast<std::size_t>(bracket_size - 1)]; };
  std::size_t low_pos = bracket_f[0] <= last_f() ? 0 : 1;
  std::size_t high_pos = 1 - low_pos;
  while (!done && ls_iter < max_ls) {
    // line-search bracket is so small
    if (std::abs(bracket[1] - bracket[0]) * d_norm < tolerance_change) break;

    // compute new trial value
    t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1],
                          bracket_gtd[1]);

    // test that we are making sufficient progress: if t is so close to the boundary, mark it as
    // insufficient progress, and if we already made insufficient progress in the last step, or
    // t is at a boundary, move t to 0.1·len(bracket) away from the nearest boundary point.
    const double b_max = std::max(bracket[0], bracket[1]);
    const double b_min = std::min(bracket[0], bracket[1]);
    const double eps = 0.1 * (b_max - b_min);
    if (std::min(b_max - t, t - b_min) < eps) {
      // interpolation close to boundary
      if (insuf_progress || t >= b_max || t <= b_min) {
        // evaluate at 0.1 away from boundary
        t = std::abs(t - b_max) < std::abs(t - b_min) ? b_max - eps : b_min + eps;
        insuf_progress = false;
      } else {
        insuf_progress = true;
      }
    } else {
      insuf_progress = false;
    }

    // Evaluate new point
    std::tie(f_new, g_new) = obj(t);
    ++ls_func_evals;
    gtd_new = g_new.dot(d);
    ++ls_iter;

    if (!(f_new <= f + c1 * t * gtd) || !(f_new < bracket_f[low_pos])) {
      // Armijo condition not satisfied or not lower than lowest point
      bracket[high_pos] = t;
      bracket_f[high_pos] = f_new;
      bracket_g[high_pos] = g_new;
      bracket_gtd[high_pos] = gtd_new;
      low_pos = bracket_f[0] <= bracket_f[1] ? 0 : 1;
      high_pos = 1 - low_pos;
    } else {
      if (std::abs(gtd_new) <= -c2 * gtd) {
        // Wolfe conditions satisfied
        done = true;
      } else if (gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0) {
        // old high becomes new low
        bracket[high_pos] = bracket[low_pos];
        bracket_f[high_pos] = bracket_f[low_pos];
        bracket_g[high_pos] = bracket_g[low_pos];
        bracket_gtd[high_pos] = bracket_gtd[low_pos];
      }
      // new point becomes new low
      bracket[low_pos] = t;
      bracket_f[low_pos] = f_new;
      bracket_g[low_pos] = g_new;
      bracket_gtd[low_pos] = gtd_new;
    }
  }

  // return stuff
  WolfeResult r;
  r.t = bracket[low_pos];
  r.f = bracket_f[low_pos];
  r.g = std::move(bracket_g[low_pos]);
  r.evals = ls_func_evals;
  // Acceptable: a finite point away from 0 with sufficient decrease (or at least a decrease: the
  // zoom can end on a point that lowers the loss without passing the Armijo test).
  r.ok = std::isfinite(r.f) && std::isfinite(r.t) && r.t != 0.0 && r.g.allFinite() &&
         (r.f <= f + c1 * r.t * gtd || r.f < f);
  return r;
}

}  // namespace detail

LBFGS::LBFGS(std::vector<Parameter> params, const LBFGSOptions& options)
    : Optimizer(std::move(params), options.lr),
      options_(options),
      max_eval_(options.max_eval.value_or(options.max_iter * 5 / 4)) {
  detail::require(options.max_iter >= 1, "lbfgs", "max_iter", options.max_iter, "it must be >= 1");
  detail::require(max_eval_ >= 1, "lbfgs", "max_eval", max_eval_, "it must be >= 1");
  detail::require(options.history_size >= 1, "lbfgs", "history_size", options.history_size,
                  "it must be >= 1");
  detail::require(options.tolerance_grad >= 0.0, "lbfgs", "tolerance_grad", options.tolerance_grad,
                  "it must be >= 0");
  detail::require(options.tolerance_change >= 0.0, "lbfgs", "tolerance_change",
                  options.tolerance_change, "it must be >= 0");
}

void LBFGS::step() {
  throw Error(
      "lbfgs: step() needs a closure that re-evaluates the loss and gradient; call "
      "step(closure)");
}

Vector LBFGS::gather_flat_grad() const {
  Vector g(static_cast<Eigen::Index>(numel()));
  Eigen::Index offset = 0;
  for (const Parameter& p : parameters()) {
    const auto n = static_cast<Eigen::Index>(p.size());
    g.segment(offset, n) = ConstVectorMap(p.grad().data(), n);
    offset += n;
  }
  return g;
}

void LBFGS::add_grad(double t, const Vector& d) {
  Eigen::Index offset = 0;
  for (Parameter p : parameters()) {
    const auto n = static_cast<Eigen::Index>(p.size());
    double* x = p.data();
    for (Eigen::Index i = 0; i < n; ++i) x[i] = x[i] + t * d[offset + i];  // p.add_(d, alpha=t)
    offset += n;
  }
}

Vector LBFGS::flat_params() const {
  Vector x(static_cast<Eigen::Index>(numel()));
  Eigen::Index offset = 0;
  for (const Parameter& p : parameters()) {
    const auto n = static_cast<Eigen::Index>(p.size());
    x.segment(offset, n) = ConstVectorMap(p.data(), n);
    offset += n;
  }
  return x;
}

void LBFGS::set_flat_params(const Vector& x) {
  Eigen::Index offset = 0;
  for (Parameter p : parameters()) {
    const auto n = static_cast<Eigen::Index>(p.size());
    VectorMap(p.data(), n) = x.segment(offset, n);
    offset += n;
  }
}

double LBFGS::step(const Closure& closure) {
  clear_failure();
  count_step();
  const double lr = this->lr();
  const int max_iter = options_.max_iter;
  const double tolerance_grad = options_.tolerance_grad;
  const double tolerance_change = options_.tolerance_change;
  const auto history_size = static_cast<std::size_t>(options_.history_size);

  // evaluate initial f(x) and df/dx
  const double orig_loss = closure();
  double loss = orig_loss;
  int current_evals = 1;
  ++func_evals_;

  Vector flat_grad = gather_flat_grad();
  bool opt_cond = flat_grad.cwiseAbs().maxCoeff() <= tolerance_grad;

  // optimal condition
  if (opt_cond) {
    last_stop_ = "gradient_tolerance";
    return orig_loss;
  }

  std::vector<double> al(history_size);
  int n_iter = 0;
  last_stop_ = "max_iter";
  // optimize for a max of max_iter iterations
  while (n_iter < max_iter) {
    // keep track of nb of iterations
    ++n_iter;
    ++n_iter_;

    // compute gradient descent direction
    if (n_iter_ == 1) {
      d_ = -flat_grad;
      old_dirs_.clear();
      old_stps_.clear();
      ro_.clear();
      H_diag_ = 1;
    } else {
      // do lbfgs update (update memory)
      const Vector y = flat_grad - prev_flat_grad_;
      const Vector s = d_ * t_;
      const double ys = y.dot(s);  // y*s
      if (ys > 1e-10) {
        // updating memory
        if (old_dirs_.size() == history_size) {
          // shift history by one (limited-memory)
          old_dirs_.erase(old_dirs_.begin());
          old_stps_.erase(old_stps_.begin());
          ro_.erase(ro_.begin());
        }
        // store new direction/step
        old_dirs_.push_back(y);
        old_stps_.push_back(s);
        ro_.push_back(1.0 / ys);
        // update scale of initial Hessian approximation
        H_diag_ = ys / y.dot(y);  // (y*y)
      }

      // compute the approximate (L-BFGS) inverse Hessian multiplied by the gradient
      const std::size_t num_old = old_dirs_.size();
      // iteration in L-BFGS loop collapsed to use just one buffer
      Vector q = -flat_grad;
      for (std::size_t i = num_old; i-- > 0;) {
        al[i] = old_stps_[i].dot(q) * ro_[i];
        q += -al[i] * old_dirs_[i];  // q.add_(old_dirs[i], alpha=-al[i])
      }
      // multiply by initial Hessian; r/d is the final direction
      Vector r = q * H_diag_;
      for (std::size_t i = 0; i < num_old; ++i) {
        const double be_i = old_dirs_[i].dot(r) * ro_[i];
        r += (al[i] - be_i) * old_stps_[i];  // r.add_(old_stps[i], alpha=al[i] - be_i)
      }
      d_ = std::move(r);
    }

    prev_flat_grad_ = flat_grad;
    prev_loss_ = loss;

    // compute step length: reset initial guess for step size
    t_ = n_iter_ == 1 ? std::min(1.0, 1.0 / flat_grad.cwiseAbs().sum()) * lr : lr;

    // directional derivative
    const double gtd = flat_grad.dot(d_);  // g * d

    // directional derivative is below tolerance
    if (gtd > -tolerance_change) {
      last_stop_ = "directional_derivative";
      break;
    }

    int ls_func_evals = 0;
    if (options_.line_search == LineSearch::strong_wolfe) {
      const Vector x_init = flat_params();
      const auto obj_func = [&](double t) {
        add_grad(t, d_);
        const double f = closure();
        Vector g = gather_flat_grad();
        set_flat_params(x_init);
        return std::pair<double, Vector>(f, std::move(g));
      };
      detail::WolfeResult ls = detail::strong_wolfe(obj_func, t_, d_, loss, flat_grad, gtd, 1e-4,
                                                    0.9, tolerance_change, 25);
      ls_func_evals = ls.evals;
      current_evals += ls_func_evals;
      func_evals_ += ls_func_evals;
      if (!ls.ok) {
        // Stay at x (the closure last ran elsewhere: restore the gradient of x too).
        set_flat_params(x_init);
        Eigen::Index offset = 0;
        for (Parameter p : parameters()) {
          const auto n = static_cast<Eigen::Index>(p.size());
          VectorMap(p.grad().data(), n) = flat_grad.segment(offset, n);
          offset += n;
        }
        t_ = 0.0;
        set_failure("line_search_failed");
        last_stop_ = "line_search_failed";
        break;
      }
      loss = ls.f;
      flat_grad = std::move(ls.g);
      t_ = ls.t;
      add_grad(t_, d_);
      opt_cond = flat_grad.cwiseAbs().maxCoeff() <= tolerance_grad;
    } else {
      // no line search, simply move with fixed-step
      add_grad(t_, d_);
      if (n_iter != max_iter) {
        // re-evaluate function only if not in last iteration
        loss = closure();
        flat_grad = gather_flat_grad();
        opt_cond = flat_grad.cwiseAbs().maxCoeff() <= tolerance_grad;
        ls_func_evals = 1;
      }
      current_evals += ls_func_evals;
      func_evals_ += ls_func_evals;
    }

    // check conditions
    if (n_iter == max_iter) {
      last_stop_ = "max_iter";
      break;
    }
    if (current_evals >= max_eval_) {
      last_stop_ = "max_eval";
      break;
    }
    // optimal condition
    if (opt_cond) {
      last_stop_ = "gradient_tolerance";
      break;
    }
    // lack of progress
    if ((d_ * t_).cwiseAbs().maxCoeff() <= tolerance_change) {
      last_stop_ = "step_tolerance";
      break;
    }
    if (std::abs(loss - prev_loss_) < tolerance_change) {
      last_stop_ = "loss_change";
      break;
    }
  }
  return orig_loss;
}

namespace {
std::vector<double> concat(const std::vector<Vector>& vs) {
  std::vector<double> out;
  for (const Vector& v : vs) out.insert(out.end(), v.begin(), v.end());
  return out;
}
}  // namespace

void LBFGS::save_buffers(OptimizerState& state) const {
  auto& b = state.buffers;
  b["func_evals"] = {static_cast<double>(func_evals_)};
  b["n_iter"] = {static_cast<double>(n_iter_)};
  if (n_iter_ == 0) return;
  b["d"].assign(d_.begin(), d_.end());
  b["t"] = {t_};
  b["old_dirs"] = concat(old_dirs_);
  b["old_stps"] = concat(old_stps_);
  b["ro"] = ro_;
  b["H_diag"] = {H_diag_};
  b["prev_flat_grad"].assign(prev_flat_grad_.begin(), prev_flat_grad_.end());
  b["prev_loss"] = {prev_loss_};
}

void LBFGS::load_buffers(const OptimizerState& state) {
  const auto func_evals = static_cast<long>(count_buffer(state, "func_evals"));
  const auto n_iter = static_cast<long>(count_buffer(state, "n_iter"));
  const std::size_t n = numel();
  if (n_iter == 0) {
    func_evals_ = func_evals;
    n_iter_ = 0;
    return;
  }
  const auto& ro = state.buffers.count("ro") != 0 ? state.buffers.at("ro") : std::vector<double>{};
  const std::size_t k = ro.size();
  if (k > static_cast<std::size_t>(options_.history_size)) {
    throw InputError(
        fmt::format("optimizer state of 'lbfgs': {} stored pairs exceed history_size {}", k,
                    options_.history_size));
  }
  const auto& d = buffer(state, "d", n);
  const auto& dirs = buffer(state, "old_dirs", k * n);
  const auto& stps = buffer(state, "old_stps", k * n);
  const auto& pg = buffer(state, "prev_flat_grad", n);
  const double t = buffer(state, "t", 1)[0];
  const double h = buffer(state, "H_diag", 1)[0];
  const double prev_loss = buffer(state, "prev_loss", 1)[0];
  const auto len = static_cast<Eigen::Index>(n);
  func_evals_ = func_evals;
  n_iter_ = n_iter;
  d_ = ConstVectorMap(d.data(), len);
  t_ = t;
  old_dirs_.clear();
  old_stps_.clear();
  for (std::size_t i = 0; i < k; ++i) {
    old_dirs_.emplace_back(ConstVectorMap(dirs.data() + i * n, len));
    old_stps_.emplace_back(ConstVectorMap(stps.data() + i * n, len));
  }
  ro_ = ro;
  H_diag_ = h;
  prev_flat_grad_ = ConstVectorMap(pg.data(), len);
  prev_loss_ = prev_loss;
}

}  // namespace xi::optim
