#include "expr/value.hpp"

#include <cmath>

namespace xi::cli {

Value::Value(const Tensor& t) {
  if (t.shape().is_scalar()) {
    scalar_ = t.item();
  } else {
    tensor_ = t;
  }
}

bool Value::all_finite() const {
  for (std::size_t i = 0; i < size(); ++i) {
    if (!std::isfinite(element(i))) return false;
  }
  return true;
}

}  // namespace xi::cli
