#include "symbolic/derive.hpp"

#include <optional>
#include <vector>

#include <fmt/format.h>
#include <xigrad/autodiff/error.hpp>

namespace xi::cli::sym {
namespace {

const Function& fn(std::string_view name) {
  return *find_function(name);
}

class Sweep {
 public:
  Sweep(Pool& pool, Id root, std::uint32_t wrt) : p_(pool), root_(root), adj_(root + 1) {
    // Which nodes depend on the variable (children have smaller ids).
    depends_.assign(root + 1, false);
    for (Id n = 0; n <= root; ++n) {
      const Node& x = p_[n];
      depends_[n] = x.kind == Kind::variable && x.variable == wrt;
      for (Id a : x.args) depends_[n] = depends_[n] || depends_[a];
    }
    wrt_ = p_.variable(wrt);
  }

  Id run() {
    if (wrt_ > root_ || !depends_[wrt_]) return zero();
    adj_[root_] = p_.number(1);
    for (Id n = root_ + 1; n-- > 0;) {
      if (!adj_[n] || !depends_[n]) continue;
      step(n, *adj_[n]);
      if (n == wrt_) break;
    }
    if (!adj_[wrt_]) return zero();
    const Id g = *adj_[wrt_];
    if (p_[g].shape == p_[wrt_].shape) return g;
    return p_.mul(g, p_.ones(wrt_));
  }

 private:
  Id zero() {
    const Id z = p_.number(0);
    return p_[wrt_].shape.is_scalar() ? z : p_.raw(Kind::mul, z, wrt_);
  }

  // Adds `c` to the adjoint of `child`; `c` has the shape of the child or broadcasts to it.
  void direct(Id child, Id c) {
    if (!depends_[child]) return;
    adj_[child] = adj_[child] ? p_.add(*adj_[child], c) : c;
  }

  // Adds the contribution `c` (broadcast to the shape of node `n`) to `child`, summed over the
  // elements `child` was broadcast to.
  void reduce(Id n, Id child, Id c) {
    if (!depends_[child]) return;
    const Shape from = p_[n].shape, to = p_[child].shape, sc = p_[c].shape;
    const auto times = [&](std::size_t k, Id v) {
      return k == 1 ? v : p_.mul(p_.number(static_cast<double>(k)), v);
    };
    if (to == from || sc == to || sc.is_scalar()) {
      // Uniform or already of the child's shape: each element of the child was used
      // from.size() / max(sc, to).size() times.
      const std::size_t used = to == from ? 1 : from.size() / std::max(sc.size(), to.size());
      direct(child, times(used, c));
    } else if (to.is_scalar()) {
      direct(child, times(from.size() / sc.size(), p_.call(fn("sum"), c)));
    } else {
      // A vector met each row of a matrix: its adjoint is the column sums, ones(rows)@c, the
      // ones written as (n@child)^0.
      direct(child, p_.raw(Kind::matmul, p_.ones(p_.raw(Kind::matmul, n, child)), c));
    }
  }

  // The adjoint as a value of the shape of node n (a uniform adjoint spelled out as ones).
  Id full(Id n, Id a) { return p_[a].shape == p_[n].shape ? a : p_.mul(a, p_.ones(n)); }

  void step(Id n, Id a) {
    const Node x = p_[n];  // a copy: the pool grows below
    const Id u = x.args.empty() ? 0 : x.args[0];
    const Id v = x.args.size() > 1 ? x.args[1] : 0;
    switch (x.kind) {
      case Kind::number:
      case Kind::variable:
        return;
      case Kind::neg:
        return reduce(n, u, p_.neg(a));
      case Kind::add:
        reduce(n, u, a);
        return reduce(n, v, a);
      case Kind::sub:
        reduce(n, u, a);
        return reduce(n, v, p_.neg(a));
      case Kind::mul:
        if (depends_[u]) reduce(n, u, p_.mul(a, v));
        if (depends_[v]) reduce(n, v, p_.mul(a, u));
        return;
      case Kind::div:
        if (depends_[u]) reduce(n, u, p_.div(a, v));
        if (depends_[v]) reduce(n, v, p_.neg(p_.div(p_.mul(a, u), p_.pow(v, p_.number(2)))));
        return;
      case Kind::pow:
        return power(n, u, v, a);
      case Kind::matmul:
        return matmul(n, u, v, a);
      case Kind::index: {
        const Shape s = p_[u].shape;
        const auto k = static_cast<std::size_t>(x.number);
        if (s.rank == 2) {  // row k of a matrix: zero but for that row
          const Id g = full(n, a);
          return direct(u, matrix(s, [&](std::size_t i, std::size_t j) {
                          return i == k ? at(g, j) : p_.number(0);
                        }));
        }
        std::vector<Id> e(s.size(), p_.number(0));
        e[k] = a;
        return direct(u, p_.raw_literal(std::move(e), 0));
      }
      case Kind::literal: {
        const std::size_t cols = x.rows == 0 ? x.args.size() : x.args.size() / x.rows;
        for (std::size_t k = 0; k < x.args.size(); ++k) {
          if (!depends_[x.args[k]]) continue;
          Id e = a;
          if (!p_[a].shape.is_scalar()) {
            e = x.rows == 0 ? p_.index(a, k) : p_.index(p_.index(a, k / cols), k % cols);
          }
          direct(x.args[k], e);
        }
        return;
      }
      case Kind::call:
        return call(n, *x.function, u, v, a);
    }
  }

  void power(Id n, Id u, Id v, Id a) {
    if (depends_[u]) {
      // b·a^(b−1)
      const Id d = p_.mul(v, p_.pow(u, p_.sub(v, p_.number(1))));
      reduce(n, u, p_.mul(a, d));
    }
    if (depends_[v]) reduce(n, v, p_.mul(a, p_.mul(n, p_.call(fn("log"), u))));
  }

