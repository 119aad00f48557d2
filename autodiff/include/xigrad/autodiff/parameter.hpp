#pragma once
// Parameters: values that live outside the tape and persist across Tape::clear(). Each
// recording that uses a parameter records it once as a leaf (its values are not copied);
// backward() adds ∂L/∂p into the parameter's gradient, which accumulates until zero_grad()
// (PyTorch's convention).
//
// Threads: any number of threads may record one parameter at once, each on its own tape, and
// call backward concurrently: each tape keeps its own slots for the parameter, and backward adds
// into grad() under a per-parameter lock. Reading grad() or changing value() while other
// threads record or run backward is a race: join (or otherwise synchronise with) them first.
// Concurrent additions happen in no fixed order, so the sum can differ from a sequential run in
// the last bits; for bit-identical results give each worker its own gradient (xi::grad(L, w.var()))
// and combine them in a fixed order.
//
//   xi::Parameter w(xi::Vector::Zero(3), "w");
//   for (...) { tape.clear(); xi::Var loss = f(w.var()); xi::backward(loss); step(w); }

#include <memory>
#include <mutex>
#include <string>

#include <xigrad/autodiff/matrix.hpp>
#include <xigrad/autodiff/shape.hpp>

namespace xi {

class Tape;
class Tensor;

namespace detail {
// Holds no per-recording state (each tape keeps its own parameter slots), so that several
// threads may record one parameter at once; grad_mutex serialises backward's additions to grad.
struct ParamData {
  Matrix value;
  Matrix grad;
  Shape shape;
  std::string name;
  std::mutex grad_mutex;
};
}  // namespace detail

class Parameter {
 public:
  /// A scalar parameter.
  explicit Parameter(double value = 0.0, std::string name = {});
  /// A vector parameter of shape (n) from an Eigen column vector, or a matrix parameter of
  /// shape (rows, cols) from any other Eigen matrix expression.
  template <class Derived>
  explicit Parameter(const Eigen::MatrixBase<Derived>& value, std::string name = {})
      : Parameter(Matrix(value.derived()
                             .reshaped(value.cols() == 1 ? 1 : value.rows(),
                                       value.cols() == 1 ? value.size() : value.cols())
                             .eval()),
                  Derived::ColsAtCompileTime == 1 ? Shape::vector(static_cast<Index>(value.size()))
                                                  : Shape::matrix(static_cast<Index>(value.rows()),
                                                                  static_cast<Index>(value.cols())),
                  std::move(name)) {}

  Shape shape() const noexcept { return data_->shape; }
  std::size_t size() const noexcept { return data_->shape.size(); }
  const std::string& name() const noexcept { return data_->name; }

  /// Values, row-major; change them only between recordings (e.g. in an optimizer step).
  Matrix& value() noexcept { return data_->value; }
  const Matrix& value() const noexcept { return data_->value; }
  double* data() noexcept { return data_->value.data(); }
  const double* data() const noexcept { return data_->value.data(); }
  /// Accumulated ∂L/∂p, same layout as value().
  Matrix& grad() noexcept { return data_->grad; }
  const Matrix& grad() const noexcept { return data_->grad; }
  void zero_grad() noexcept { data_->grad.setZero(); }

  /// This parameter as a leaf of the current tape's recording (recorded once per recording).
  Tensor var() const;

  /// Two Parameter objects that refer to the same parameter (copies share it).
  bool same_as(const Parameter& o) const noexcept { return data_ == o.data_; }

 private:
  Parameter(Matrix value, Shape shape, std::string name);
  std::shared_ptr<detail::ParamData> data_;
};

}  // namespace xi
