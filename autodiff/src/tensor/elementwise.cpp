// Element-wise tensor operations. Their calculus is the element-wise op blocks of scalar_ops.hpp;
// this file only lifts those blocks to tensors (loops, broadcasting, K tangent directions).

#include "record.hpp"

namespace xi {
namespace {

// Substitutes the placeholders a, b (input names) and c, d (constants) of an op's formula; only
// whole identifiers are placeholders, so the letters of "tanh" or "max" stay as they are.
std::string formula_with(std::string_view f, const std::array<std::string, 3>& in,
                         const TensorNode& n) {
  auto ident = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
  };
  std::string out;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const char ch = f[i];
    const bool alone = (i == 0 || !ident(f[i - 1])) && (i + 1 == f.size() || !ident(f[i + 1]));
    if (!alone) {
      out += ch;
      continue;
    }
    switch (ch) {
      case 'a':
        out += in[0];
        break;
      case 'b':
        out += in[1];
        break;
      case 'c':
        out += fmt::format("{:g}", n.c[0]);
        break;
      case 'd':
        out += fmt::format("{:g}", n.c[1]);
        break;
      default:
        out += ch;
    }
  }
  return out;
}

// y = O(a) element by element, with O's folded constants in node.c.
template <class O>
class UnaryOp final : public TensorOp {
 public:
  std::string_view name() const override { return O::name; }
  std::string definition(const TensorNode& n, const std::array<std::string, 3>& in) const override {
    return formula_with(O::def, in, n);
  }
  std::string partial(const TensorNode& n, int) const override {
    return formula_with(O::partial, {"a", "", ""}, n) + " (element-wise)";
  }
  void forward(const TensorNode& n, double* y) const override {
    const double* a = n.in[0].data;
    const std::size_t m = n.shape.size();
    for (std::size_t i = 0; i < m; ++i) y[i] = O::value(a[i], n.c[0], n.c[1]);
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    const double* a = n.in[0].data;
    const double* y = n.value;
    double* abar = g.in_bar(n, 0);
    const std::size_t m = n.shape.size();
    for (std::size_t i = 0; i < m; ++i) abar[i] += g.ybar[i] * O::d1(a[i], y[i], n.c[0], n.c[1]);
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const double* a = n.in[0].data;
    const double* adot = g.in_dot(n, 0);
    const std::size_t m = n.shape.size(), K = g.k;
    for (std::size_t i = 0; i < m; ++i) {
      const double d = O::d1(a[i], n.value[i], n.c[0], n.c[1]);
      for (std::size_t k = 0; k < K; ++k) g.out_dot[i * K + k] = d * adot[i * K + k];
    }
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    const double* a = n.in[0].data;
    const double* adot = g.in_dot(n, 0);
    double* abd = g.in_bar_dot(n, 0);
    const std::size_t m = n.shape.size(), K = g.k;
    for (std::size_t i = 0; i < m; ++i) {
      const double d = O::d1(a[i], n.value[i], n.c[0], n.c[1]);
      const double h = g.ybar[i] * O::d2(a[i], n.value[i], n.c[0], n.c[1]);
      for (std::size_t k = 0; k < K; ++k) {
        abd[i * K + k] += d * g.ybar_dot[i * K + k] + h * adot[i * K + k];
      }
    }
  }
};