  // Element [i] of a vector or [i][j] of a matrix.
  Id at(Id x, std::size_t i) { return p_.index(x, i); }
  Id at(Id x, std::size_t i, std::size_t j) { return p_.index(p_.index(x, i), j); }

  // A matrix of shape `s` written out element by element.
  template <class Element>
  Id matrix(const Shape& s, Element element) {
    std::vector<Id> e;
    for (std::size_t i = 0; i < static_cast<std::size_t>(s.rows); ++i) {
      for (std::size_t j = 0; j < static_cast<std::size_t>(s.cols); ++j) e.push_back(element(i, j));
    }
    return p_.raw_literal(std::move(e), static_cast<std::uint32_t>(s.rows));
  }

  // The gradients of a matrix operand are written out element by element (the language has no
  // outer product and no transpose); a vector operand's is a product with the matrix.
  void matmul(Id n, Id u, Id v, Id a) {
    const Shape su = p_[u].shape, sv = p_[v].shape;
    if (su.rank == 1 && sv.rank == 1) {  // v·w
      direct(u, p_.mul(a, v));
      return direct(v, p_.mul(a, u));
    }
    const Id g = full(n, a);
    if (su.rank == 2 && sv.rank == 1) {  // M@w: ∂/∂w = g@M, ∂/∂M[i][l] = g[i]·w[l]
      if (depends_[v]) direct(v, p_.raw(Kind::matmul, g, u));
      if (depends_[u]) {
        direct(u, matrix(su,
                         [&](std::size_t i, std::size_t l) { return p_.mul(at(g, i), at(v, l)); }));
      }
      return;
    }
    if (su.rank == 1) {  // w@M: ∂/∂w = M@g, ∂/∂M[l][j] = w[l]·g[j]
      if (depends_[u]) direct(u, p_.raw(Kind::matmul, v, g));
      if (depends_[v]) {
        direct(v, matrix(sv,
                         [&](std::size_t l, std::size_t j) { return p_.mul(at(u, l), at(g, j)); }));
      }
      return;
    }
    // A@B: ∂/∂A[i][l] = Σj g[i][j]·B[l][j] = dot(g[i], B[l]); ∂/∂B[l][j] = Σi A[i][l]·g[i][j].
    if (depends_[u]) {
      direct(u, matrix(su, [&](std::size_t i, std::size_t l) {
               return p_.call(fn("dot"), at(g, i), at(v, l));
             }));
    }
    if (depends_[v]) {
      direct(v, matrix(sv, [&](std::size_t l, std::size_t j) {
               Id sum = p_.number(0);
               for (std::size_t i = 0; i < static_cast<std::size_t>(su.rows); ++i) {
                 sum = p_.add(sum, p_.mul(at(u, i, l), at(g, i, j)));
               }
               return sum;
             }));
    }
  }

  void call(Id n, const Function& f, Id u, Id v, Id a) {
    const auto one = [&](Id d) { reduce(n, u, p_.mul(a, d)); };
    const auto half_plus_sign = [&](Id x, Id y) {  // (1 + sign(x - y))/2
      return p_.div(p_.add(p_.number(1), p_.call(fn("sign"), p_.sub(x, y))), p_.number(2));
    };
    const std::string_view name = f.name;
    if (name == "exp") return one(n);
    if (name == "log") return one(p_.div(p_.number(1), u));
    if (name == "log1p") return one(p_.div(p_.number(1), p_.add(p_.number(1), u)));
    if (name == "expm1") return one(p_.call(fn("exp"), u));
    if (name == "sqrt") return one(p_.div(p_.number(0.5), n));
    if (name == "abs") return one(p_.call(fn("sign"), u));
    if (name == "sin") return one(p_.call(fn("cos"), u));
    if (name == "cos") return one(p_.neg(p_.call(fn("sin"), u)));
    if (name == "tan") return one(p_.add(p_.number(1), p_.pow(n, p_.number(2))));
    if (name == "tanh") return one(p_.sub(p_.number(1), p_.pow(n, p_.number(2))));
    if (name == "sigmoid") return one(p_.mul(n, p_.sub(p_.number(1), n)));
    if (name == "softplus") return one(p_.call(fn("sigmoid"), u));
    if (name == "relu") return one(p_.call(fn("sign"), n));
    if (name == "sign") return;  // zero almost everywhere, and taken as zero at 0
    if (name == "pow") return power(n, u, v, a);
    if (name == "min" || name == "max") {
      const bool mx = name == "max";
      if (depends_[u]) reduce(n, u, p_.mul(a, mx ? half_plus_sign(u, v) : half_plus_sign(v, u)));
      if (depends_[v]) reduce(n, v, p_.mul(a, mx ? half_plus_sign(v, u) : half_plus_sign(u, v)));
      return;
    }
    if (name == "sum") return direct(u, a);
    if (name == "mean") {
      return direct(u, p_.div(a, p_.number(static_cast<double>(p_[u].shape.size()))));
    }
    if (name == "dot") {
      direct(u, p_.mul(a, v));
      return direct(v, p_.mul(a, u));
    }
    throw InputError(fmt::format("no derivative rule for the function '{}'", name));
  }

  Pool& p_;
  Id root_;
  Id wrt_ = 0;
  std::vector<std::optional<Id>> adj_;
  std::vector<bool> depends_;
};

}  // namespace

Id derivative(Pool& pool, Id root, std::uint32_t wrt) {
  return Sweep(pool, root, wrt).run();
}

}  // namespace xi::cli::sym
