// Gradient checking against finite differences: the whole gradient (check_gradient) and every
// recorded node's own rule (check_nodes).
//
// Both estimate each derivative the same careful way, since inputs near a pole or a kink are
// common (log at 1e-7, relu at 0): central differences at h and h/2 combined by Richardson
// extrapolation, the step shrunk until f is finite on both sides and the two agree, and a kink
// recognised by its one-sided slopes not converging as h shrinks. check_gradient starts from
// hᵢ = step_scale·|xᵢ| (step_scale at 0), so a step never reaches a pole or the edge of the
// domain at 0 (log, sqrt, 1/x at 1e-12 are checked to full accuracy).
// A node on a kink is reported as not checkable (max_rel_error is NaN), never as wrong.

#include <xigrad/autodiff/check.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include <xigrad/autodiff/explain.hpp>

namespace xi {
namespace detail {
// Defined in explain.cpp.
std::string text_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows, std::string_view align);
}  // namespace detail

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string num(double v) {
  return std::isnan(v) ? "nan" : fmt::format("{:.9g}", v);
}
std::string err(double v) {
  return std::isnan(v) ? "nan" : fmt::format("{:.2e}", v);
}

// |a − b| against tolerance rel_tol·max(|a|, |b|, abs_floor) + noise; NaN never passes.
struct Comparison {
  double abs_error = 0;
  double rel_error = 0;
  bool ok = true;
};
Comparison compare(double a, double b, const CheckOptions& o, double noise) {
  Comparison c;
  c.abs_error = std::abs(a - b);
  const double scale = std::max({std::abs(a), std::abs(b), o.abs_floor});
  c.rel_error = c.abs_error / scale;
  c.ok = c.abs_error <= o.rel_tol * scale + noise;
  return c;
}

// A derivative estimate of a function of one number g(t) at t = x.
struct Estimate {
  enum Status { ok, kink, unstable } status = unstable;
  double value = kNaN;
  double noise = 0;  // error bound of the estimate: rounding, plus |D(h) − D(h/2)| for truncation
};

// g returns {value, magnitude}: magnitude bounds the rounding error of value (Σ|terms|).
template <class G>
Estimate estimate(G&& g, double x, double h0) {
  const auto [g0, m0] = g(x);
  Estimate best;
  bool saw_kink = false;
  double h = h0;
  for (int attempt = 0; attempt < 9; ++attempt, h /= 10) {
    // Steps that are exact in floating point, so that the differences divide by the true step.
    const double hp = (x + h) - x, hq = (x + h / 2) - x;
    if (hp == 0 || hq == 0) break;
    const auto [gp, mp] = g(x + hp);
    const auto [gm, mm] = g(x - hp);
    const auto [gq, mq] = g(x + hq);
    const auto [gr, mr] = g(x - hq);
    if (!std::isfinite(gp) || !std::isfinite(gm) || !std::isfinite(gq) || !std::isfinite(gr)) {
      continue;  // a pole or the edge of the domain within h: try a smaller step
    }
    const double m = std::max({m0, mp, mm, mq, mr});
    const double d1 = (gp - gm) / (2 * hp);
    const double d2 = (gq - gr) / (2 * hq);
    const double noise = 16 * kEps * m / hq;
    const double scale = std::max(std::abs(d2), 1e-300);
    // One-sided slopes differ by ≈ h·g'' for a smooth g (halving with h), by a constant jump
    // at a kink.
    const double asym1 = std::abs((gp - g0) - (g0 - gm)) / hp;
    const double asym2 = std::abs((gq - g0) - (g0 - gr)) / hq;
    if (asym1 > 1e-3 * scale + 4 * noise && asym2 > 0.75 * asym1) {
      saw_kink = true;
      continue;
    }
    if (std::abs(d1 - d2) <= 1e-4 * scale + noise) {
      best.status = Estimate::ok;
      best.value = (4 * d2 - d1) / 3;
      // |d1 − d2| bounds the truncation error of d2, and so of the extrapolated value.
      best.noise = noise + std::abs(d1 - d2);
      return best;
    }
  }
  best.status = saw_kink ? Estimate::kink : Estimate::unstable;
  return best;
}

}  // namespace

// ------------------------------------------------------------------ check_gradient

