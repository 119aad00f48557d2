#include "symbolic/expr.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <utility>

namespace xi::cli::sym {
namespace {

// Nesting of the rules that call back into add/mul (common factors, distributing): beyond it a
// sum or product is still canonical, only not rewritten further.
constexpr int kMaxRewriteDepth = 6;
// Rewrites (common factors, distributing, expanding) tried per simplified node made: beyond it
// the result is canonical but not rewritten further, so the work stays polynomial (a product of
// many sums would otherwise try every way of multiplying them out).
constexpr int kRewriteBudget = 64;

Shape broadcast(const Shape& x, const Shape& y) {
  if (x == y || y.is_scalar()) return x;
  if (x.is_scalar()) return y;
  return x.rank >= y.rank ? x : y;
}

bool integral(double e) {
  return e == std::floor(e) && std::abs(e) < 1e15;
}

}  // namespace

// c·Π base^exponent, the bases in the order of their ids.
struct Pool::Factors {
  double coef = 1;
  std::vector<std::pair<Id, double>> bases;
  Shape shape = Shape::scalar();  // of the whole product, before anything cancels
  Id witness = 0;                 // a node of that shape

  void add(Id base, double e) {
    for (auto& [b, x] : bases) {
      if (b == base) {
        x += e;
        return;
      }
    }
    bases.emplace_back(base, e);
  }
};

// constant + Σ coef·term, the terms in the order they first appear.
struct Pool::Terms {
  double constant = 0;
  std::vector<std::pair<Id, double>> terms;
  Shape shape = Shape::scalar();
  Id witness = 0;

