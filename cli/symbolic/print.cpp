#include "symbolic/print.hpp"

#include <vector>

#include <fmt/format.h>
#include <xigrad/autodiff/error.hpp>

namespace xi::cli::sym {
namespace {

// Binding strength of what is printed, as the parser's grammar (cli/expr/parser.hpp) ranks it.
enum Prec : int { kSum = 1, kSigned = 2, kProduct = 3, kPower = 4, kPostfix = 5, kPrimary = 6 };

struct Printed {
  std::string s;
  int prec = kPrimary;
};

void check_size(const Pool& pool, Id root) {
  // Size of the tree (a shared node counts each time it is printed), saturating.
  std::vector<std::size_t> size(root + 1, 0);
  for (Id n = 0; n <= root; ++n) {
    std::size_t s = 1;
    for (Id a : pool[n].args) s = std::min(s + size[a], kMaxPrintedNodes + 1);
    size[n] = s;
  }
  if (size[root] > kMaxPrintedNodes) {
    throw InputError(fmt::format("derive: the formula would have more than {} terms to print",
                                 kMaxPrintedNodes));
  }
}

std::string number_text(double v) {
  return fmt::format("{}", v);
}

class TextPrinter {
 public:
  explicit TextPrinter(const Pool& p) : p_(p) {}

  Printed print(Id id) const {
    const Node& x = p_[id];
    const auto arg = [&](std::size_t k, int need) { return wrap(print(x.args[k]), need); };
    switch (x.kind) {
      case Kind::number:
        return {number_text(x.number), x.number < 0 ? kSigned : kPrimary};
      case Kind::variable:
        return {p_.name(x.variable), kPrimary};
      case Kind::neg:
        return {fmt::format("-{}", arg(0, kSigned)), kSigned};
      case Kind::add:
        return {fmt::format("{} + {}", arg(0, kSum), arg(1, kSigned)), kSum};
      case Kind::sub:
        return {fmt::format("{} - {}", arg(0, kSum), arg(1, kSigned)), kSum};
      case Kind::mul:
        return {fmt::format("{}*{}", arg(0, kProduct), arg(1, kPower)), kProduct};
      case Kind::div:
        return {fmt::format("{}/{}", arg(0, kProduct), arg(1, kPower)), kProduct};
      case Kind::matmul:
        return {fmt::format("{}@{}", arg(0, kProduct), arg(1, kPower)), kProduct};
      case Kind::pow:
        return {fmt::format("{}^{}", arg(0, kPostfix), arg(1, kPower)), kPower};
      case Kind::index:
        return {fmt::format("{}[{}]", arg(0, kPostfix), x.number), kPostfix};
      case Kind::literal:
        return {literal(x), kPrimary};
      case Kind::call: {
        std::string s = fmt::format("{}({}", x.function->name, print(x.args[0]).s);
        if (x.args.size() > 1) s += fmt::format(", {}", print(x.args[1]).s);
        return {s + ")", kPrimary};
      }
    }
    return {};
  }

 private:
  static std::string wrap(const Printed& p, int need) {
    return p.prec < need ? fmt::format("({})", p.s) : p.s;
  }

  std::string literal(const Node& x) const {
    const std::size_t cols = x.rows == 0 ? x.args.size() : x.args.size() / x.rows;
    std::string s = x.rows == 0 ? "" : "[";
    for (std::size_t k = 0; k < x.args.size(); ++k) {
      if (k % cols == 0)
        s += k == 0 ? "[" : "], [";
      else
        s += ", ";
      s += print(x.args[k]).s;
    }
    return s + (x.rows == 0 ? "]" : "]]");
  }

  const Pool& p_;
};

class LatexPrinter {
 public:
  explicit LatexPrinter(const Pool& p) : p_(p) {}