GradientReport check_gradient(const ScalarFunction& f, const Vector& x,
                              const std::optional<Vector>& hand, const CheckOptions& options,
                              const std::vector<std::string>& names) {
  if (hand && hand->size() != x.size()) {
    throw ShapeError(
        fmt::format("check_gradient: the hand-derived gradient has {} components, x has {}",
                    hand->size(), x.size()));
  }
  if (!names.empty() && names.size() != static_cast<std::size_t>(x.size())) {
    throw ShapeError(
        fmt::format("check_gradient: {} names given for {} components", names.size(), x.size()));
  }
  const ValueAndGradient engine = value_and_grad(f, x);

  Tape tape;
  Tape::Scope scope(tape);
  auto eval = [&](const Vector& at) {
    tape.clear();
    return f(variable(at, "x")).value();
  };

  GradientReport report;
  report.value = engine.value;
  Vector moved = x;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    CheckComponent c;
    c.name = names.empty() ? fmt::format("x[{}]", i) : names[static_cast<std::size_t>(i)];
    c.autodiff = engine.gradient[i];
    // The step is relative to |xᵢ| (an absolute one at 0 would leave the domain of log(x) or
    // cross the pole of 1/x at small x), shrunk until f is finite on both sides and the estimates
    // at h and h/2 agree, then extrapolated (Richardson); the error bound covers truncation and
    // rounding. Only where that fails (a kink, noise) is a plain central difference used.
    const double h = options.step_scale * (x[i] != 0 ? std::abs(x[i]) : 1.0);
    auto along = [&](double t) {
      moved[i] = t;
      const double v = eval(moved);
      moved[i] = x[i];
      return std::pair<double, double>{v, std::abs(v)};
    };
    const Estimate e = estimate(along, x[i], h);
    double noise = e.noise;
    c.step = h;
    if (e.status == Estimate::ok) {
      c.finite_difference = e.value;
    } else {
      const double xp = x[i] + h, xm = x[i] - h;  // the steps actually taken (xp − xm is exact)
      const double fp = along(xp).first, fm = along(xm).first;
      c.finite_difference = (fp - fm) / (xp - xm);
      noise = 8 * kEps * std::max({std::abs(fp), std::abs(fm), std::abs(engine.value)}) / (xp - xm);
    }
    c.hand = hand ? std::optional<double>((*hand)[i]) : std::nullopt;

    std::vector<Comparison> pairs = {compare(c.autodiff, c.finite_difference, options, noise)};
    if (c.hand) {
      pairs.push_back(compare(*c.hand, c.finite_difference, options, noise));
      pairs.push_back(compare(*c.hand, c.autodiff, options, 0.0));
    }
    for (const Comparison& p : pairs) {
      c.abs_error = std::max(c.abs_error, p.abs_error);
      c.rel_error = std::max(c.rel_error, p.rel_error);
      c.ok = c.ok && p.ok;
    }
    if (std::isnan(c.abs_error)) c.abs_error = c.rel_error = kNaN;
    report.ok = report.ok && c.ok;
    report.components.push_back(std::move(c));
  }
  return report;
}

std::string GradientReport::table() const {
  const bool with_hand = std::any_of(components.begin(), components.end(),
                                     [](const auto& c) { return c.hand.has_value(); });
  std::vector<std::string> header = {"component", "autodiff", "finite diff"};
  if (with_hand) header.emplace_back("hand");
  for (const char* h : {"step", "abs err", "rel err", "verdict"}) header.emplace_back(h);
  std::vector<std::vector<std::string>> rows;
  std::size_t wrong = 0;
  for (const CheckComponent& c : components) {
    std::vector<std::string> row = {c.name, num(c.autodiff), num(c.finite_difference)};
    if (with_hand) row.push_back(c.hand ? num(*c.hand) : "");
    row.push_back(err(c.step));
    row.push_back(err(c.abs_error));
    row.push_back(err(c.rel_error));
    std::string verdict = "ok";
    if (!c.ok) {
      ++wrong;
      verdict = "DIFFERS";
      if (c.hand) {
        // The odd one out is the value not in the closest pair.
        const double ad_fd = std::abs(c.autodiff - c.finite_difference);
        const double h_fd = std::abs(*c.hand - c.finite_difference);
        const double h_ad = std::abs(*c.hand - c.autodiff);
        if (ad_fd <= h_fd && ad_fd <= h_ad) {
          verdict = "DIFFERS: hand-derived";
        } else if (h_fd <= h_ad) {
          verdict = "DIFFERS: autodiff";
        } else {
          verdict = "DIFFERS: finite difference";
        }
      }
    }
    row.push_back(verdict);
    rows.push_back(std::move(row));
  }
  std::string out = fmt::format("f(x) = {}\n", num(value));
  out += detail::text_table(header, rows, with_hand ? "lrrrrrrl" : "lrrrrrl");
  out += wrong == 0 ? fmt::format("all {} components agree\n", components.size())
                    : fmt::format("{} of {} components differ\n", wrong, components.size());
  return out;
}

