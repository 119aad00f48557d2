#include "lecture_table.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <xigrad/autodiff/error.hpp>

#include "explain_recording.hpp"
#include "expr/shapes.hpp"
#include "format.hpp"
#include "symbolic/derive.hpp"
#include "symbolic/print.hpp"

namespace xi::cli {
namespace {

using sym::Id;
using sym::Kind;

// Paths from L to the variable shown one by one; more are summarised.
constexpr std::size_t kMaxPaths = 4;

std::vector<Shape> variable_shapes(const Problem& problem) {
  std::vector<Shape> shapes;
  for (const VariableRef& v : problem.program().variables) {
    Shape s = Shape::scalar();
    for (const Binding& b : problem.bindings()) {
      if (b.name == v.name) s = b.shape;
    }
    for (const Binding& b : problem.constant_bindings()) {
      if (b.name == v.name) s = b.shape;
    }
    if (const DataBinding* d = problem.data() ? problem.data()->find(v.name) : nullptr) {
      s = d->shape;
    }
    shapes.push_back(s);
  }
  return shapes;
}

// Data: a --const name or a data column (explain records it as a named constant).
bool is_data(const Problem& problem, const std::string& name) {
  const auto& b = problem.bindings();
  return std::none_of(b.begin(), b.end(), [&](const Binding& x) { return x.name == name; });
}

std::vector<std::uint32_t> operands(const Program& p, const Instr& in) {
  switch (in.code) {
    case Code::number:
    case Code::variable:
      return {};
    case Code::neg:
    case Code::index:
      return {in.a};
    case Code::literal:
      return {p.elements.begin() + in.a, p.elements.begin() + in.a + in.b};
    case Code::call:
      return in.function->arity == 2 ? std::vector<std::uint32_t>{in.a, in.b}
                                     : std::vector<std::uint32_t>{in.a};
    default:
      return {in.a, in.b};
  }
}

// Nodes the engine records for an instruction that depends on a variable (see the header).
int nodes_for(const Instr& in, const std::vector<Shape>& shapes) {
  switch (in.code) {
    case Code::number:
    case Code::variable:
      return 0;
    case Code::index:
      return shapes[in.a].rank == 2 ? 2 : 0;
    case Code::literal:
      return in.rows == 0 ? 1 : 2;
    case Code::call:
      return in.function->kind == FunctionKind::reduction && shapes[in.a].is_scalar() ? 0 : 1;
    default:
      return 1;
  }
}

std::vector<bool> depends_on(const Program& p, const std::function<bool(std::uint32_t)>& leaf) {
  std::vector<bool> d(p.code.size(), false);
  for (std::uint32_t i = 0; i < p.code.size(); ++i) {
    if (p.code[i].code == Code::variable) {
      d[i] = leaf(p.code[i].variable);
    } else {
      for (std::uint32_t j : operands(p, p.code[i])) d[i] = d[i] || d[j];
    }
  }
  return d;
}

class Lecture {
 public:
  Lecture(const Problem& problem, const std::string& wrt) : prog_(problem.program()) {
    const std::vector<Shape> var_shapes = variable_shapes(problem);
    const std::vector<Shape> shapes = infer_shapes(prog_, var_shapes);
    const auto nvars = static_cast<std::uint32_t>(prog_.variables.size());
    const auto it = std::find_if(prog_.variables.begin(), prog_.variables.end(),
                                 [&](const VariableRef& v) { return v.name == wrt; });
    if (it == prog_.variables.end() || is_data(problem, wrt)) {
      throw InputError(
          fmt::format("--lecture {}: '{}' is not a variable of the expression", wrt, wrt));
    }
    wrt_ = static_cast<std::uint32_t>(it - prog_.variables.begin());
    absorbed_ = explain_folding(problem).absorbed;
    numbers_ = numbers(problem, shapes);
    depends_ = depends_on(prog_, [&](std::uint32_t v) { return v == wrt_; });

    std::vector<std::string> names;
    std::vector<Shape> pool_shapes = var_shapes;
    for (const VariableRef& v : prog_.variables) names.push_back(v.name);
    for (std::uint32_t i = 0; i < prog_.code.size(); ++i) {
      if (numbers_[i] == 0) continue;
      xi_of_var_.push_back(negation_of(i).value_or(i));  // -(C·x): its negation
      names.push_back(fmt::format("ξ{}", numbers_[i]));
      pool_shapes.push_back(shapes[i]);
    }
    // Each name again as a scalar: an element-wise node's local partial is taken with these,
    // so that it is the element-wise formula (not summed over a broadcast operand).
    twins_ = static_cast<std::uint32_t>(names.size());
    for (std::uint32_t k = 0; k < twins_; ++k) {
      names.push_back(names[k]);
      pool_shapes.push_back(Shape::scalar());
    }
    pool_ = std::make_unique<sym::Pool>(std::move(names), std::move(pool_shapes));
    sym::Pool& pool = *pool_;
    raw_ = sym::from_program(pool, prog_);

    // Each instruction as the lecture names it: a ξ, a leaf, a number, or what it aliases.
    std::vector<Id> symbol(prog_.code.size()), twin(prog_.code.size());
    std::uint32_t ordinal = nvars;
    for (std::uint32_t i = 0; i < prog_.code.size(); ++i) {
      const Instr& in = prog_.code[i];
      if (folded_neg(i)) {  // -(C·x): one node with its product, as explain records it
        symbol[i] = symbol[in.a];
        twin[i] = twin[in.a];
        continue;
      }
      if (numbers_[i] != 0) {
        symbol[i] = pool.variable(ordinal);
        twin[i] = pool.variable(twins_ + ordinal++);
        // A product whose negation explain folds into it is the row of -(C·x).
        const std::optional<std::uint32_t> neg = negation_of(i);
        const auto signed_by = [&](Id e) { return neg ? pool.raw(Kind::neg, e) : e; };
        rows_.push_back(
            Row{i, signed_by(rebuild(in, symbol)), raw_[neg.value_or(i)], std::nullopt, {}});
        if (elementwise(in)) rows_.back().local = signed_by(rebuild(in, twin));
        continue;
      }
      if (in.code == Code::index) {  // an element of a vector: its slot, W[0] or ξ3[0]
        symbol[i] = pool.raw_index(symbol[in.a], static_cast<std::size_t>(in.number));
      } else if (in.code == Code::call && nodes_for(in, shapes) == 0) {
        symbol[i] = symbol[in.a];  // the sum or mean of a scalar is the scalar
      } else {
        symbol[i] = raw_[i];
      }
      twin[i] = symbol[i];
      if (in.code == Code::variable) {
        twin[i] = pool.variable(twins_ + in.variable);
      } else if (in.code != Code::number && in.code != Code::index && in.code != Code::literal &&
                 !(in.code == Code::call && nodes_for(in, shapes) == 0)) {
        twin[i] = rebuild(in, twin);
      }
    }
    symbol_ = symbol;
    for (Row& row : rows_) {
      std::vector<std::uint32_t> seen;
      for (std::uint32_t j : operands(prog_, prog_.code[row.instr])) {
        if (!depends_[j] || std::find(seen.begin(), seen.end(), j) != seen.end()) continue;
        seen.push_back(j);
        const std::optional<std::uint32_t> v = variable_of(symbol[j]);
        if (!v) continue;
        const Instr& in = prog_.code[row.instr];
        // The Jacobian of M@w by w is M itself; an element-wise partial is taken over the
        // scalar twins; what is left drops its ones.
        const bool matrix_times = in.code == Code::matmul && j == in.b && shapes[in.a].rank == 2 &&
                                  shapes[in.b].rank == 1;
        const std::optional<std::uint32_t> t = row.local ? variable_of(twin[j]) : std::nullopt;
        const Id d = matrix_times ? symbol[in.a]
                     : t          ? local(sym::derivative(pool, *row.local, *t))
                                  : local(sym::derivative(pool, row.def, *v));
        row.partials.push_back({pool.name(*v), d, substitute(d)});
      }
    }
    if (rows_.empty()) {
      throw InputError(
          fmt::format("--lecture: '{}' records no ξ node (it is a variable itself)", prog_.source));
    }
    derivative_ = sym::derivative(pool, raw_.back(), wrt_);
  }