  Printed print(Id id) const {
    const Node& x = p_[id];
    const auto arg = [&](std::size_t k, int need) { return wrap(print(x.args[k]), need); };
    const auto bare = [&](std::size_t k) { return print(x.args[k]).s; };
    switch (x.kind) {
      case Kind::number:
        return {number_text(x.number), x.number < 0 ? kSigned : kPrimary};
      case Kind::variable:
        return {name(p_.name(x.variable)), kPrimary};
      case Kind::neg:
        return {fmt::format("-{}", arg(0, kSigned)), kSigned};
      case Kind::add:
        return {fmt::format("{} + {}", arg(0, kSum), arg(1, kSigned)), kSum};
      case Kind::sub:
        return {fmt::format("{} - {}", arg(0, kSum), arg(1, kSigned)), kSum};
      case Kind::mul: {
        const std::string right = arg(1, kPower);
        const bool digit = !right.empty() &&
                           (std::isdigit(static_cast<unsigned char>(right[0])) || right[0] == '.');
        return {fmt::format("{}{}{}", arg(0, kProduct), digit ? " \\cdot " : " ", right), kProduct};
      }
      case Kind::div:
        return {fmt::format("\\frac{{{}}}{{{}}}", bare(0), bare(1)), kPrimary};
      case Kind::matmul: {
        const bool row = p_[x.args[0]].shape.rank == 1;
        return {fmt::format("{}{}{}", arg(0, row ? kPostfix : kProduct), row ? "^T " : " ",
                            arg(1, kPower)),
                kProduct};
      }
      case Kind::pow:
        return {fmt::format("{}^{{{}}}", arg(0, kPostfix), bare(1)), kPower};
      case Kind::index:
        return {fmt::format("{}_{{{}}}", arg(0, kPostfix), x.number), kPostfix};
      case Kind::literal:
        return {literal(x), kPrimary};
      case Kind::call:
        return call(x);
    }
    return {};
  }

 private:
  static std::string wrap(const Printed& p, int need) {
    return p.prec < need ? fmt::format("\\left({}\\right)", p.s) : p.s;
  }

  static std::string name(const std::string& n) { return latex_name(n); }

  Printed call(const Node& x) const {
    const std::string_view f = x.function->name;
    const std::string a = print(x.args[0]).s;
    const auto paren = [&](std::string_view op) {
      std::string s = fmt::format("{}\\left({}", op, a);
      if (x.args.size() > 1) s += fmt::format(", {}", print(x.args[1]).s);
      return Printed{s + "\\right)", kPrimary};
    };
    if (f == "exp") return {fmt::format("e^{{{}}}", a), kPower};
    if (f == "sqrt") return {fmt::format("\\sqrt{{{}}}", a), kPrimary};
    if (f == "abs") return {fmt::format("\\left|{}\\right|", a), kPrimary};
    if (f == "pow") {
      return {fmt::format("{}^{{{}}}", wrap(print(x.args[0]), kPostfix), print(x.args[1]).s),
              kPower};
    }
    if (f == "dot") {
      return {
          fmt::format("{}^T {}", wrap(print(x.args[0]), kPostfix), wrap(print(x.args[1]), kPower)),
          kProduct};
    }
    if (f == "log" || f == "sin" || f == "cos" || f == "tan" || f == "tanh" || f == "min" ||
        f == "max") {
      return paren(fmt::format("\\{}", f));
    }
    if (f == "sigmoid") return paren("\\sigma");
    if (f == "sum") return paren("\\sum");
    return paren(fmt::format("\\operatorname{{{}}}", f));
  }

  std::string literal(const Node& x) const {
    const std::size_t cols = x.rows == 0 ? x.args.size() : x.args.size() / x.rows;
    std::string s = "\\begin{bmatrix} ";
    for (std::size_t k = 0; k < x.args.size(); ++k) {
      if (k > 0) s += x.rows == 0 ? " & " : (k % cols == 0 ? " \\\\ " : " & ");
      s += print(x.args[k]).s;
    }
    return s + " \\end{bmatrix}";
  }

  const Pool& p_;
};

}  // namespace

std::string latex_name(const std::string& n) {
  constexpr std::string_view kXi = "ξ";
  if (n.size() > kXi.size() && n.starts_with(kXi)) {
    return fmt::format("\\xi_{{{}}}", n.substr(kXi.size()));
  }
  std::string s;
  for (char c : n) s += c == '_' ? std::string("\\_") : std::string(1, c);
  return n.size() > 1 ? fmt::format("\\mathit{{{}}}", s) : s;
}

std::string to_text(const Pool& pool, Id id) {
  check_size(pool, id);
  return TextPrinter(pool).print(id).s;
}

std::string to_latex(const Pool& pool, Id id) {
  check_size(pool, id);
  return LatexPrinter(pool).print(id).s;
}

}  // namespace xi::cli::sym
