// The local partials of tensor nodes as the lecture writes them, with their numbers: the
// element-wise partial of an element-wise op (from the op table, the one definition the scalar
// engine runs), the other operand of dot and matmul, 1 or 1/n for sum and mean, 1 where a shape
// op copies an element, and for any other op its Jacobian, computed from the op's own
// vector–Jacobian rule.

#include <algorithm>
#include <cmath>
#include <cstddef>

#include <fmt/format.h>

#include "explain_detail.hpp"
#include "tensor/record.hpp"

namespace xi::detail {
namespace {

// A Jacobian this large (entries) is described by its formula only.
constexpr std::size_t kMaxJacobian = std::size_t{1} << 16;

bool all_equal(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [&](double x) { return x == v.front(); });
}

// One number for the whole partial (∂(1 + ξ2)/∂ξ2 = 1, not [1, 1, 1]).
void as_number(PartialRow& p, double value) {
  p.shape = Shape::scalar();
  p.values = {value};
}

PartialRow elementwise(const TensorNode& t, Index i, const OpInfo& info,
                       std::span<const std::string> names) {
  PartialRow p;
  std::array<std::string, 4> ph;
  for (Index j = 0; j < t.n_in && j < 2; ++j) ph[j] = names[j];
  for (std::size_t j = 0; j < info.n_consts; ++j) ph[2 + j] = fmt::format("{:g}", t.c[j]);
  p.formula = substitute(info.partial[i], ph);
  p.product = "⊙";
  p.shape = t.shape;
  const std::size_t m = t.shape.size();
  p.values.resize(m);
  std::array<Broadcast, 2> b{};
  for (Index j = 0; j < t.n_in && j < 2; ++j) b[j] = Broadcast::of(t.in[j].shape, t.shape);
  std::size_t e = 0;
  for (Index r = 0; r < t.shape.rows; ++r) {
    for (Index c = 0; c < t.shape.cols; ++c, ++e) {
      std::array<double, 2> in{}, out{};
      for (Index j = 0; j < t.n_in && j < 2; ++j) in[j] = t.in[j].data[b[j].at(r, c)];
      info.partials(in.data(), t.value[e], t.c.data(), out.data());
      p.values[e] = out[static_cast<std::size_t>(i)];
    }
  }
  if (m > 0 && all_equal(p.values) && p.formula == fmt::format("{:g}", p.values.front())) {
    as_number(p, p.values.front());
  }
  return p;
}

std::vector<double> transposed(const TensorArg& a) {
  std::vector<double> v(a.shape.size());
  for (Index r = 0; r < a.shape.rows; ++r) {
    for (Index c = 0; c < a.shape.cols; ++c) {
      v[std::size_t{c} * a.shape.rows + r] = a.data[std::size_t{r} * a.shape.cols + c];
    }
  }
  return v;
}

// The Jacobian ∂t/∂(input i), rows: t's elements, columns: the input's, from the op's vjp.
std::vector<double> jacobian(const TensorNode& t, Index i) {
  const std::size_t m = t.shape.size(), n = t.in[i].shape.size();
  std::vector<double> J(m * n), ybar(m, 0.0);
  for (std::size_t k = 0; k < m; ++k) {
    ybar[k] = 1.0;
    const std::vector<double> row = tensor_contribution(t, i, ybar.data());
    std::copy(row.begin(), row.end(), J.begin() + static_cast<std::ptrdiff_t>(k * n));
    ybar[k] = 0.0;
  }
  return J;
}

PartialRow from_jacobian(const TensorNode& t, Index i) {
  PartialRow p;
  p.formula = t.op->partial(t, static_cast<int>(i));
  const std::size_t m = t.shape.size(), n = t.in[i].shape.size();
  if (m * n > kMaxJacobian || m * n == 0) {
    p.shape = Shape::scalar();
    return p;
  }
  std::vector<double> J = jacobian(t, i);
  if (m == 1) {  // a gradient: the input's shape
    p.shape = t.in[i].shape;
    p.values = std::move(J);
    return p;
  }
  bool diagonal = m == n;
  for (std::size_t r = 0; diagonal && r < m; ++r) {
    for (std::size_t c = 0; diagonal && c < n; ++c) diagonal = r == c || J[r * n + c] == 0.0;
  }
  if (diagonal) {
    p.product = "⊙";
    p.shape = t.shape;
    for (std::size_t k = 0; k < m; ++k) p.values.push_back(J[k * n + k]);
    return p;
  }
  p.shape = Shape::matrix(static_cast<Index>(m), static_cast<Index>(n));
  p.values = std::move(J);
  return p;
}

// Ops that move elements: 1 where they copy, 0 elsewhere.
std::string copy_formula(const TensorNode& t, Index i, std::span<const std::string> names,
                         const std::string& self) {
  const std::string_view op = t.op->name();
  if (op == "reshape") {
    return fmt::format("1 (each element; {} reshaped to {})", t.in[0].shape, t.shape);
  }
  if (op == "transpose") return "1 (element [i, j] moved to [j, i])";
  if (op == "stack") return fmt::format("1 at {}[{}], 0 elsewhere", self, i);
  if (op == "concat") {
    std::string block = t.op->partial(t, static_cast<int>(i));  // "Ḡ[0:2]"
    const std::string bar = "Ḡ";
    if (block.starts_with(bar)) block = self + block.substr(bar.size());
    return fmt::format("1 on {}, 0 elsewhere", block);
  }
  if (op == "slice_rows" || op == "select_rows") {
    std::array<std::string, 3> in;
    for (Index j = 0; j < t.n_in && j < 3; ++j) in[j] = names[j];
    return fmt::format("1 where {} = {}, 0 elsewhere", self, t.op->definition(t, in));
  }
  return {};
}

}  // namespace