  std::string text() const {
    const sym::Pool& pool = *pool_;
    TextTable t({"variable", "local partial", "in the leaves"});
    for (const Row& row : rows_) {
      const std::string xi = fmt::format("ξ{}", numbers_[row.instr]);
      const std::string def = sym::to_text(pool, row.def);
      const std::string leaves = sym::to_text(pool, row.leaves);
      const std::string variable = def == leaves ? fmt::format("{} = {}", xi, def)
                                                 : fmt::format("{} = {} = {}", xi, def, leaves);
      if (row.partials.empty()) t.add({variable, "", ""});
      for (std::size_t k = 0; k < row.partials.size(); ++k) {
        const Partial& p = row.partials[k];
        t.add({k == 0 ? variable : "",
               fmt::format("∂{}/∂{} = {}", xi, p.input, sym::to_text(pool, p.formula)),
               sym::to_text(pool, p.leaves)});
      }
    }
    const std::string by = pool.name(wrt_);
    t.add({fmt::format("∂L/∂{}", by),
           chain(" · ", [](const std::string& a,
                           const std::string& b) { return fmt::format("∂{}/∂{}", a, b); }),
           sym::to_text(pool, derivative_)});
    return fmt::format("ξ table of L = {} by {}, as the lecture writes it\n\n{}\nL = ξ{}\n",
                       prog_.source, by, t.str(), numbers_[rows_.back().instr]);
  }