// ------------------------------------------------------------------ check_nodes

namespace {

struct Tally {
  double max_rel = 0;
  std::size_t checked = 0;
  bool ok = true;
  void add(const Estimate& e, double recorded, const CheckOptions& o) {
    if (e.status != Estimate::ok) return;
    const Comparison c = compare(e.value, recorded, o, e.noise);
    ++checked;
    // A NaN comparison (a NaN rule) counts as infinitely wrong, not as unchecked.
    max_rel = std::isnan(c.rel_error) ? std::numeric_limits<double>::infinity()
                                      : std::max(max_rel, c.rel_error);
    ok = ok && c.ok;
  }
  void finish(NodeCheck& n) const {
    n.ok = ok;
    n.max_rel_error = checked == 0 ? kNaN : max_rel;
  }
};

void check_scalar(const Tape& tape, Index slot, std::size_t k, std::size_t kc,
                  const CheckOptions& o, NodeCheck& out) {
  const OpInfo& info = op_info(tape.op_at(slot));
  std::array<double, 2> in{}, c{};
  for (std::size_t j = 0; j < info.arity; ++j) {
    const Index s = tape.inputs()[k + j];
    in[j] = s == 0 ? 0.0 : tape.value_at(s);
  }
  for (std::size_t j = 0; j < info.n_consts; ++j) c[j] = tape.consts()[kc + j];
  Tally tally;
  if (info.at_kink == nullptr || !info.at_kink(in.data(), c.data())) {
    for (std::size_t j = 0; j < info.arity; ++j) {
      auto g = [&](double t) {
        std::array<double, 2> moved = in;
        moved[j] = t;
        const double v = info.value(moved.data(), c.data());
        return std::pair{v, std::abs(v)};
      };
      const double h = o.step_scale * std::max(std::abs(in[j]), 1.0);
      // Compared with the partial stored at record time: the one backward used.
      tally.add(estimate(g, in[j], h), tape.partials()[k + j], o);
    }
  }
  tally.finish(out);
}

// Which elements of each input to probe: all of them up to kMaxPerInput, else a random sample.
constexpr std::size_t kMaxPerInput = 200;

void check_tensor(const TensorNode& node, const CheckOptions& o, NodeCheck& out) {
  std::mt19937_64 rng(0x9e3779b97f4a7c15ULL ^ node.slot);
  std::uniform_real_distribution<double> unit(0.5, 1.5);
  std::bernoulli_distribution sign(0.5);
  const std::size_t m = node.shape.size();
  std::vector<double> u(m);
  for (double& v : u) v = sign(rng) ? unit(rng) : -unit(rng);

  // The rule under test: ū = uᵀ·∂y/∂x, written into an adjoint array of our own that covers
  // every input (constants too: they sit at slot 0, in case a rule writes to them anyway).
  std::size_t hi = 0;
  bool any_variable = false;
  for (Index i = 0; i < node.n_in; ++i) {
    hi = std::max(hi, node.in[i].slot + node.in[i].shape.size());
    any_variable = any_variable || node.in[i].slot != 0;
  }
  Tally tally;
  if (!any_variable || m == 0) {
    tally.finish(out);
    out.max_rel_error = 0;
    return;
  }
  std::vector<double> adj(hi, 0.0);
  node.op->vjp(node, VjpArgs{u.data(), adj.data()});

  // Perturbable copies of the inputs and a node that reads them.
  std::vector<std::vector<double>> buf(node.n_in);
  std::vector<TensorArg> args(node.in, node.in + node.n_in);
  for (Index i = 0; i < node.n_in; ++i) {
    buf[i].assign(node.in[i].data, node.in[i].data + node.in[i].shape.size());
    args[i].data = buf[i].data();
  }
  std::vector<double> y(m);
  TensorNode probe = node;
  probe.in = args.data();
  probe.value = y.data();

  // Slots to test. Inputs that share slots (x·x) are one variable: perturbed together, as the
  // adjoint array sums them.
  std::vector<Index> slots;
  for (Index i = 0; i < node.n_in; ++i) {
    const TensorArg& a = node.in[i];
    const std::size_t n = a.shape.size();
    if (a.slot == 0) continue;
    if (n <= kMaxPerInput) {
      for (std::size_t e = 0; e < n; ++e) slots.push_back(a.slot + static_cast<Index>(e));
    } else {
      std::uniform_int_distribution<std::size_t> pick(0, n - 1);
      std::unordered_set<std::size_t> chosen;
      while (chosen.size() < kMaxPerInput) chosen.insert(pick(rng));
      for (std::size_t e : chosen) slots.push_back(a.slot + static_cast<Index>(e));
    }
  }
  std::sort(slots.begin(), slots.end());
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());

