#include "expr/shapes.hpp"

#include <fmt/format.h>

#include "expr/expr_error.hpp"

namespace xi::cli {
namespace {

const char* symbol(Code code) {
  switch (code) {
    case Code::add:
      return "+";
    case Code::sub:
      return "-";
    case Code::mul:
      return "*";
    case Code::div:
      return "/";
    case Code::pow:
      return "^";
    default:
      return "@";
  }
}

class Inference {
 public:
  Inference(const Program& p, std::span<const Shape> variables) : p_(p), vars_(variables) {}

  std::vector<Shape> run() {
    shapes_.reserve(p_.code.size());
    for (std::uint32_t i = 0; i < p_.code.size(); ++i) {
      const Shape s = shape_of(i, p_.code[i]);
      if (s.size() > kMaxElements) {
        fail(i, fmt::format("this value would have {} elements, more than the limit of {}",
                            s.size(), kMaxElements));
      }
      shapes_.push_back(s);
    }
    return std::move(shapes_);
  }

 private:
  [[noreturn]] void fail(std::uint32_t i, const std::string& what) const {
    throw ExprError(what, p_.source, p_.code[i].offset, p_.code[i].length);
  }

  // "`W` is a vector of shape (3)"
  std::string operand(std::uint32_t i) const {
    return fmt::format("`{}` is {}", p_.text_of(i), describe(shapes_[i]));
  }

  Shape broadcast(std::uint32_t at, const std::string& op, std::uint32_t a, std::uint32_t b) const {
    const Shape& x = shapes_[a];
    const Shape& y = shapes_[b];
    if (x == y || y.is_scalar()) return x;
    if (x.is_scalar()) return y;
    if (x.rank == 2 && y.rank == 1 && y.cols == x.cols) return x;
    if (x.rank == 1 && y.rank == 2 && x.cols == y.cols) return y;
    fail(at, fmt::format("shapes {} and {} do not match in '{}': {} and {} (element-wise "
                         "operations take equal shapes, a scalar with any shape, or a vector "
                         "(n) with each row of a matrix (m, n))",
                         x, y, op, operand(a), operand(b)));
  }

  Shape matmul(std::uint32_t at, std::uint32_t a, std::uint32_t b) const {
    const Shape& x = shapes_[a];
    const Shape& y = shapes_[b];
    if (x.is_scalar() || y.is_scalar()) {
      fail(at, fmt::format("'@' multiplies vectors and matrices, but {} (use '*' to scale)",
                           operand(x.is_scalar() ? a : b)));
    }
    const Index inner_a = x.cols;
    const Index inner_b = y.rank == 2 ? y.rows : y.cols;
    if (inner_a != inner_b) {
      fail(at, fmt::format("shapes {} and {} do not fit in '@': {} and {} ({} {} against {} {})", x,
                           y, operand(a), operand(b), inner_a, x.rank == 2 ? "columns" : "elements",
                           inner_b, y.rank == 2 ? "rows" : "elements"));
    }
    if (x.rank == 2 && y.rank == 2) return Shape::matrix(x.rows, y.cols);
    if (x.rank == 2) return Shape::vector(x.rows);
    if (y.rank == 2) return Shape::vector(y.cols);
    return Shape::scalar();
  }

  Shape index(std::uint32_t at, const Instr& in) const {
    const Shape& x = shapes_[in.a];
    if (x.is_scalar()) {
      fail(at, fmt::format("cannot index a scalar: {}", operand(in.a)));
    }
    const auto i = static_cast<std::size_t>(in.number);
    const Index n = x.rank == 2 ? x.rows : x.cols;
    if (i >= n) {
      fail(at, fmt::format("index {} is out of range: {} (indices start at 0, so they run from 0 "
                           "to {})",
                           i, operand(in.a), n - 1));
    }
    return x.rank == 2 ? Shape::vector(x.cols) : Shape::scalar();
  }

  Shape literal(const Instr& in) const {
    for (std::uint32_t k = in.a; k < in.a + in.b; ++k) {
      const std::uint32_t e = p_.elements[k];
      if (!shapes_[e].is_scalar()) {
        fail(e, fmt::format("the elements of a '[' literal are numbers (scalars), but {}",
                            operand(e)));
      }
    }
    if (in.rows == 0) return Shape::vector(in.b);
    return Shape::matrix(in.rows, in.b / in.rows);
  }

  Shape call(std::uint32_t at, const Instr& in) const {
    const Function& f = *in.function;
    switch (f.kind) {
      case FunctionKind::reduction:
        return Shape::scalar();
      case FunctionKind::inner: {
        const Shape& x = shapes_[in.a];
        const Shape& y = shapes_[in.b];
        if (x.is_scalar() || y.is_scalar() || !(x == y)) {
          fail(at,
               fmt::format("{} takes two vectors (or matrices) of the same shape, but {} and {}",
                           f.name, operand(in.a), operand(in.b)));
        }
        return Shape::scalar();
      }
      case FunctionKind::elementwise:
        break;
    }
    if (f.arity == 1) return shapes_[in.a];
    return broadcast(at, std::string(f.name), in.a, in.b);
  }

  Shape shape_of(std::uint32_t i, const Instr& in) const {
    switch (in.code) {
      case Code::number:
        return Shape::scalar();
      case Code::variable:
        return vars_[in.variable];
      case Code::neg:
        return shapes_[in.a];
      case Code::add:
      case Code::sub:
      case Code::mul:
      case Code::div:
      case Code::pow:
        return broadcast(i, symbol(in.code), in.a, in.b);
      case Code::matmul:
        return matmul(i, in.a, in.b);
      case Code::index:
        return index(i, in);
      case Code::literal:
        return literal(in);
      case Code::call:
        return call(i, in);
    }
    return Shape::scalar();
  }

  const Program& p_;
  std::span<const Shape> vars_;
  std::vector<Shape> shapes_;
};

}  // namespace

std::string describe(const Shape& s) {
  switch (s.rank) {
    case 0:
      return "a scalar";
    case 1:
      return fmt::format("a vector of shape {}", s);
    default:
      return fmt::format("a matrix of shape {}", s);
  }
}

std::vector<Shape> infer_shapes(const Program& program, std::span<const Shape> variables) {
  return Inference(program, variables).run();
}

}  // namespace xi::cli