  std::string latex() const {
    const sym::Pool& pool = *pool_;
    const auto d = [](const std::string& a, const std::string& b) {
      return fmt::format("\\frac{{\\partial {}}}{{\\partial {}}}", a, b);
    };
    std::string out =
        "\\begin{tabular}{lll}\nVariables & Partial derivatives & Partial "
        "derivatives in the leaves \\\\\n\\hline\n";
    for (const Row& row : rows_) {
      const std::string xi = sym::latex_name(fmt::format("ξ{}", numbers_[row.instr]));
      const std::string def = sym::to_latex(pool, row.def);
      const std::string leaves = sym::to_latex(pool, row.leaves);
      const std::string variable = def == leaves ? fmt::format("${} = {}$", xi, def)
                                                 : fmt::format("${} = {} = {}$", xi, def, leaves);
      if (row.partials.empty()) out += fmt::format("{} & & \\\\\n", variable);
      for (std::size_t k = 0; k < row.partials.size(); ++k) {
        const Partial& p = row.partials[k];
        const std::string lhs = d(xi, sym::latex_name(p.input));
        out += fmt::format("{} & ${} = {}$ & ${} = {}$ \\\\\n", k == 0 ? variable : "", lhs,
                           sym::to_latex(pool, p.formula), lhs, sym::to_latex(pool, p.leaves));
      }
    }
    const std::string lhs = d("L", sym::latex_name(pool.name(wrt_)));
    out += fmt::format("${} = {}$ & & ${} = {}$ \\\\\n\\end{{tabular}}\n", lhs,
                       chain(" ",
                             [](const std::string& a, const std::string& b) {
                               return fmt::format("\\frac{{\\partial {}}}{{\\partial {}}}",
                                                  sym::latex_name(a), sym::latex_name(b));
                             }),
                       lhs, sym::to_latex(pool, derivative_));
    return out;
  }

  const std::vector<int>& numbers() const { return numbers_; }

 private:
  struct Partial {
    std::string input;
    Id formula = 0;
    Id leaves = 0;
  };
  struct Row {
    std::uint32_t instr = 0;
    Id def = 0;               // in the ξ
    Id leaves = 0;            // as written, in the leaves
    std::optional<Id> local;  // element-wise nodes: over the scalar twins
    std::vector<Partial> partials;
  };

