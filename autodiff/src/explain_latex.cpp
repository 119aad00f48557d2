// LaTeX tabulars of the ξ table, the reverse sweep and a check report. Formulas and numbers are
// set in math mode (ξ4 → \xi_{4}, ∂ → \partial, · → \cdot, a^(c-1) → a^{c-1}); text is escaped.
// Only what plain LaTeX knows is used, so a table pastes into any document or beamer frame.

#include <xigrad/autodiff/export.hpp>

#include <array>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "explain_sheet.hpp"

namespace xi {
namespace {

bool is_digit(char ch) {
  return ch >= '0' && ch <= '9';
}
bool is_alpha(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}
bool is_word(char ch) {
  return is_alpha(ch) || is_digit(ch) || ch == '_';
}

std::size_t utf8_length(char lead) {
  const auto b = static_cast<unsigned char>(lead);
  return b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
}

// Unicode symbols the tables print, in math mode.
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kSymbols = {{
    {"∂", "\\partial"},
    {"·", "\\cdot"},
    {"…", "\\ldots"},
    {"→", "\\to"},
    {"−", "-"},
    {"ᵀ", "^{\\top}"},
    {"⊙", "\\odot"},
    {"×", "\\times"},
    {"Σ", "\\sum"},
}};

// A control word ends at the next letter only with a space: "\partial L", "\partial\xi_{1}".
std::string command(std::string_view word, std::string_view s, std::size_t next) {
  std::string out(word);
  if (out.back() >= 'a' && out.back() <= 'z' && next < s.size() && is_alpha(s[next])) out += ' ';
  return out;
}

// Functions LaTeX sets upright by name.
constexpr std::array<std::string_view, 6> kNamedFunctions = {"exp", "log", "sin",
                                                             "cos", "tan", "tanh"};

std::string math(std::string_view s);

// Converts the atom starting at s[i] and moves i past it.
std::string math_atom(std::string_view s, std::size_t& i) {
  const char ch = s[i];
  if (s.substr(i).starts_with("ξ")) {
    i += std::string_view("ξ").size();
    const std::size_t from = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return from == i ? command("\\xi", s, i) : fmt::format("\\xi_{{{}}}", s.substr(from, i - from));
  }
  for (const auto& [symbol, latex] : kSymbols) {
    if (s.substr(i).starts_with(symbol)) {
      i += symbol.size();
      return command(latex, s, i);
    }
  }
  if (static_cast<unsigned char>(ch) >= 0x80) {  // any other symbol: as text
    const std::size_t n = std::min(utf8_length(ch), s.size() - i);
    i += n;
    return fmt::format("\\text{{{}}}", s.substr(i - n, n));
  }
  if (is_digit(ch) || (ch == '.' && i + 1 < s.size() && is_digit(s[i + 1]))) {
    const std::size_t from = i;
    while (i < s.size() && (is_digit(s[i]) || s[i] == '.')) ++i;
    // An exponent: 1e-05, 2.5E+10.
    if (i + 1 < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      std::size_t j = i + 1;
      if (s[j] == '+' || s[j] == '-') ++j;
      if (j < s.size() && is_digit(s[j])) {
        i = j;
        while (i < s.size() && is_digit(s[i])) ++i;
      }
    }
    return std::string(s.substr(from, i - from));
  }
  if (is_alpha(ch)) {
    const std::size_t from = i;
    while (i < s.size() && is_word(s[i])) ++i;
    const std::string_view word = s.substr(from, i - from);
    if (word.size() == 1) return std::string(word);
    std::string escaped;
    for (const char c : word) escaped += c == '_' ? std::string("\\_") : std::string(1, c);
    const bool call = i < s.size() && s[i] == '(';
    if (call) {
      for (const std::string_view f : kNamedFunctions) {
        if (word == f) return fmt::format("\\{}", word);  // followed by '('
      }
      return fmt::format("\\operatorname{{{}}}", escaped);
    }
    return fmt::format("\\mathrm{{{}}}", escaped);
  }
  ++i;
  switch (ch) {
    case '^': {
      if (i >= s.size()) return "\\hat{}";
      if (s[i] == '(') {  // a^(c-1) → a^{c-1}
        std::size_t depth = 0, j = i;
        for (; j < s.size(); ++j) {
          if (s[j] == '(') ++depth;
          if (s[j] == ')' && --depth == 0) break;
        }
        if (j < s.size()) {
          const std::string inner = math(s.substr(i + 1, j - i - 1));
          i = j + 1;
          return fmt::format("^{{{}}}", inner);
        }
      }
      return fmt::format("^{{{}}}", math_atom(s, i));
    }
    case ' ':  // spaces between words are kept (math mode drops plain spaces)
      return i >= 2 && is_word(s[i - 2]) && i < s.size() && is_word(s[i]) ? "\\ " : " ";
    case '_':
      return "\\_";
    case '%':
    case '&':
    case '#':
    case '$':
    case '{':
    case '}':
      return fmt::format("\\{}", ch);
    case '\\':
      return "\\backslash ";
    case '~':
      return "\\sim ";
    default:
      return std::string(1, ch);
  }
}

std::string math(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) out += math_atom(s, i);
  return out;
}

// Text mode: LaTeX's special characters escaped; a run of symbols (ξ3, ∂) set in math.
std::string text(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const char ch = s[i];
    if (static_cast<unsigned char>(ch) >= 0x80) {
      std::size_t j = i;
      while (j < s.size() && (static_cast<unsigned char>(s[j]) >= 0x80 || is_digit(s[j]))) {
        j += static_cast<unsigned char>(s[j]) >= 0x80 ? utf8_length(s[j]) : 1;
      }
      j = std::min(j, s.size());
      out += fmt::format("${}$", math(s.substr(i, j - i)));
      i = j;
      continue;
    }
    ++i;
    switch (ch) {
      case '\\':
        out += "\\textbackslash{}";
        break;
      case '~':
        out += "\\textasciitilde{}";
        break;
      case '^':
        out += "\\textasciicircum{}";
        break;
      case '&':
      case '%':
      case '$':
      case '#':
      case '_':
      case '{':
      case '}':
        out += '\\';
        out += ch;
        break;
      default:
        out += ch;
    }
  }
  return out;
}

