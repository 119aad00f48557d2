// Uses the installed package: the gradient of the lecture's logistic loss at w = 0.5, x = 2.
#include <cmath>
#include <cstdio>

#include <xigrad/autodiff/autodiff.hpp>

int main() {
  xi::Var w = xi::variable(0.5, "w");
  const double x = 2.0, y = 1.0;
  xi::Var loss = -y * xi::log(1 / (1 + xi::exp(-w * x)));
  const double expected = -(1 - 1 / (1 + std::exp(-1.0))) * x;
  const double got = xi::grad(loss, w);
  std::printf("dL/dw = %.17g (expected %.17g)\n", got, expected);
  return std::abs(got - expected) < 1e-14 ? 0 : 1;
}