  std::vector<int> numbers(const Problem& problem, const std::vector<Shape>& shapes) const {
    const std::vector<bool> variable = depends_on(
        prog_, [&](std::uint32_t v) { return !is_data(problem, prog_.variables[v].name); });
    std::vector<int> out(prog_.code.size(), 0);
    int k = 0;
    for (std::uint32_t i = 0; i < prog_.code.size(); ++i) {
      const int n = nodes_for(prog_.code[i], shapes);
      if (variable[i] && n > 0 && !folded_neg(i)) out[i] = k += n;
    }
    return out;
  }

  // The instruction `in` with its operands replaced by their symbols.
  Id rebuild(const Instr& in, const std::vector<Id>& s) {
    sym::Pool& pool = *pool_;
    switch (in.code) {
      case Code::neg:
        return pool.raw(Kind::neg, s[in.a]);
      case Code::index:
        return pool.raw_index(s[in.a], static_cast<std::size_t>(in.number));
      case Code::literal: {
        std::vector<Id> e;
        for (std::uint32_t k = in.a; k < in.a + in.b; ++k) e.push_back(s[prog_.elements[k]]);
        return pool.raw_literal(std::move(e), in.rows);
      }
      case Code::call:
        return pool.raw_call(*in.function, s[in.a], s[in.b]);
      default:
        return pool.raw(in.code, s[in.a], s[in.b]);
    }
  }

  std::optional<std::uint32_t> variable_of(Id id) const {
    const sym::Node& x = (*pool_)[id];
    if (x.kind == Kind::variable) return x.variable;
    if (x.kind == Kind::index) return variable_of(x.args[0]);
    return std::nullopt;
  }

  // A formula in the ξ written out in the leaves (and simplified).
  Id substitute(Id id) { return transform(id, true, memo_); }

  // A local partial as the lecture writes it: element-wise, so without the ones (x^0) that
  // keep the shape of a vector's derivative.
  Id local(Id id) { return transform(id, false, local_memo_); }

  Id transform(Id id, bool leaves, std::map<Id, Id>& memo) {
    sym::Pool& pool = *pool_;
    if (auto it = memo.find(id); it != memo.end()) return it->second;
    const sym::Node x = pool[id];
    const auto s = [&](std::size_t k) { return transform(x.args[k], leaves, memo); };
    Id out = id;
    switch (x.kind) {
      case Kind::number:
        break;
      case Kind::variable: {
        const std::uint32_t v = x.variable >= twins_ ? x.variable - twins_ : x.variable;
        if (leaves && v >= prog_.variables.size()) {
          out = raw_[xi_of_var_[v - prog_.variables.size()]];
        } else if (leaves) {
          out = pool.variable(v);
        }
        break;
      }
      case Kind::neg:
        out = pool.neg(s(0));
        break;
      case Kind::add:
        out = pool.add(s(0), s(1));
        break;
      case Kind::sub:
        out = pool.sub(s(0), s(1));
        break;
      case Kind::mul:
        out = pool.mul(s(0), s(1));
        break;
      case Kind::div:
        out = pool.div(s(0), s(1));
        break;
      case Kind::pow:
        out = !leaves && pool.is_number(x.args[1], 0) ? pool.number(1) : pool.pow(s(0), s(1));
        break;
      case Kind::matmul:
        out = pool.raw(Kind::matmul, s(0), s(1));
        break;
      case Kind::index:
        out = pool.index(s(0), static_cast<std::size_t>(x.number));
        break;
      case Kind::literal: {
        std::vector<Id> e;
        for (std::size_t k = 0; k < x.args.size(); ++k) e.push_back(s(k));
        out = pool.raw_literal(std::move(e), x.rows);
        break;
      }
      case Kind::call:
        out = pool.call(*x.function, s(0), x.args.size() > 1 ? s(1) : 0);
        break;
    }
    memo.emplace(id, out);
    return out;
  }

  // The chain of partials from L down to the variable, one product per path.
  template <class Partial>
  std::string chain(std::string_view times, Partial partial) const {
    std::vector<std::vector<std::string>> paths;
    std::size_t total = 0;
    std::vector<std::string> path;
    walk(prog_.result(), path, paths, total, partial);
    if (total > kMaxPaths) {
      return fmt::format(
          "the sum over the {} paths from {} to L of the products of the local "
          "partials",
          total, pool_->name(wrt_));
    }
    std::string out;
    for (const auto& p : paths) {
      if (!out.empty()) out += " + ";
      for (std::size_t k = 0; k < p.size(); ++k) out += (k ? std::string(times) : "") + p[k];
    }
    return out;
  }

