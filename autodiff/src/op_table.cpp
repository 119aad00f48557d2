#include <xigrad/autodiff/op_table.hpp>

#include <fmt/format.h>

#include <xigrad/autodiff/error.hpp>

namespace xi {
namespace {

template <class T>
concept HasKink = requires {
  &T::at_kink;
};

template <class T>
constexpr OpInfo unary_info() {
  OpInfo info;
  info.code = T::code;
  info.name = T::name;
  info.def = T::def;
  info.partial = {T::partial, {}};
  info.kink = T::kink;
  info.arity = 1;
  info.n_consts = T::n_consts;
  info.value = [](const double* in, const double* c) {
    return T::value(in[0], T::n_consts > 0 ? c[0] : 0.0, T::n_consts > 1 ? c[1] : 0.0);
  };
  info.partials = [](const double* in, double y, const double* c, double* out) {
    out[0] = T::d1(in[0], y, T::n_consts > 0 ? c[0] : 0.0, T::n_consts > 1 ? c[1] : 0.0);
  };
  info.second = [](const double* in, double y, const double* c, double* out) {
    out[0] = T::d2(in[0], y, T::n_consts > 0 ? c[0] : 0.0, T::n_consts > 1 ? c[1] : 0.0);
  };
  if constexpr (HasKink<T>) {
    info.at_kink = [](const double* in, const double* c) {
      return T::at_kink(in[0], T::n_consts > 0 ? c[0] : 0.0, T::n_consts > 1 ? c[1] : 0.0);
    };
  }
  return info;
}

template <class T>
constexpr OpInfo binary_info() {
  OpInfo info;
  info.code = T::code;
  info.name = T::name;
  info.def = T::def;
  info.partial = {T::partial_a, T::partial_b};
  info.kink = T::kink;
  info.arity = 2;
  info.value = [](const double* in, const double*) { return T::value(in[0], in[1]); };
  info.partials = [](const double* in, double y, const double*, double* out) {
    out[0] = T::da(in[0], in[1], y);
    out[1] = T::db(in[0], in[1], y);
  };
  info.second = [](const double* in, double y, const double*, double* out) {
    const auto s = T::d2(in[0], in[1], y);
    out[0] = s[0];
    out[1] = s[1];
    out[2] = s[2];
  };
  if constexpr (HasKink<T>) {
    info.at_kink = [](const double* in, const double*) { return T::at_kink(in[0], in[1]); };
  }
  return info;
}

constexpr std::array<OpInfo, static_cast<std::size_t>(Op::count)> make_table() {
  std::array<OpInfo, static_cast<std::size_t>(Op::count)> t{};
  auto put = [&t](OpInfo info) { t[static_cast<std::size_t>(info.code)] = info; };
  using namespace ops;
  put(binary_info<Add>());
  put(binary_info<Sub>());
  put(binary_info<Mul>());
  put(binary_info<Div>());
  put(binary_info<Pow>());
  put(binary_info<Min>());
  put(binary_info<Max>());
  put(unary_info<AddC>());
  put(unary_info<SubC>());
  put(unary_info<RsubC>());
  put(unary_info<MulC>());
  put(unary_info<DivC>());
  put(unary_info<RdivC>());
  put(unary_info<PowC>());
  put(unary_info<RpowC>());
  put(unary_info<LeakyRelu>());
  put(unary_info<Clamp>());
  put(unary_info<Neg>());
  put(unary_info<Exp>());
  put(unary_info<Log>());
  put(unary_info<Log1p>());
  put(unary_info<Expm1>());
  put(unary_info<Sqrt>());
  put(unary_info<Square>());
  put(unary_info<Reciprocal>());
  put(unary_info<Abs>());
  put(unary_info<Sin>());
  put(unary_info<Cos>());
  put(unary_info<Tan>());
  put(unary_info<Tanh>());
  put(unary_info<Sigmoid>());
  put(unary_info<Softplus>());
  put(unary_info<Relu>());
  return t;
}

constexpr auto kTable = make_table();

// A table entry that disagrees with the hot-path arity tables would corrupt the reverse sweep;
// check them against each other at compile time.
constexpr bool tables_consistent() {
  for (std::size_t i = 0; i < kTable.size(); ++i) {
    const auto code = static_cast<Op>(i);
    if (code == Op::leaf || code == Op::constant || code == Op::tensor) continue;
    if (kTable[i].code != code || kTable[i].value == nullptr) return false;
    if (kTable[i].arity != kArity[i] || kTable[i].n_consts != kConsts[i]) return false;
  }
  return true;
}
static_assert(tables_consistent(), "an element-wise op is missing from the op table");

}  // namespace

const OpInfo& op_info(Op code) {
  const auto i = static_cast<std::size_t>(code);
  if (is_statement(code)) {
    throw MissingRuleError(fmt::format(
        "a statement node ({} operands) has no element-wise rule: its partials were multiplied "
        "out when it was recorded (record with Granularity::operation to keep one node per op)",
        kArity[i]));
  }
  if (i >= kTable.size() || kTable[i].value == nullptr) {
    throw MissingRuleError(fmt::format("op code {} has no element-wise rule", i));
  }
  return kTable[i];
}

}  // namespace xi
