#pragma once
// Symbolic expressions over the expression language: a pool of hash-consed nodes (equal
// structure, equal id), each with its shape. Nodes are made in two ways:
//   - as written (`raw`): the structure of a parsed Program, kept for printing the ξ chain;
//   - simplified (`add`, `mul`, ...): sums and products in a canonical form (numbers folded,
//     like terms and powers of the same base collected, x·1, x+0, x·0, --x, x/x gone, a common
//     factor taken out of a sum, and a sum multiplied into a factor that cancels its
//     denominator: (1 − 1/r)·r = r − 1).
// Children always have smaller ids than their users, so ids are a topological order.

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include <xigrad/autodiff/shape.hpp>

#include "expr/functions.hpp"
#include "expr/program.hpp"

namespace xi::cli::sym {

using Id = std::uint32_t;

/// The same operations as the language's instructions (cli/expr/program.hpp).
using Kind = Code;

struct Node {
  Kind kind = Kind::number;
  double number = 0;                   // number; index: the index
  std::uint32_t variable = 0;          // variable: index into the pool's names
  const Function* function = nullptr;  // call
  std::vector<Id> args;                // operands (a literal: its elements, row-major)
  std::uint32_t rows = 0;              // literal: rows of a matrix, 0 for a vector
  Shape shape = Shape::scalar();
};

class Pool {
 public:
  /// The variables by name and shape (a name's index is its Node::variable).
  Pool(std::vector<std::string> names, std::vector<Shape> shapes);

  const Node& operator[](Id id) const { return nodes_[id]; }
  std::size_t size() const noexcept { return nodes_.size(); }
  const std::string& name(std::uint32_t variable) const { return names_[variable]; }
  std::span<const std::string> names() const noexcept { return names_; }

  Id number(double v);
  Id variable(std::uint32_t index);

  // As written: no simplification.
  Id raw(Kind kind, Id a, Id b = 0);
  Id raw_call(const Function& f, Id a, Id b = 0);
  Id raw_index(Id a, std::size_t i);
  Id raw_literal(std::vector<Id> elements, std::uint32_t rows);
  /// A value of ones with the shape of `like` (printed `like^0`).
  Id ones(Id like);

  // Simplified.
  Id add(Id a, Id b);
  Id sub(Id a, Id b);
  Id neg(Id a);
  Id mul(Id a, Id b);
  Id div(Id a, Id b);
  Id pow(Id a, Id b);
  Id call(const Function& f, Id a, Id b = 0);
  Id index(Id a, std::size_t i);

  bool is_number(Id id, double v) const {
    return nodes_[id].kind == Kind::number && nodes_[id].number == v;
  }

 private:
  struct Terms;
  struct Factors;
  using Key = std::tuple<Kind, std::uint64_t, std::uint32_t, const Function*, std::vector<Id>,
                         std::uint32_t>;

  Id make(Node n);
  Shape shape_of(const Node& n) const;

  void collect_terms(Id n, double c, Terms& t, int depth);
  void collect_factors(Id n, double e, Factors& f) const;
  Id build_sum(Terms t, int depth);
  Id build_product(Factors f, int depth);
  Id product_of(const Factors& f);
  Id sum_of(const Terms& t);
  Id keep_shape(Id result, const Shape& shape, Id witness);
  bool distribute(Factors& f, int depth);
  Id expand(const Factors& f, Id product, int depth);
  std::size_t tree_size(Id id, std::size_t limit) const;
  bool spend();
  void merge_exps(Factors& f, int depth);
  Id factor_out(const Terms& t, int depth);
  Id add_at(Id a, Id b, double sign, int depth);
  Id mul_at(Id a, Id b, double e, int depth);

  std::vector<std::string> names_;
  std::vector<Shape> shapes_;
  std::vector<Node> nodes_;
  std::map<Key, Id> seen_;
  int budget_ = 0;  // rewrites left for the simplified node being made
};

/// The nodes of a program, as written: element i is the node of instruction i.
std::vector<Id> from_program(Pool& pool, const Program& program);

}  // namespace xi::cli::sym