  for (Index s : slots) {
    std::vector<std::pair<Index, std::size_t>> at;  // (input, element) holding slot s
    for (Index i = 0; i < node.n_in; ++i) {
      const TensorArg& a = node.in[i];
      if (a.slot != 0 && s >= a.slot && s < a.slot + a.shape.size()) at.emplace_back(i, s - a.slot);
    }
    const double x0 = buf[at[0].first][at[0].second];
    auto g = [&](double t) {
      for (const auto& [i, e] : at) buf[i][e] = t;
      node.op->forward(probe, y.data());
      double v = 0, mag = 0;
      for (std::size_t r = 0; r < m; ++r) {
        v += u[r] * y[r];
        mag += std::abs(u[r] * y[r]);
      }
      return std::pair{v, mag};
    };
    const Estimate e = estimate(g, x0, o.step_scale * std::max(std::abs(x0), 1.0));
    for (const auto& [i, el] : at) buf[i][el] = node.in[i].data[el];
    tally.add(e, adj[s], o);
  }
  // forward may keep intermediates in node.saved (shared with the recorded node): recompute
  // them from the unperturbed inputs.
  node.op->forward(probe, y.data());
  tally.finish(out);
}

}  // namespace

NodeReport check_nodes(const Var& L, const CheckOptions& options) {
  const Explanation ex = explain(L);  // ids, definitions; also validates L and its tape
  const Tape& tape = Tape::current();

  // Operand and constant cursors of every scalar slot up to the last node.
  const Index end = ex.nodes.empty() ? 1 : ex.nodes.back().slot + 1;
  std::vector<std::size_t> k_of(end, 0), kc_of(end, 0);
  {
    const auto& tensors = tape.tensor_nodes();
    std::size_t k = 0, kc = 0, ti = 0;
    for (Index s = 1; s < end;) {
      if (ti < tensors.size() && tensors[ti].slot == s) {
        s += static_cast<Index>(tensors[ti++].shape.size());
        continue;
      }
      const auto op = static_cast<std::size_t>(tape.op_at(s));
      k_of[s] = k;
      kc_of[s] = kc;
      k += kArity[op];
      kc += kConsts[op];
      ++s;
    }
  }

  NodeReport report;
  for (const NodeRow& row : ex.nodes) {
    NodeCheck c;
    c.id = row.id;
    c.definition = row.definition;
    c.op = row.op;
    const TensorNode* t = tape.tensor_at(row.slot);
    if (t != nullptr && t->slot == row.slot) {
      check_tensor(*t, options, c);
    } else {
      check_scalar(tape, row.slot, k_of[row.slot], kc_of[row.slot], options, c);
    }
    if (!c.ok && !report.first_wrong) report.first_wrong = c;
    report.ok = report.ok && c.ok;
    report.nodes.push_back(std::move(c));
  }
  return report;
}

std::string NodeReport::table() const {
  std::vector<std::vector<std::string>> rows;
  for (const NodeCheck& n : nodes) {
    const bool checked = !std::isnan(n.max_rel_error);
    const std::string id = fmt::format("ξ{}", n.id);
    std::string rhs = n.definition;
    if (rhs.starts_with(id + " = ")) rhs = rhs.substr(id.size() + 3);
    rows.push_back({id, rhs, n.op, checked ? err(n.max_rel_error) : "—",
                    !n.ok ? "WRONG" : (checked ? "ok" : "not checkable (kink or pole)")});
  }
  std::string out =
      detail::text_table({"ξ", "definition", "op", "max rel err", "verdict"}, rows, "lllrl");
  if (first_wrong) {
    out += fmt::format("first wrong node: {} (its {} rule disagrees with finite differences)\n",
                       first_wrong->definition, first_wrong->op);
  } else {
    out += fmt::format("all {} nodes agree with finite differences\n", nodes.size());
  }
  return out;
}

}  // namespace xi