bool ascii(std::string_view s) {
  for (const char ch : s) {
    if (static_cast<unsigned char>(ch) >= 0x80) return false;
  }
  return true;
}

// Plain text as LaTeX paragraphs, one a line, each followed by a blank line.
std::string paragraphs(std::string_view s) {
  std::string out;
  for (const std::string_view line : detail::lines_of(s)) {
    out += text(line);
    out += "\n\n";
  }
  return out;
}

}  // namespace

std::string to_latex(const Table& s) {
  std::string out = s.caption.empty() ? std::string() : paragraphs(s.caption);
  out += fmt::format("\\begin{{tabular}}{{{}}}\n\\hline\n", s.align);
  for (std::size_t c = 0; c < s.header.size(); ++c) {
    const std::string& h = s.header[c];
    out +=
        fmt::format("{}{}", c > 0 ? " & " : "", ascii(h) ? text(h) : fmt::format("${}$", math(h)));
  }
  out += " \\\\\n\\hline\n";
  for (const auto& row : s.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      std::string cell;
      for (const std::string& part : row[c]) {
        if (part.empty()) continue;
        if (!cell.empty()) cell += "; ";
        cell +=
            c < s.kind.size() && s.kind[c] == 'm' ? fmt::format("${}$", math(part)) : text(part);
      }
      out += c > 0 ? (cell.empty() ? " &" : " & " + cell) : cell;
    }
    out += " \\\\\n";
  }
  out += "\\hline\n\\end{tabular}\n";
  for (const std::string& note : s.notes) {
    out += '\n';
    out += paragraphs(note);
  }
  return out;
}

std::string to_latex(const Explanation& e) {
  return to_latex(xi_table(e));
}

std::string steps_to_latex(const Explanation& e) {
  return to_latex(steps_table(e));
}

std::string to_latex(const GradientReport& report) {
  return to_latex(check_table(report));
}

}  // namespace xi
