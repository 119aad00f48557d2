#pragma once
// A parsed expression as a flat list of instructions in evaluation order (post-order: every
// operand comes before its user), like the Wengert list the engine records from it. Identical
// subexpressions are stored once, so `exp(x)/(1 + exp(x))` computes exp(x) once and its ξ node
// is used twice. Evaluation is a loop, never a recursion, so a long expression cannot overflow
// the stack.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "expr/functions.hpp"

namespace xi::cli {

enum class Code : std::uint8_t {
  number,
  variable,
  neg,
  add,
  sub,
  mul,
  div,
  pow,
  matmul,   // a @ b
  index,    // a[number]: element `number` of a vector, row `number` of a matrix (0-based)
  literal,  // [e, ...] or [[e, ...], ...]: elements Program::elements[a, a + b)
  call
};

struct Instr {
  Code code = Code::number;
  double number = 0;                   // Code::number; Code::index: the index
  std::uint32_t variable = 0;          // Code::variable: index into Program::variables
  const Function* function = nullptr;  // Code::call
  std::uint32_t a = 0, b = 0;          // operand instructions (earlier indices)
  std::uint32_t rows = 0;              // Code::literal: rows of a matrix, 0 for a vector
  std::size_t offset = 0, length = 0;  // where it was written (bytes of the source)
};

struct VariableRef {
  std::string name;
  std::size_t offset = 0;  // first use
};

struct Program {
  std::string source;
  std::vector<Instr> code;              // post-order; the result is the last instruction
  std::vector<VariableRef> variables;   // in order of first use
  std::vector<std::uint32_t> elements;  // operands of the literals (row-major), see Code::literal

  std::uint32_t result() const { return static_cast<std::uint32_t>(code.size() - 1); }
  /// The source text of instruction i ("exp(-w*x)").
  std::string text_of(std::uint32_t i) const {
    return source.substr(code[i].offset, code[i].length);
  }
};

}  // namespace xi::cli
