#include "expr/expr_error.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

namespace xi::cli {
namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 when the byte starts none.
std::size_t utf8_length(const std::string& text, std::size_t i) {
  const auto b = static_cast<unsigned char>(text[i]);
  std::size_t n = 0;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0 && b >= 0xC2)
    n = 2;
  else if ((b & 0xF0) == 0xE0)
    n = 3;
  else if ((b & 0xF8) == 0xF0 && b <= 0xF4)
    n = 4;
  else
    return 0;
  if (i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

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
    const std::size_t n = utf8_length(text, i);
    const auto b = static_cast<unsigned char>(text[i]);
    if (n == 0 || (n == 1 && (b < 0x20 || b == 0x7F) && b != '\t')) {
      d.glyph_at[i] = glyph;
      d.text += '?';
      ++i;
    } else {
      for (std::size_t k = 0; k < n; ++k) d.glyph_at[i + k] = glyph;
      d.text.append(text, i, n);
      i += n;
    }
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
