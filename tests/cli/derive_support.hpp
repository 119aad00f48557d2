#pragma once
// For the derive tests: the formula `derive` prints for ∂expr/∂name, evaluated back through the
// expression parser (as `grad` would), next to the engine's gradient at the same point.

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <xigrad/autodiff/tape.hpp>

#include "expression_input.hpp"
#include "symbolic/derivatives.hpp"
#include "symbolic/print.hpp"

namespace xi::cli::test {

/// The printed formula of ∂expression/∂name with the variables of `bindings`' shapes.
inline std::string derived_text(const std::string& expression, const std::vector<Binding>& bindings,
                                const std::string& name, const BoundData* data = nullptr) {
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  for (const Binding& b : bindings) {
    names.push_back(b.name);
    shapes.push_back(b.shape);
  }
  sym::Symbolic s = sym::symbolic(expression, names, shapes, data);
  const std::vector<std::string> wrt{name};
  return sym::to_text(*s.pool, sym::derivatives(s, wrt, data).front().formula);
}

/// Every component of the derived formulas agrees with the engine's gradient (relative 1e-10).
inline void expect_formulas_agree(const std::string& expression,
                                  const std::vector<Binding>& bindings,
                                  const std::shared_ptr<const BoundData>& data = nullptr) {
  Tape tape;
  Tape::Scope scope(tape);
  const Problem problem(expression, bindings, data);
  const Recording r = problem.record();
  const std::vector<double> gradient = problem.backward_checked(r);
  for (std::size_t v = 0; v < bindings.size(); ++v) {
    const std::string formula = derived_text(expression, bindings, bindings[v].name, data.get());
    SCOPED_TRACE(expression + "  ∂/∂" + bindings[v].name + " = " + formula);
    const Problem back(formula, bindings, data, bindings[v].shape);
    const Value value = back.evaluate(back.constants());
    for (std::size_t i = 0; i < bindings[v].shape.size(); ++i) {
      const double engine = gradient[problem.offset(v) + i];
      const double derived = value.is_scalar() ? value.scalar().value() : value.element(i);
      EXPECT_LE(std::abs(derived - engine),
                1e-10 * std::max(std::abs(engine), std::abs(derived)) + 1e-14)
          << "component " << i << ": formula " << derived << ", engine " << engine;
    }
  }
}

}  // namespace xi::cli::test