  template <class Partial>
  void walk(std::uint32_t i, std::vector<std::string>& path,
            std::vector<std::vector<std::string>>& paths, std::size_t& total,
            Partial partial) const {
    if (total > kMaxPaths) return;
    const Instr& in = prog_.code[i];
    if (in.code == Code::variable) {
      ++total;
      if (total <= kMaxPaths) paths.push_back(path);
      return;
    }
    std::vector<std::uint32_t> seen;
    for (std::uint32_t j : operands(prog_, in)) {
      if (!depends_[j] || std::find(seen.begin(), seen.end(), j) != seen.end()) continue;
      seen.push_back(j);
      if (numbers_[i] == 0) {  // an alias (an element, the sum of a scalar): no partial of its own
        walk(j, path, paths, total, partial);
        continue;
      }
      const std::optional<std::uint32_t> v = variable_of(symbol_[j]);
      path.push_back(partial(fmt::format("ξ{}", numbers_[i]), v ? pool_->name(*v) : "?"));
      if (prog_.code[j].code != Code::variable) {
        walk(j, path, paths, total, partial);
      } else {
        ++total;
        if (total <= kMaxPaths) paths.push_back(path);
      }
      path.pop_back();
    }
  }

  static bool elementwise(const Instr& in) {
    switch (in.code) {
      case Code::neg:
      case Code::add:
      case Code::sub:
      case Code::mul:
      case Code::div:
      case Code::pow:
        return true;
      case Code::call:
        return in.function->kind == FunctionKind::elementwise;
      default:
        return false;
    }
  }

  const Program& prog_;
  std::uint32_t wrt_ = 0;
  std::uint32_t twins_ = 0;  // pool variable k + twins_ is variable k as a scalar
  std::vector<int> numbers_;
  std::vector<char> absorbed_;  // products explain folds their negation into

  bool folded_neg(std::uint32_t i) const {
    return prog_.code[i].code == Code::neg && absorbed_[prog_.code[i].a] != 0;
  }
  std::optional<std::uint32_t> negation_of(std::uint32_t i) const {
    if (absorbed_[i] == 0) return std::nullopt;
    for (std::uint32_t k = i + 1; k < prog_.code.size(); ++k) {
      if (folded_neg(k) && prog_.code[k].a == i) return k;
    }
    return std::nullopt;
  }
  std::vector<bool> depends_;
  std::vector<std::uint32_t> xi_of_var_;  // pool variable (past the program's) → instruction
  std::unique_ptr<sym::Pool> pool_;
  std::vector<Id> raw_, symbol_;
  std::vector<Row> rows_;
  std::map<Id, Id> memo_, local_memo_;
  Id derivative_ = 0;
};

}  // namespace

void LectureArgs::add_to(CLI::App& cmd) {
  CLI::Option* lecture = cmd.add_option(
      "--lecture", wrt,
      "print the table as the lecture writes it, by the variable NAME: definitions and local "
      "partials in the ξ and in the leaves, the chain and ∂L/∂NAME");
  cmd.add_flag("--latex", latex, "with --lecture: print the table as a LaTeX tabular")
      ->needs(lecture);
  for (const char* other : {"--json", "--steps", "--dot"}) {
    if (CLI::Option* o = cmd.get_option_no_throw(other)) lecture->excludes(o);
  }
}

std::string lecture_table(const Problem& problem, const std::string& wrt, bool latex) {
  const Lecture lecture(problem, wrt);
  return latex ? lecture.latex() : lecture.text();
}

std::vector<int> xi_numbers(const Problem& problem) {
  const Program& p = problem.program();
  for (const VariableRef& v : p.variables) {
    if (!is_data(problem, v.name)) return Lecture(problem, v.name).numbers();
  }
  return std::vector<int>(p.code.size(), 0);
}

}  // namespace xi::cli
