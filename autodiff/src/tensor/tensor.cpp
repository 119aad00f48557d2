// Tensor handles, making tensors, parameters, and the TensorOp defaults.

#include <algorithm>
#include <cstring>
#include <new>

#include "record.hpp"

namespace xi {

Tensor::Tensor(const Var& v) {
  Tape& tape = Tape::current();
  tape.check(v.slot(), v.generation());
  double* d = tape.arena().allocate<double>(1);
  *d = v.value();
  data_ = d;
  shape_ = Shape::scalar();
  slot_ = v.slot();
  gen_ = tape.generation();
}

void Tensor::check_current() const {
  check(Tape::current());
}

TensorArg Tensor::arg(const Tape& tape) const {
  check(tape);
  return TensorArg{data_, shape_, slot_};
}

Var Tensor::operator[](std::size_t i) const {
  if (i >= size()) {
    throw ShapeError(fmt::format("index {} is out of range for a tensor of shape {}", i, shape_));
  }
  if (gen_ != 0) check_current();
  if (slot_ == 0) return Var(data_[i]);
  return Var::recorded(data_[i], slot_ + static_cast<Index>(i), gen_);
}

Var Tensor::item() const {
  if (size() != 1) {
    throw ShapeError(fmt::format("item() needs a tensor of one element, not shape {}", shape_));
  }
  return (*this)[0];
}

Matrix Tensor::adjoint() const {
  Matrix out = Matrix::Zero(shape_.rows, shape_.cols);
  if (gen_ == 0) return out;
  const Tape& tape = Tape::current();
  check(tape);
  if (slot_ == 0) return out;
  if (!tape.has_adjoints()) {
    throw TapeError("adjoint(): no backward pass has run on this recording since it changed");
  }
  std::copy_n(tape.adjoints() + slot_, size(), out.data());
  return out;
}

namespace {

Tensor copy_into_tape(const double* data, Shape shape) {
  Tape& tape = Tape::current();
  double* d = tape.arena().allocate<double>(shape.size());
  std::copy_n(data, shape.size(), d);
  return Tensor::make(d, shape, 0, tape.generation());
}

Tensor leaf_from(const double* data, Shape shape, std::string name) {
  Tape& tape = Tape::current();
  Index first = 0;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const Index s = tape.push_leaf(data[i]);
    if (i == 0) first = s;
  }
  if (!name.empty()) tape.name_leaf(first, std::move(name));
  double* d = tape.arena().allocate<double>(shape.size());
  std::copy_n(data, shape.size(), d);
  return Tensor::make(d, shape, first, tape.generation());
}

Shape shape_of(const Matrix& m) {
  return Shape::matrix(static_cast<Index>(m.rows()), static_cast<Index>(m.cols()));
}
Shape shape_of(const Vector& v) {
  return Shape::vector(static_cast<Index>(v.size()));
}

}  // namespace

Tensor constant(const double* data, Shape shape) {
  return copy_into_tape(data, shape);
}
Tensor borrow(const Matrix& values) {
  return borrow(values.data(), shape_of(values));
}
Tensor borrow(const Vector& values) {
  return borrow(values.data(), shape_of(values));
}
Tensor borrow(const double* data, Shape shape) {
  return Tensor::make(data, shape, 0, 0);
}
Tensor variable(const double* data, Shape shape, std::string name) {
  return leaf_from(data, shape, std::move(name));
}

Tensor detach(const Tensor& t) {
  if (t.generation() != 0) t.check(Tape::current());
  return Tensor::make(t.data(), t.shape(), 0, t.generation());
}

// ------------------------------------------------------------------ stack

namespace {

// stack(v₁, …, vₙ): its inputs are the n scalars; linear, so every rule copies or scatters.
class StackOp final : public TensorOp {
 public:
  std::string_view name() const override { return "stack"; }
  void forward(const TensorNode& n, double* out) const override {
    for (Index i = 0; i < n.n_in; ++i) out[i] = n.in[i].data[0];
  }
  void vjp(const TensorNode& n, const VjpArgs& a) const override {
    for (Index i = 0; i < n.n_in; ++i) {
      if (n.in[i].requires_grad()) a.in_bar(n, i)[0] += a.ybar[i];
    }
  }
  bool has_second_order() const override { return true; }
  void jvp(const TensorNode& n, const JvpArgs& a) const override {
    for (Index i = 0; i < n.n_in; ++i) std::copy_n(a.in_dot(n, i), a.k, a.out_dot + i * a.k);
  }
  void soa(const TensorNode& n, const SoaArgs& a) const override {
    for (Index i = 0; i < n.n_in; ++i) {
      if (!n.in[i].requires_grad()) continue;
      double* d = a.in_bar_dot(n, i);
      for (std::size_t k = 0; k < a.k; ++k) d[k] += a.ybar_dot[i * a.k + k];
    }
  }
};
const StackOp kStack;

}  // namespace