  void add(Id term, double c) {
    for (auto& [t, x] : terms) {
      if (t == term) {
        x += c;
        return;
      }
    }
    terms.emplace_back(term, c);
  }
};

Pool::Pool(std::vector<std::string> names, std::vector<Shape> shapes)
    : names_(std::move(names)), shapes_(std::move(shapes)) {}

Shape Pool::shape_of(const Node& n) const {
  const auto arg = [&](std::size_t k) { return nodes_[n.args[k]].shape; };
  switch (n.kind) {
    case Kind::number:
      return Shape::scalar();
    case Kind::variable:
      return shapes_[n.variable];
    case Kind::neg:
      return arg(0);
    case Kind::add:
    case Kind::sub:
    case Kind::mul:
    case Kind::div:
    case Kind::pow:
      return broadcast(arg(0), arg(1));
    case Kind::matmul: {
      const Shape x = arg(0), y = arg(1);
      if (x.rank == 2 && y.rank == 2) return Shape::matrix(x.rows, y.cols);
      if (x.rank == 2) return Shape::vector(x.rows);
      if (y.rank == 2) return Shape::vector(y.cols);
      return Shape::scalar();
    }
    case Kind::index:
      return arg(0).rank == 2 ? Shape::vector(arg(0).cols) : Shape::scalar();
    case Kind::literal: {
      const auto count = static_cast<Index>(n.args.size());
      return n.rows == 0 ? Shape::vector(count)
                         : Shape::matrix(static_cast<Index>(n.rows), count / n.rows);
    }
    case Kind::call:
      if (n.function->kind != FunctionKind::elementwise) return Shape::scalar();
      return n.function->arity == 1 ? arg(0) : broadcast(arg(0), arg(1));
  }
  return Shape::scalar();
}

Id Pool::make(Node n) {
  n.shape = shape_of(n);
  Key key{n.kind, std::bit_cast<std::uint64_t>(n.number), n.variable, n.function, n.args, n.rows};
  if (auto it = seen_.find(key); it != seen_.end()) return it->second;
  const auto id = static_cast<Id>(nodes_.size());
  nodes_.push_back(std::move(n));
  seen_.emplace(std::move(key), id);
  return id;
}

Id Pool::number(double v) {
  Node n;
  n.kind = Kind::number;
  n.number = v == 0 ? 0.0 : v;  // one zero: -0 prints as 0
  return make(std::move(n));
}

Id Pool::variable(std::uint32_t index) {
  Node n;
  n.kind = Kind::variable;
  n.variable = index;
  return make(std::move(n));
}

Id Pool::raw(Kind kind, Id a, Id b) {
  Node n;
  n.kind = kind;
  n.args = kind == Kind::neg ? std::vector<Id>{a} : std::vector<Id>{a, b};
  return make(std::move(n));
}

Id Pool::raw_call(const Function& f, Id a, Id b) {
  Node n;
  n.kind = Kind::call;
  n.function = &f;
  n.args = f.arity == 2 ? std::vector<Id>{a, b} : std::vector<Id>{a};
  return make(std::move(n));
}

Id Pool::raw_index(Id a, std::size_t i) {
  Node n;
  n.kind = Kind::index;
  n.number = static_cast<double>(i);
  n.args = {a};
  return make(std::move(n));
}

Id Pool::raw_literal(std::vector<Id> elements, std::uint32_t rows) {
  Node n;
  n.kind = Kind::literal;
  n.args = std::move(elements);
  n.rows = rows;
  return make(std::move(n));
}

Id Pool::ones(Id like) {
  return raw(Kind::pow, like, number(0));
}

// ------------------------------------------------------------------------------------ sums

void Pool::collect_terms(Id n, double c, Terms& t, int depth) {
  const Node x = nodes_[n];  // a copy: the recursion below adds nodes
  if (t.terms.empty() && t.constant == 0 && t.shape.is_scalar()) t.witness = n;
  if (t.shape.size() < x.shape.size()) {
    t.shape = x.shape;
    t.witness = n;
  }
  switch (x.kind) {
    case Kind::number:
      t.constant += c * x.number;
      return;
    case Kind::add:
      collect_terms(x.args[0], c, t, depth);
      collect_terms(x.args[1], c, t, depth);
      return;
    case Kind::sub:
      collect_terms(x.args[0], c, t, depth);
      collect_terms(x.args[1], -c, t, depth);
      return;
    case Kind::neg:
      collect_terms(x.args[0], -c, t, depth);
      return;
    case Kind::pow:
      if (is_number(x.args[1], 0)) {  // ones: 1 (the shape is kept above)
        t.constant += c;
        return;
      }
      t.add(n, c);
      return;
    case Kind::mul:
    case Kind::div: {
      Factors f;
      collect_factors(n, 1, f);
      const double coef = f.coef;
      f.coef = 1;
      if (coef == 0) return;
      const Id rest = product_of(f);
      const Kind k = nodes_[rest].kind;
      if (rest != n && (k == Kind::add || k == Kind::sub || k == Kind::neg || k == Kind::number)) {
        collect_terms(rest, c * coef, t, depth);  // a number times a sum: multiplied out
      } else {
        t.add(rest, c * coef);
      }
      return;
    }
    default:
      t.add(n, c);
  }
}

// The constant first ("1 + exp(u)", "1 - y"), then the terms in order of first appearance.
Id Pool::sum_of(const Terms& t) {
  Id acc = 0;
  bool any = false;
  const auto append = [&](Id magnitude, bool negative) {
    if (!any) {
      acc = negative ? raw(Kind::neg, magnitude) : magnitude;
    } else {
      acc = raw(negative ? Kind::sub : Kind::add, acc, magnitude);
    }
    any = true;
  };
  if (t.constant != 0) append(number(std::abs(t.constant)), t.constant < 0);
  for (const auto& [term, c] : t.terms) {
    if (c == 0) continue;
    const double m = std::abs(c);
    append(m == 1 ? term : mul_at(number(m), term, 1, kMaxRewriteDepth), c < 0);
  }
  return any ? acc : number(0);
}

Id Pool::build_sum(Terms t, int depth) {
  std::erase_if(t.terms, [](const auto& p) { return p.second == 0; });
  if (!std::isfinite(t.constant)) t.constant = 0;  // never folded into a non-finite number
  Id result = 0;
  if (t.terms.size() == 1 && t.constant == 0) {
    const auto [term, c] = t.terms.front();
    result = c == 1 ? term : mul_at(number(c), term, 1, depth + 1);
  } else {
    result = t.terms.size() >= 2 && t.constant == 0 && depth < kMaxRewriteDepth
                 ? factor_out(t, depth)
                 : sum_of(t);
  }
  return keep_shape(result, t.shape, t.witness);
}

// a·B + b·B = B·(a + b): the bases every term has, with exponents of one sign, taken out.
Id Pool::factor_out(const Terms& t, int depth) {
  if (!spend()) return sum_of(t);
  std::vector<Factors> parts(t.terms.size());
  for (std::size_t k = 0; k < t.terms.size(); ++k) {
    collect_factors(t.terms[k].first, 1, parts[k]);
    parts[k].coef *= t.terms[k].second;
  }
  Factors common;
  for (const auto& [base, e] : parts.front().bases) {
    if (!integral(e) || e == 0) continue;
    double shared = e;
    for (std::size_t k = 1; k < parts.size() && shared != 0; ++k) {
      const Id b = base;  // a structured binding is not captured by lambdas before clang 16
      const auto it = std::find_if(parts[k].bases.begin(), parts[k].bases.end(),
                                   [b](const auto& p) { return p.first == b; });
      if (it == parts[k].bases.end() || !integral(it->second) || it->second * e <= 0) {
        shared = 0;
      } else {
        shared = e > 0 ? std::min(shared, it->second) : std::max(shared, it->second);
      }
    }
    if (shared != 0) common.add(base, shared);
  }
  if (common.bases.empty()) return sum_of(t);
  Terms rest;
  for (Factors& part : parts) {
    for (const auto& [base, e] : common.bases) part.add(base, -e);
    collect_terms(build_product(part, depth + 1), 1, rest, depth + 1);
  }
  return mul_at(product_of(common), build_sum(rest, depth + 1), 1, depth + 1);
}

Id Pool::add_at(Id a, Id b, double sign, int depth) {
  Terms t;
  collect_terms(a, 1, t, depth);
  collect_terms(b, sign, t, depth);
  return build_sum(std::move(t), depth);
}

Id Pool::add(Id a, Id b) {
  budget_ = kRewriteBudget;
  return add_at(a, b, 1, 0);
}
Id Pool::sub(Id a, Id b) {
  budget_ = kRewriteBudget;
  return add_at(a, b, -1, 0);
}
Id Pool::neg(Id a) {
  budget_ = kRewriteBudget;
  return add_at(number(0), a, -1, 0);
}

// -------------------------------------------------------------------------------- products

void Pool::collect_factors(Id n, double e, Factors& f) const {
  const Node& x = nodes_[n];
  if (f.bases.empty() && f.coef == 1 && f.shape.is_scalar()) f.witness = n;
  if (f.shape.size() < x.shape.size() ||
      (f.shape.size() == x.shape.size() && x.kind == Kind::variable &&
       nodes_[f.witness].kind != Kind::variable)) {
    f.shape = x.shape;
    f.witness = n;
  }
  const bool whole = integral(e);
  switch (x.kind) {
    case Kind::number:
      if (whole || x.number > 0) {
        const double v = std::pow(x.number, e);
        if (std::isfinite(v)) {
          f.coef *= v;
          return;
        }
      }
      break;
    case Kind::neg:
      if (!whole) break;
      if (std::fmod(e, 2) != 0) f.coef = -f.coef;
      collect_factors(x.args[0], e, f);
      return;
    case Kind::mul:
      if (!whole) break;
      collect_factors(x.args[0], e, f);
      collect_factors(x.args[1], e, f);
      return;
    case Kind::div:
      if (!whole) break;
      collect_factors(x.args[0], e, f);
      collect_factors(x.args[1], -e, f);
      return;
    case Kind::pow:
      if (!whole || nodes_[x.args[1]].kind != Kind::number) break;
      collect_factors(x.args[0], e * nodes_[x.args[1]].number, f);
      return;
    default:
      break;
  }
  f.add(n, e);
}

Id Pool::product_of(const Factors& f) {
  std::vector<std::pair<Id, double>> bases = f.bases;
  std::sort(bases.begin(), bases.end());
  const auto power = [&](Id base, double e) {
    return e == 1 ? base : raw(Kind::pow, base, number(e));
  };
  const double m = std::abs(f.coef);
  Id num = 0, den = 0;
  bool has_num = false, has_den = false;
  if (m != 1) {
    num = number(m);
    has_num = true;
  }
  for (const auto& [base, e] : bases) {
    if (e > 0) {
      num = has_num ? raw(Kind::mul, num, power(base, e)) : power(base, e);
      has_num = true;
    } else if (e < 0) {
      den = has_den ? raw(Kind::mul, den, power(base, -e)) : power(base, -e);
      has_den = true;
    }
  }
  if (!has_num) num = number(1);
  Id result = has_den ? raw(Kind::div, num, den) : num;
  if (f.coef < 0) result = raw(Kind::neg, result);
  return result;
}

// (1 − 1/r)·r = r − 1: a sum whose terms divide by r, multiplied into a power of r the
// product has, so that r cancels.
bool Pool::distribute(Factors& f, int depth) {
  if (!spend()) return false;
  for (std::size_t s = 0; s < f.bases.size(); ++s) {
    const auto [sum, e] = f.bases[s];
    const Kind k = nodes_[sum].kind;
    if ((k != Kind::add && k != Kind::sub) || std::abs(e) != 1) continue;
    Terms terms;
    collect_terms(sum, 1, terms, depth);
    for (const auto& [term, c] : terms.terms) {
      Factors tf;
      collect_factors(term, 1, tf);
      for (const auto& [r, re] : tf.bases) {
        if (re >= 0 || !integral(re)) continue;
        const Id rb = r;  // a structured binding is not captured by lambdas before clang 16
        const auto it = std::find_if(f.bases.begin(), f.bases.end(),
                                     [rb](const auto& p) { return p.first == rb; });
        if (it == f.bases.end() || it->second * e < 1) continue;
        Terms spread;
        for (const auto& [t2, c2] : terms.terms) {
          collect_terms(mul_at(t2, r, 1, depth + 1), c2, spread, depth + 1);
        }
        if (terms.constant != 0) collect_terms(r, terms.constant, spread, depth + 1);
        const Id replaced = build_sum(std::move(spread), depth + 1);
        it->second -= e;
        f.bases.erase(f.bases.begin() + static_cast<std::ptrdiff_t>(s));
        Factors more;
        collect_factors(replaced, e, more);
        f.coef *= more.coef;
        for (const auto& [b, x] : more.bases) f.add(b, x);
        return true;
      }
    }
  }
  return false;
}

std::size_t Pool::tree_size(Id id, std::size_t limit) const {
  std::size_t n = 1;
  for (Id a : nodes_[id].args) {
    if (n >= limit) break;
    n += tree_size(a, limit - n);
  }
  return n;
}

// s·(a + b) as s·a + s·b, when that prints shorter (the factors then cancel in the terms).
Id Pool::expand(const Factors& f, Id product, int depth) {
  constexpr std::size_t kLimit = 4096;
  if (f.bases.size() > 8) return product;  // multiplying out a long product never shortens it
  for (std::size_t k = 0; k < f.bases.size() && spend(); ++k) {
    const auto [sum, e] = f.bases[k];
    const Kind kind = nodes_[sum].kind;
    if ((kind != Kind::add && kind != Kind::sub) || e != 1) continue;
    Factors rest = f;
    rest.bases.erase(rest.bases.begin() + static_cast<std::ptrdiff_t>(k));
    if (rest.bases.empty()) continue;
    const Id other = product_of(rest);
    Terms terms;
    collect_terms(sum, 1, terms, depth);
    Terms spread;
    for (const auto& [term, c] : terms.terms) {
      collect_terms(mul_at(term, other, 1, depth + 1), c, spread, depth + 1);
    }
    if (terms.constant != 0) collect_terms(other, terms.constant, spread, depth + 1);
    const Id expanded = build_sum(std::move(spread), depth + 1);
    const std::size_t before = tree_size(product, kLimit);
    if (tree_size(expanded, before) < before) return expanded;
  }
  return product;
}

// exp(a)^m·exp(b)^n = exp(m·a + n·b), when that prints shorter.
void Pool::merge_exps(Factors& f, int depth) {
  constexpr std::size_t kLimit = 4096;
  const auto is_exp = [&](const std::pair<Id, double>& p) {
    const Node& x = nodes_[p.first];
    return x.kind == Kind::call && x.function->name == "exp" && integral(p.second);
  };
  if (std::count_if(f.bases.begin(), f.bases.end(), is_exp) < 2 || !spend()) return;
  Terms argument;
  Factors merged = f;
  merged.bases.clear();
  for (const auto& p : f.bases) {
    if (is_exp(p)) {
      collect_terms(nodes_[p.first].args[0], p.second, argument, depth + 1);
    } else {
      merged.bases.push_back(p);
    }
  }
  const Id sum = build_sum(std::move(argument), depth + 1);
  collect_factors(call(*find_function("exp"), sum), 1, merged);
  std::erase_if(merged.bases, [](const auto& p) { return p.second == 0; });
  const std::size_t before = tree_size(product_of(f), kLimit);
  if (tree_size(product_of(merged), before) < before) f = std::move(merged);
}

Id Pool::build_product(Factors f, int depth) {
  for (int round = 0; round < 4 && depth < kMaxRewriteDepth; ++round) {
    std::erase_if(f.bases, [](const auto& p) { return p.second == 0; });
    if (!distribute(f, depth)) break;
  }
  std::erase_if(f.bases, [](const auto& p) { return p.second == 0; });
  if (f.coef == 0) return keep_shape(number(0), f.shape, f.witness);
  if (depth < kMaxRewriteDepth) merge_exps(f, depth);
  Id result = product_of(f);
  if (depth < kMaxRewriteDepth) result = expand(f, result, depth);
  // Ones (x^0 of a vector) are redundant once another factor has the product's shape.
  return keep_shape(result, f.shape, f.witness);
}

bool Pool::spend() {
  if (budget_ <= 0) return false;
  --budget_;
  return true;
}

Id Pool::keep_shape(Id result, const Shape& shape, Id witness) {
  if (nodes_[result].shape == shape) return result;
  if (is_number(result, 0)) return raw(Kind::mul, result, witness);
  const Node& w = nodes_[witness];
  const bool is_ones = w.kind == Kind::pow && is_number(w.args[1], 0);
  const Id unit = is_ones ? witness : ones(witness);
  if (is_number(result, 1)) return unit;
  const Node r = nodes_[result];                 // a copy: raw() below adds nodes
  if (r.kind == Kind::number && r.number < 0) {  // -0.5*W^0, not (-0.5)*W^0
    return raw(Kind::neg, raw(Kind::mul, number(-r.number), unit));
  }
  if (r.kind == Kind::neg) return raw(Kind::neg, raw(Kind::mul, r.args[0], unit));
  return raw(Kind::mul, result, unit);
}

Id Pool::mul_at(Id a, Id b, double e, int depth) {
  Factors f;
  collect_factors(a, 1, f);
  collect_factors(b, e, f);
  return build_product(std::move(f), depth);
}

Id Pool::mul(Id a, Id b) {
  budget_ = kRewriteBudget;
  return mul_at(a, b, 1, 0);
}
Id Pool::div(Id a, Id b) {
  budget_ = kRewriteBudget;
  return mul_at(a, b, -1, 0);
}

Id Pool::pow(Id a, Id b) {
  budget_ = kRewriteBudget;
  const Node& y = nodes_[b];
  if (y.kind == Kind::number) {
    Factors f;
    collect_factors(a, y.number, f);
    if (f.bases.size() == 1 && f.coef == 1 && f.bases[0].first == a && y.number != 1) {
      return keep_shape(raw(Kind::pow, a, b), f.shape, f.witness);
    }
    return build_product(std::move(f), 0);
  }
  return raw(Kind::pow, a, b);
}

Id Pool::call(const Function& f, Id a, Id b) {
  const Node x = nodes_[a];  // a copy: number() below adds nodes
  if (f.kind == FunctionKind::reduction && x.shape.is_scalar()) return a;
  if (f.kind == FunctionKind::elementwise && x.kind == Kind::number &&
      (f.arity == 1 || nodes_[b].kind == Kind::number)) {
    const double v = f.arity == 1 ? f.unary(Var(x.number)).value()
                                  : f.binary(Var(x.number), Var(nodes_[b].number)).value();
    if (std::isfinite(v)) return number(v);
  }
  if (f.name == "log" && x.kind == Kind::call && x.function->name == "exp") return x.args[0];
  return raw_call(f, a, b);
}

Id Pool::index(Id a, std::size_t i) {
  const Node& x = nodes_[a];
  if (x.kind == Kind::pow && is_number(x.args[1], 0)) {  // an element or row of ones
    return x.shape.rank == 2 ? ones(raw_index(x.args[0], i)) : number(1);
  }
  if (x.kind == Kind::literal && x.rows == 0) return x.args[i];
  if (x.kind == Kind::literal) {
    const std::size_t cols = x.args.size() / x.rows;
    std::vector<Id> row(x.args.begin() + static_cast<std::ptrdiff_t>(i * cols),
                        x.args.begin() + static_cast<std::ptrdiff_t>((i + 1) * cols));
    return raw_literal(std::move(row), 0);
  }
  return raw_index(a, i);
}

std::vector<Id> from_program(Pool& pool, const Program& program) {
  std::vector<Id> ids;
  ids.reserve(program.code.size());
  for (const Instr& in : program.code) {
    switch (in.code) {
      case Code::number:
        ids.push_back(pool.number(in.number));
        break;
      case Code::variable:
        ids.push_back(pool.variable(in.variable));
        break;
      case Code::neg:
        ids.push_back(pool.raw(Kind::neg, ids[in.a]));
        break;
      case Code::index:
        ids.push_back(pool.raw_index(ids[in.a], static_cast<std::size_t>(in.number)));
        break;
      case Code::literal: {
        std::vector<Id> elements;
        for (std::uint32_t k = in.a; k < in.a + in.b; ++k) {
          elements.push_back(ids[program.elements[k]]);
        }
        ids.push_back(pool.raw_literal(std::move(elements), in.rows));
        break;
      }
      case Code::call:
        ids.push_back(pool.raw_call(*in.function, ids[in.a], ids[in.b]));
        break;
      default:
        ids.push_back(pool.raw(in.code, ids[in.a], ids[in.b]));
    }
  }
  return ids;
}

}  // namespace xi::cli::sym