// y = O(a, b) element by element with broadcasting.
template <class O>
class BinaryOp final : public TensorOp {
 public:
  std::string_view name() const override { return O::name; }
  std::string definition(const TensorNode& n, const std::array<std::string, 3>& in) const override {
    return formula_with(O::def, in, n);
  }
  std::string partial(const TensorNode& n, int i) const override {
    return formula_with(i == 0 ? O::partial_a : O::partial_b, {"a", "b", ""}, n) +
           " (element-wise, summed over broadcast axes)";
  }
  template <class F>
  static void each(const TensorNode& n, F&& f) {
    const auto ba = detail::Broadcast::of(n.in[0].shape, n.shape);
    const auto bb = detail::Broadcast::of(n.in[1].shape, n.shape);
    std::size_t i = 0;
    for (Index r = 0; r < n.shape.rows; ++r) {
      for (Index c = 0; c < n.shape.cols; ++c, ++i) f(i, ba.at(r, c), bb.at(r, c));
    }
  }
  void forward(const TensorNode& n, double* y) const override {
    const double* a = n.in[0].data;
    const double* b = n.in[1].data;
    if (n.in[0].shape.size() == n.shape.size() && n.in[1].shape.size() == n.shape.size()) {
      for (std::size_t i = 0; i < n.shape.size(); ++i) y[i] = O::value(a[i], b[i]);
      return;
    }
    each(n, [&](std::size_t i, std::size_t ia, std::size_t ib) { y[i] = O::value(a[ia], b[ib]); });
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    const double* a = n.in[0].data;
    const double* b = n.in[1].data;
    const double* y = n.value;
    const bool ga = n.in[0].requires_grad(), gb = n.in[1].requires_grad();
    double* abar = g.in_bar(n, 0);
    double* bbar = g.in_bar(n, 1);
    each(n, [&](std::size_t i, std::size_t ia, std::size_t ib) {
      if (ga) abar[ia] += g.ybar[i] * O::da(a[ia], b[ib], y[i]);
      if (gb) bbar[ib] += g.ybar[i] * O::db(a[ia], b[ib], y[i]);
    });
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const double* a = n.in[0].data;
    const double* b = n.in[1].data;
    const double* adot = g.in_dot(n, 0);
    const double* bdot = g.in_dot(n, 1);
    const bool ga = n.in[0].requires_grad(), gb = n.in[1].requires_grad();
    const std::size_t K = g.k;
    each(n, [&](std::size_t i, std::size_t ia, std::size_t ib) {
      const double da = O::da(a[ia], b[ib], n.value[i]), db = O::db(a[ia], b[ib], n.value[i]);
      for (std::size_t k = 0; k < K; ++k) {
        g.out_dot[i * K + k] =
            (ga ? da * adot[ia * K + k] : 0.0) + (gb ? db * bdot[ib * K + k] : 0.0);
      }
    });
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    const double* a = n.in[0].data;
    const double* b = n.in[1].data;
    const double* adot = g.in_dot(n, 0);
    const double* bdot = g.in_dot(n, 1);
    double* abd = g.in_bar_dot(n, 0);
    double* bbd = g.in_bar_dot(n, 1);
    const bool ga = n.in[0].requires_grad(), gb = n.in[1].requires_grad();
    const std::size_t K = g.k;
    each(n, [&](std::size_t i, std::size_t ia, std::size_t ib) {
      const double y = n.value[i];
      const double da = O::da(a[ia], b[ib], y), db = O::db(a[ia], b[ib], y);
      const auto h = O::d2(a[ia], b[ib], y);
      const double yb = g.ybar[i];
      for (std::size_t k = 0; k < K; ++k) {
        const double ad = ga ? adot[ia * K + k] : 0.0, bd = gb ? bdot[ib * K + k] : 0.0;
        const double ybd = g.ybar_dot[i * K + k];
        if (ga) abd[ia * K + k] += da * ybd + yb * (h[0] * ad + h[1] * bd);
        if (gb) bbd[ib * K + k] += db * ybd + yb * (h[1] * ad + h[2] * bd);
      }
    });
  }
};

// y = cond ? a : b with a constant mask (input 2), broadcasting all three.
class WhereOp final : public TensorOp {
 public:
  std::string_view name() const override { return "where"; }
  std::string definition(const TensorNode&, const std::array<std::string, 3>& in) const override {
    return fmt::format("where({}, {}, {})", in[2], in[0], in[1]);
  }
  std::string partial(const TensorNode&, int i) const override {
    return i == 0 ? "[cond]" : "[not cond]";
  }
  template <class F>
  static void each(const TensorNode& n, F&& f) {
    const auto ba = detail::Broadcast::of(n.in[0].shape, n.shape);
    const auto bb = detail::Broadcast::of(n.in[1].shape, n.shape);
    const auto bc = detail::Broadcast::of(n.in[2].shape, n.shape);
    std::size_t i = 0;
    for (Index r = 0; r < n.shape.rows; ++r) {
      for (Index c = 0; c < n.shape.cols; ++c, ++i) {
        f(i, ba.at(r, c), bb.at(r, c), n.in[2].data[bc.at(r, c)] != 0.0);
      }
    }
  }
  void forward(const TensorNode& n, double* y) const override {
    each(n, [&](std::size_t i, std::size_t ia, std::size_t ib, bool c) {
      y[i] = c ? n.in[0].data[ia] : n.in[1].data[ib];
    });
  }
  void vjp(const TensorNode& n, const VjpArgs& g) const override {
    const bool ga = n.in[0].requires_grad(), gb = n.in[1].requires_grad();
    each(n, [&](std::size_t i, std::size_t ia, std::size_t ib, bool c) {
      if (c && ga) g.in_bar(n, 0)[ia] += g.ybar[i];
      if (!c && gb) g.in_bar(n, 1)[ib] += g.ybar[i];
    });
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& g) const override {
    const std::size_t K = g.k;
    const bool ga = n.in[0].requires_grad(), gb = n.in[1].requires_grad();
    each(n, [&](std::size_t i, std::size_t ia, std::size_t ib, bool c) {
      const bool live = c ? ga : gb;
      const double* src = c ? g.in_dot(n, 0) + ia * K : g.in_dot(n, 1) + ib * K;
      for (std::size_t k = 0; k < K; ++k) g.out_dot[i * K + k] = live ? src[k] : 0.0;
    });
  }
  void soa(const TensorNode& n, const SoaArgs& g) const override {
    const std::size_t K = g.k;
    const bool ga = n.in[0].requires_grad(), gb = n.in[1].requires_grad();
    each(n, [&](std::size_t i, std::size_t ia, std::size_t ib, bool c) {
      if (c ? !ga : !gb) return;
      double* dst = c ? g.in_bar_dot(n, 0) + ia * K : g.in_bar_dot(n, 1) + ib * K;
      for (std::size_t k = 0; k < K; ++k) dst[k] += g.ybar_dot[i * K + k];
    });
  }
};