// The temporary input lists live in the tape's arena, so stack and apply allocate nothing on the
// heap once a training loop has reached its steady state.
Tensor stack(std::span<const Var> elements) {
  Tape& tape = Tape::current();
  const std::size_t n = elements.size();
  Tensor* parts = tape.arena().allocate<Tensor>(n);
  const Tensor** ptrs = tape.arena().allocate<const Tensor*>(n);
  for (std::size_t i = 0; i < n; ++i) {
    ptrs[i] = new (parts + i) Tensor(elements[i]);
  }
  return detail::record(kStack, Shape::vector(static_cast<Index>(n)),
                        std::span<const Tensor* const>(ptrs, n), [](TensorNode&) {});
}

Tensor apply(const TensorOp& op, std::span<const Tensor> inputs, Shape shape,
             std::array<double, 2> constants) {
  Tape& tape = Tape::current();
  const Tensor** ptrs = tape.arena().allocate<const Tensor*>(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) ptrs[i] = &inputs[i];
  return detail::record(op, shape, std::span<const Tensor* const>(ptrs, inputs.size()),
                        [&](TensorNode& n) { n.c = constants; });
}

// ------------------------------------------------------------------ TensorOp defaults

std::string TensorOp::definition(const TensorNode& node,
                                 const std::array<std::string, 3>& inputs) const {
  std::string args;
  for (Index i = 0; i < node.n_in && i < 3; ++i) {
    if (i > 0) args += ", ";
    args += inputs[i];
  }
  if (node.n_in > 3) args += ", …";
  return fmt::format("{}({})", name(), args);
}

std::string TensorOp::partial(const TensorNode&, int i) const {
  return fmt::format("vjp_{}({})", name(), i);
}

void TensorOp::jvp(const TensorNode&, const JvpArgs&) const {
  throw MissingRuleError(fmt::format(
      "op '{}' has no forward-tangent rule: it cannot be used in hessian, hvp or jacobian",
      name()));
}

void TensorOp::soa(const TensorNode&, const SoaArgs&) const {
  throw MissingRuleError(
      fmt::format("op '{}' has no second-order rule: it cannot be used in hessian or hvp", name()));
}

// ------------------------------------------------------------------ Parameter

Parameter::Parameter(double value, std::string name)
    : data_(std::make_shared<detail::ParamData>()) {
  data_->value = Matrix::Constant(1, 1, value);
  data_->grad = Matrix::Zero(1, 1);
  data_->shape = Shape::scalar();
  data_->name = std::move(name);
}

Parameter::Parameter(Matrix value, Shape shape, std::string name)
    : data_(std::make_shared<detail::ParamData>()) {
  data_->grad = Matrix::Zero(value.rows(), value.cols());
  data_->value = std::move(value);
  data_->shape = shape;
  data_->name = std::move(name);
}

Tensor Parameter::var() const {
  Tape& tape = Tape::current();
  const auto [slot, fresh] = tape.register_parameter(data_);
  if (fresh && !data_->name.empty()) tape.name_leaf(slot, data_->name);
  return Tensor::make(data_->value.data(), data_->shape, slot, tape.generation());
}

// ------------------------------------------------------------------ shape helpers

namespace detail {

Shape broadcast_shape(std::string_view op, const Shape& a, const Shape& b) {
  auto dim = [&](Index x, Index y) -> Index {
    if (x == y || y == 1) return x;
    if (x == 1) return y;
    throw ShapeError(fmt::format("{}: shapes {} and {} do not broadcast", op, a, b));
  };
  Shape out;
  out.rank = std::max(a.rank, b.rank);
  // A vector (n) broadcasts against the rows of a matrix, like NumPy's trailing-axis rule.
  out.rows = dim(a.rows, b.rows);
  out.cols = dim(a.cols, b.cols);
  if (out.rank < 2 && out.rows != 1) out.rank = 2;
  return out;
}

Groups groups_for(std::string_view op, const Shape& s, int axis, Shape* reduced) {
  if (axis == -1) {
    *reduced = Shape::scalar();
    return {1, s.size(), 0, 1};
  }
  if (s.rank == 1 && axis == 0) {
    *reduced = Shape::scalar();
    return {1, s.size(), 0, 1};
  }
  if (s.rank == 2 && axis == 0) {
    *reduced = Shape::vector(s.cols);
    return {s.cols, s.rows, 1, s.cols};
  }
  if (s.rank == 2 && axis == 1) {
    *reduced = Shape::vector(s.rows);
    return {s.rows, s.cols, s.cols, 1};
  }
  throw ShapeError(fmt::format("{}: axis {} is out of range for shape {}", op, axis, s));
}

Groups groups_along(std::string_view op, const Shape& s, int axis) {
  Shape ignored;
  if (axis == -1) axis = s.rank == 2 ? 1 : 0;
  if (s.rank == 0) return {1, 1, 0, 1};
  return groups_for(op, s, axis, &ignored);
}

}  // namespace detail
}  // namespace xi
