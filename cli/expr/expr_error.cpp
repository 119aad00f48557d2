#include "expr/expr_error.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <xigrad/autodiff/printable.hpp>

namespace xi::cli {
namespace {

// One displayed glyph per code point (or per invalid byte); `at` receives the glyph index of
// each byte offset up to text.size().
struct Display {
  std::string text;
  std::vector<std::size_t> glyph_at;     // size text.size() + 1
  std::vector<std::size_t> glyph_start;  // byte in `text` where each glyph starts
  std::vector<char> glyph_first;         // the first source byte of each glyph
};

// An input longer than this many glyphs is shown as a window around the error.
constexpr std::size_t kCaretWindow = 100;

Display display(const std::string& text) {
  Display d;
  d.glyph_at.assign(text.size() + 1, 0);
  std::size_t glyph = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    d.glyph_start.push_back(d.text.size());
    d.glyph_first.push_back(text[i]);
    // Unsafe characters (xi::Glyph) show as one '?' so that the caret stays aligned.
    const Glyph g = xi::glyph_at(text, i);
    for (std::size_t k = 0; k < g.bytes; ++k) d.glyph_at[i + k] = glyph;
    if (g.safe || text[i] == '\t') {
      d.text.append(text, i, g.bytes);
    } else {
      d.text += '?';
    }
    i += g.bytes;
    ++glyph;
  }
  d.glyph_at[text.size()] = glyph;
  return d;
}

}  // namespace

std::size_t column_of(const std::string& text, std::size_t offset) {
  if (offset > text.size()) offset = text.size();
  return display(text).glyph_at[offset] + 1;
}

std::string caret_lines(const std::string& text, std::size_t offset, std::size_t length,
                        const std::string& indent) {
  if (offset > text.size()) offset = text.size();
  const std::size_t end = std::min(text.size(), offset + std::max<std::size_t>(length, 1));
  const Display d = display(text);
  const std::size_t total = d.glyph_at[text.size()];
  const std::size_t first = d.glyph_at[offset];
  const std::size_t last = end > offset ? d.glyph_at[end - 1] : first;  // inclusive glyph
  std::size_t from = 0;
  std::size_t to = total;
  if (total > kCaretWindow) {
    from = first > kCaretWindow / 3 ? first - kCaretWindow / 3 : 0;
    to = std::min(total, from + kCaretWindow);
    from = to - kCaretWindow;
  }
  const auto byte_of = [&](std::size_t glyph) {
    return glyph < total ? d.glyph_start[glyph] : d.text.size();
  };
  std::string line = d.text.substr(byte_of(from), byte_of(to) - byte_of(from));
  std::string caret;
  if (from > 0) {
    line.insert(0, "…");
    caret += ' ';
  }
  if (to < total) line += "…";
  // Keep tabs under tabs so the caret lines up in a terminal.
  for (std::size_t g = from; g < first; ++g) caret += d.glyph_first[g] == '\t' ? '\t' : ' ';
  caret += '^';
  for (std::size_t g = first + 1; g <= last && g < to; ++g) caret += '~';
  std::string out = fmt::format("{}{}\n{}{}\n", indent, line, indent, caret);
  if (from > 0 || to < total) {
    out += fmt::format("{}(cut: characters {} to {} of {} shown)\n", indent, from + 1, to, total);
  }
  return out;
}

ExprError::ExprError(std::string what, std::string source, std::size_t offset, std::size_t length)
    : InputError(fmt::format("at column {}: {}\n{}", column_of(source, offset), what,
                             caret_lines(source, offset, length))),
      description_(std::move(what)),
      source_(std::move(source)),
      offset_(offset),
      column_(column_of(source_, offset)) {}

}  // namespace xi::cli