template <class O>
Tensor unary(const Tensor& a, double c = 0, double d = 0) {
  static const UnaryOp<O> op;
  return detail::record(op, a.shape(), {&a}, [&](TensorNode& n) { n.c = {c, d}; });
}

template <class O>
Tensor binary(const Tensor& a, const Tensor& b) {
  static const BinaryOp<O> op;
  return detail::record(op, detail::broadcast_shape(O::name, a.shape(), b.shape()), {&a, &b});
}

}  // namespace

Tensor operator+(const Tensor& a, const Tensor& b) {
  return binary<ops::Add>(a, b);
}
Tensor operator-(const Tensor& a, const Tensor& b) {
  return binary<ops::Sub>(a, b);
}
Tensor operator*(const Tensor& a, const Tensor& b) {
  return binary<ops::Mul>(a, b);
}
Tensor operator/(const Tensor& a, const Tensor& b) {
  return binary<ops::Div>(a, b);
}
Tensor operator+(const Tensor& a, double c) {
  return unary<ops::AddC>(a, c);
}
Tensor operator+(double c, const Tensor& a) {
  return unary<ops::AddC>(a, c);
}
Tensor operator-(const Tensor& a, double c) {
  return unary<ops::SubC>(a, c);
}
Tensor operator-(double c, const Tensor& a) {
  return unary<ops::RsubC>(a, c);
}
Tensor operator*(const Tensor& a, double c) {
  return unary<ops::MulC>(a, c);
}
Tensor operator*(double c, const Tensor& a) {
  return unary<ops::MulC>(a, c);
}
Tensor operator/(const Tensor& a, double c) {
  return unary<ops::DivC>(a, c);
}
Tensor operator/(double c, const Tensor& a) {
  return unary<ops::RdivC>(a, c);
}
Tensor operator-(const Tensor& a) {
  return unary<ops::Neg>(a);
}

Tensor exp(const Tensor& a) {
  return unary<ops::Exp>(a);
}
Tensor log(const Tensor& a) {
  return unary<ops::Log>(a);
}
Tensor log1p(const Tensor& a) {
  return unary<ops::Log1p>(a);
}
Tensor expm1(const Tensor& a) {
  return unary<ops::Expm1>(a);
}
Tensor sqrt(const Tensor& a) {
  return unary<ops::Sqrt>(a);
}
Tensor square(const Tensor& a) {
  return unary<ops::Square>(a);
}
Tensor reciprocal(const Tensor& a) {
  return unary<ops::Reciprocal>(a);
}
Tensor abs(const Tensor& a) {
  return unary<ops::Abs>(a);
}
Tensor sin(const Tensor& a) {
  return unary<ops::Sin>(a);
}
Tensor cos(const Tensor& a) {
  return unary<ops::Cos>(a);
}
Tensor tan(const Tensor& a) {
  return unary<ops::Tan>(a);
}
Tensor tanh(const Tensor& a) {
  return unary<ops::Tanh>(a);
}
Tensor sigmoid(const Tensor& a) {
  return unary<ops::Sigmoid>(a);
}
Tensor softplus(const Tensor& a) {
  return unary<ops::Softplus>(a);
}
Tensor relu(const Tensor& a) {
  return unary<ops::Relu>(a);
}
Tensor leaky_relu(const Tensor& a, double slope) {
  return unary<ops::LeakyRelu>(a, slope);
}
Tensor clamp(const Tensor& a, double lo, double hi) {
  if (!(lo <= hi)) throw Error(fmt::format("clamp: lower bound {} exceeds upper bound {}", lo, hi));
  return unary<ops::Clamp>(a, lo, hi);
}
Tensor pow(const Tensor& a, const Tensor& b) {
  return binary<ops::Pow>(a, b);
}
Tensor pow(const Tensor& a, double c) {
  return unary<ops::PowC>(a, c);
}
Tensor pow(double c, const Tensor& a) {
  return unary<ops::RpowC>(a, c);
}
Tensor min(const Tensor& a, const Tensor& b) {
  return binary<ops::Min>(a, b);
}
Tensor max(const Tensor& a, const Tensor& b) {
  return binary<ops::Max>(a, b);
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  static const WhereOp op;
  if (!cond.is_constant()) {
    throw Error("where: the condition must be a constant mask (it has no gradient)");
  }
  const Shape ab = detail::broadcast_shape("where", a.shape(), b.shape());
  const Shape out = detail::broadcast_shape("where", cond.shape(), ab);
  return detail::record(op, out, {&a, &b, &cond});
}

}  // namespace xi