const OpInfo* elementwise_info(const TensorNode& t) {
  if (t.n_in < 1 || t.n_in > 2) return nullptr;
  for (std::size_t k = 0; k < static_cast<std::size_t>(Op::count); ++k) {
    const auto code = static_cast<Op>(k);
    if (code == Op::leaf || code == Op::constant || code == Op::tensor) continue;
    const OpInfo& info = op_info(code);
    if (info.name != t.op->name() || info.arity != t.n_in) continue;
    std::array<std::string, 4> ph{"a", "b", "", ""};
    for (std::size_t j = 0; j < info.n_consts; ++j) ph[2 + j] = fmt::format("{:g}", t.c[j]);
    if (substitute(info.def, ph) == t.op->definition(t, {"a", "b", ""})) return &info;
  }
  return nullptr;
}

std::vector<double> tensor_contribution(const TensorNode& t, Index i, const double* ybar) {
  // The node with input i alone requiring a gradient, its adjoint at slot 1 of a local array.
  std::vector<TensorArg> in(t.in, t.in + t.n_in);
  for (Index j = 0; j < t.n_in; ++j) in[j].slot = j == i ? 1 : 0;
  TensorNode cut = t;
  cut.in = in.data();
  std::vector<double> adj(1 + t.in[i].shape.size(), 0.0);
  t.op->vjp(cut, VjpArgs{ybar, adj.data()});
  return {adj.begin() + 1, adj.end()};
}

PartialRow tensor_partial(const TensorNode& t, Index i, std::span<const std::string> names,
                          const std::string& self) {
  PartialRow p;
  const std::string_view op = t.op->name();
  const TensorArg& a = t.in[i];
  if (const OpInfo* info = elementwise_info(t)) {
    p = elementwise(t, i, *info, names);
  } else if (op == "dot") {
    const TensorArg& other = t.in[1 - i];
    p.formula = names[1 - i];
    p.shape = other.shape;
    p.values.assign(other.data, other.data + other.shape.size());
  } else if (op == "matmul" && i == 1) {  // ∂(A@B)/∂B = A
    p.formula = names[0];
    p.shape = t.in[0].shape;
    p.values.assign(t.in[0].data, t.in[0].data + t.in[0].shape.size());
  } else if (op == "matmul") {  // ∂(A@B)/∂A = Bᵀ (a vector B: B in each row)
    const TensorArg& b = t.in[1];
    if (b.shape.rank == 2) {
      p.formula = names[1] + "ᵀ";
      p.shape = Shape::matrix(b.shape.cols, b.shape.rows);
      p.values = transposed(b);
    } else {
      p.formula = fmt::format("{} (in each row)", names[1]);
      p.shape = b.shape;
      p.values.assign(b.data, b.data + b.shape.size());
    }
  } else if (op == "sum") {
    p.formula = fmt::format("{}", 1);  // not = "1": GCC 12 warns falsely (-Wrestrict)
    as_number(p, 1.0);
  } else if (op == "mean") {
    const std::size_t n = t.shape.size() == 0 ? 0 : a.shape.size() / t.shape.size();
    p.formula = fmt::format("1/{}", n);
    as_number(p, n == 0 ? 0.0 : 1.0 / static_cast<double>(n));
  } else if (std::string copy = copy_formula(t, i, names, self); !copy.empty()) {
    p.formula = std::move(copy);
    as_number(p, 1.0);
  } else {
    p = from_jacobian(t, i);
  }
  // A partial that is a whole negated name reads without its parentheses: -X, not (-X).
  if (p.formula.size() > 3 && p.formula.starts_with("(-") && p.formula.ends_with(')') &&
      p.formula.find_first_of("()", 1) == p.formula.size() - 1) {
    p.formula = p.formula.substr(1, p.formula.size() - 2);
  }
  p.input = names[i];
  p.value = p.shape.is_scalar() && p.values.size() == 1 ? p.values.front()
                                                        : std::numeric_limits<double>::quiet_NaN();
  return p;
}

}  // namespace xi::detail
