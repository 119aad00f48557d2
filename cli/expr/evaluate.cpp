#include "expr/evaluate.hpp"

#include <cmath>

#include <fmt/format.h>
#include <xigrad/autodiff/tensor.hpp>

#include "expr/expr_error.hpp"

namespace xi::cli {
namespace {

// An element-wise binary operation on two values: scalar nodes for two scalars, a tensor node
// otherwise, with a constant scalar folded into the tensor node (as `1 + ξ3` is one node).
template <class Op>
Value elementwise(const Value& a, const Value& b, Op op) {
  if (a.is_scalar() && b.is_scalar()) return Value(op(a.scalar(), b.scalar()));
  if (a.is_scalar() && a.is_constant()) return Value(op(a.scalar().value(), b.tensor()));
  if (b.is_scalar() && b.is_constant()) return Value(op(a.tensor(), b.scalar().value()));
  return Value(op(a.tensor(), b.tensor()));
}

Value index(const Value& a, std::size_t i) {
  const Tensor t = a.tensor();
  if (t.shape().rank == 1) return Value(t[i]);  // no node: the element's slot itself
  const auto row = static_cast<Index>(i);
  return Value(reshape(slice_rows(t, row, row + 1), Shape::vector(t.cols())));
}

Value literal(const Program& p, const Instr& in, const std::vector<Value>& v) {
  std::vector<Var> elements;
  elements.reserve(in.b);
  bool all_constant = true;
  for (std::uint32_t k = in.a; k < in.a + in.b; ++k) {
    elements.push_back(v[p.elements[k]].scalar());
    all_constant = all_constant && elements.back().is_constant();
  }
  const Shape shape = in.rows == 0 ? Shape::vector(in.b) : Shape::matrix(in.rows, in.b / in.rows);
  if (all_constant) {
    std::vector<double> data;
    data.reserve(elements.size());
    for (const Var& e : elements) data.push_back(e.value());
    return Value(constant(data.data(), shape));
  }
  const Tensor stacked = stack(elements);
  return Value(shape.rank == 1 ? stacked : reshape(stacked, shape));
}

Value call(const Function& f, const Value& a, const Value& b) {
  switch (f.kind) {
    case FunctionKind::reduction:
      return a.is_scalar() ? a : Value(f.reduce(a.tensor()));
    case FunctionKind::inner:
      return Value(f.inner(a.tensor(), b.tensor()));
    case FunctionKind::elementwise:
      break;
  }
  if (f.arity == 1)
    return a.is_scalar() ? Value(f.unary(a.scalar())) : Value(f.tensor_unary(a.tensor()));
  if (a.is_scalar() && b.is_scalar()) return Value(f.binary(a.scalar(), b.scalar()));
  return Value(f.tensor_binary(a.tensor(), b.tensor()));
}

}  // namespace

std::vector<Value> evaluate_all(const Program& program, std::span<const Value> variables) {
  std::vector<Value> v;
  v.reserve(program.code.size());
  for (const Instr& in : program.code) {
    switch (in.code) {
      case Code::number:
        v.emplace_back(Var(in.number));
        break;
      case Code::variable:
        v.push_back(variables[in.variable]);
        break;
      case Code::neg:
        v.push_back(v[in.a].is_scalar() ? Value(-v[in.a].scalar()) : Value(-v[in.a].tensor()));
        break;
      case Code::add:
        v.push_back(
            elementwise(v[in.a], v[in.b], [](const auto& x, const auto& y) { return x + y; }));
        break;
      case Code::sub:
        v.push_back(
            elementwise(v[in.a], v[in.b], [](const auto& x, const auto& y) { return x - y; }));
        break;
      case Code::mul:
        v.push_back(
            elementwise(v[in.a], v[in.b], [](const auto& x, const auto& y) { return x * y; }));
        break;
      case Code::div:
        v.push_back(
            elementwise(v[in.a], v[in.b], [](const auto& x, const auto& y) { return x / y; }));
        break;
      case Code::pow:
        v.push_back(elementwise(v[in.a], v[in.b],
                                [](const auto& x, const auto& y) { return xi::pow(x, y); }));
        break;
      case Code::matmul:
        v.push_back(Value(matmul(v[in.a].tensor(), v[in.b].tensor())));
        break;
      case Code::index:
        v.push_back(index(v[in.a], static_cast<std::size_t>(in.number)));
        break;
      case Code::literal:
        v.push_back(literal(program, in, v));
        break;
      case Code::call:
        v.push_back(call(*in.function, v[in.a], v[in.b]));
        break;
    }
  }
  return v;
}

Value evaluate(const Program& program, std::span<const Value> variables) {
  return evaluate_all(program, variables).back();
}

std::vector<std::size_t> resolve(const Program& program, std::span<const std::string> names) {
  std::vector<std::size_t> index;
  index.reserve(program.variables.size());
  for (const VariableRef& ref : program.variables) {
    std::size_t i = 0;
    while (i < names.size() && names[i] != ref.name) ++i;
    if (i == names.size()) {
      throw ExprError(fmt::format("unknown variable '{}' (give its value with --at {}=VALUE)",
                                  ref.name, ref.name),
                      program.source, ref.offset, ref.name.size());
    }
    index.push_back(i);
  }
  return index;
}

std::optional<std::uint32_t> first_non_finite(const std::vector<Value>& values) {
  for (std::uint32_t i = 0; i < values.size(); ++i) {
    if (!values[i].all_finite()) return i;
  }
  return std::nullopt;
}

}  // namespace xi::cli
