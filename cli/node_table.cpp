#include "node_table.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <xigrad/optim/input_file.hpp>

#include "expr/expr_error.hpp"
#include "expr/parser.hpp"
#include "expression_input.hpp"

namespace xi::cli {
namespace {

constexpr std::string_view kXi = "ξ";         // 2 bytes, like its replacement "xi", so
constexpr std::string_view kPartial = "∂/∂";  // offsets in the normalized line are offsets in
constexpr std::string_view kD = "d/";         // the line as written

std::string normalize(std::string line) {
  for (auto p = line.find(kXi); p != std::string::npos; p = line.find(kXi, p + 2)) {
    line.replace(p, kXi.size(), "xi");
  }
  return line;
}

// [begin, end) of `s` without the blanks at either end.
std::pair<std::size_t, std::size_t> trimmed(std::string_view s, std::size_t begin,
                                            std::size_t end) {
  while (begin < end && (s[begin] == ' ' || s[begin] == '\t')) ++begin;
  while (end > begin && (s[end - 1] == ' ' || s[end - 1] == '\t')) --end;
  return {begin, end};
}

class LineParser {
 public:
  LineParser(const HandTable& table, HandRow& row, std::string norm)
      : table_(table), row_(row), norm_(std::move(norm)) {}

  void run(std::size_t end) {
    std::vector<std::size_t> bars;
    for (std::size_t p = norm_.find('|'); p < end; p = norm_.find('|', p + 1)) bars.push_back(p);
    bars.push_back(end);
    head(0, bars[0]);
    for (std::size_t k = 0; k + 1 < bars.size(); ++k) partial(bars[k] + 1, bars[k + 1]);
  }

 private:
  // NAME = DEFINITION
  void head(std::size_t begin, std::size_t end) {
    const auto eq = norm_.find('=', begin);
    const auto [b, e] = trimmed(norm_, begin, std::min(eq, end));
    if (eq >= end) {
      throw table_.error_at(row_, b, e - b, "expected NAME = DEFINITION");
    }
    row_.name = norm_.substr(b, e - b);
    name(b, "the row's name");
    row_.definition = expression(eq + 1, end);
  }

  // d/NAME = FORMULA (or ∂/∂NAME = FORMULA)
  void partial(std::size_t begin, std::size_t end) {
    auto [b, e] = trimmed(norm_, begin, end);
    HandPartial p;
    p.input_offset = b;
    const std::string_view s(norm_);
    std::size_t after = b;
    if (s.substr(b, kD.size()) == kD) {
      after = b + kD.size();
    } else if (s.substr(b, kPartial.size()) == kPartial) {
      after = b + kPartial.size();
    } else {
      throw table_.error_at(row_, b, std::max<std::size_t>(e - b, 1),
                            "expected a partial d/NAME = FORMULA after '|'");
    }
    const auto eq = norm_.find('=', after);
    if (eq >= e) throw table_.error_at(row_, b, e - b, "expected d/NAME = FORMULA");
    const auto [nb, ne] = trimmed(norm_, after, eq);
    p.input = norm_.substr(nb, ne - nb);
    if (p.input.empty()) throw table_.error_at(row_, b, eq - b, "the name after d/ is missing");
    const std::vector<std::string> inputs = row_.inputs();
    if (std::find(inputs.begin(), inputs.end(), p.input) == inputs.end()) {
      std::string list;
      for (const std::string& i : inputs) list += (list.empty() ? "" : ", ") + i;
      throw table_.error_at(row_, nb, ne - nb,
                            fmt::format("'{}' is not an input of row {} (its definition uses {})",
                                        p.input, row_.name, list.empty() ? "no variable" : list));
    }
    for (const HandPartial& q : row_.partials) {
      if (q.input == p.input) {
        throw table_.error_at(row_, b, eq - b,
                              fmt::format("d/{} is given twice in row {}", p.input, row_.name));
      }
    }
    p.formula = expression(eq + 1, e);
    row_.partials.push_back(std::move(p));
  }

  void name(std::size_t at, std::string_view what) const {
    try {
      check_variable_name(row_.name, what);
    } catch (const InputError& e) {
      throw table_.error_at(row_, at, std::max<std::size_t>(row_.name.size(), 1), e.what());
    }
  }

  HandExpr expression(std::size_t begin, std::size_t end) const {
    const auto [b, e] = trimmed(norm_, begin, end);
    try {
      return {parse(norm_.substr(b, e - b)), b};
    } catch (const ExprError&) {
      // Parse it again behind one blank per character of the line before it, so that the
      // columns the message names ("the '(' at column 9") are columns of the line.
      const std::size_t pad = column_of(row_.text, b) - 1;
      try {
        parse(std::string(pad, ' ') + norm_.substr(b, e - b));
      } catch (const ExprError& err) {
        throw table_.error_at(row_, b + err.offset() - pad, 1, err.description());
      }
      throw;
    }
  }

  const HandTable& table_;
  HandRow& row_;
  std::string norm_;
};

}  // namespace

std::vector<std::string> HandRow::inputs() const {
  std::vector<std::string> out;
  for (const VariableRef& v : definition.program.variables) out.push_back(v.name);
  return out;
}

InputError HandTable::error_at(const HandRow& row, std::size_t offset, std::size_t length,
                               std::string_view what) const {
  return InputError(fmt::format("{}:{}:{}: {}\n{}", file, row.line, column_of(row.text, offset),
                                what, caret_lines(row.text, offset, length)));
}

HandTable parse_node_table(std::string_view text, std::string file) {
  HandTable table;
  table.file = std::move(file);
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t stop = text.find('\n', start);
    if (stop == std::string_view::npos) stop = text.size();
    std::string line(text.substr(start, stop - start));
    start = stop + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string norm = normalize(line);
    const std::size_t end = std::min(norm.find('#'), norm.size());
    const auto [b, e] = trimmed(norm, 0, end);
    if (b == e) continue;
    HandRow row;
    row.line = line_no;
    row.text = line;
    LineParser(table, row, std::move(norm)).run(end);
    for (const HandRow& other : table.rows) {
      if (other.name == row.name) {
        throw table.error_at(
            row, b, row.name.size(),
            fmt::format("row {} is defined twice: at line {} and here", row.name, other.line));
      }
    }
    table.rows.push_back(std::move(row));
  }
  if (table.rows.empty()) {
    throw InputError(
        fmt::format("{}: the table has no rows (one row per line: NAME = "
                    "DEFINITION | d/INPUT = PARTIAL ...)",
                    table.file));
  }
  return table;
}

HandTable read_node_table(const std::string& path) {
  return parse_node_table(optim::read_input_file(path, "ξ table"), path);
}

}  // namespace xi::cli
