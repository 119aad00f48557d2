#include <xigrad/autodiff/printable.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <iterator>
#include <vector>

namespace xi {
namespace {

bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

/// The code point of a valid sequence of `n` bytes at text[i].
char32_t decode(std::string_view text, std::size_t i, std::size_t n) {
  static constexpr unsigned kLeadMask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  char32_t cp = static_cast<unsigned char>(text[i]) & kLeadMask[n];
  for (std::size_t k = 1; k < n; ++k)
    cp = (cp << 6U) | (static_cast<unsigned char>(text[i + k]) & 0x3FU);
  return cp;
}

bool is_unsafe(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

void append_escaped(std::string& out, std::string_view text, std::size_t i, const Glyph& g) {
  const auto b = static_cast<unsigned char>(text[i]);
  if (g.safe) {
    if (text[i] == '\\') {
      out += "\\\\";
    } else {
      out.append(text, i, g.bytes);
    }
    return;
  }
  if (g.bytes > 1) {
    fmt::format_to(std::back_inserter(out), "\\u{:04x}",
                   static_cast<std::uint32_t>(decode(text, i, g.bytes)));
    return;
  }
  switch (b) {
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\0':
      out += "\\0";
      break;
    default:
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", b);
  }
}

}  // namespace

Glyph glyph_at(std::string_view text, std::size_t i) {
  const auto b = static_cast<unsigned char>(text[i]);
  if (b < 0x80) return {1, !is_unsafe(b)};
  std::size_t n = 0;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if ((b & 0xF0U) == 0xE0U) {
    n = 3;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
  } else {
    return {1, false};
  }
  if (i + n > text.size()) return {1, false};
  for (std::size_t k = 1; k < n; ++k) {
    if (!is_continuation(text[i + k])) return {1, false};
  }
  const char32_t cp = decode(text, i, n);
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not valid UTF-8.
  if ((n == 3 && cp < 0x800) || (cp >= 0xD800 && cp <= 0xDFFF) ||
      (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
    return {1, false};
  }
  return {n, !is_unsafe(cp)};
}

std::string printable(std::string_view text, std::size_t max_glyphs) {
  std::vector<std::size_t> starts;  // byte offset of each code point
  for (std::size_t i = 0; i < text.size(); i += glyph_at(text, i).bytes) starts.push_back(i);
  std::string out;
  const auto append_range = [&](std::size_t first, std::size_t last) {  // code points [first, last)
    for (std::size_t k = first; k < last; ++k)
      append_escaped(out, text, starts[k], glyph_at(text, starts[k]));
  };
  if (starts.size() <= max_glyphs) {
    append_range(0, starts.size());
    return out;
  }
  // Keep about two thirds from the start (where a reader looks first) and the rest from the end.
  const std::size_t kept = max_glyphs > 0 ? max_glyphs - 1 : 0;
  const std::size_t head = kept - kept / 3;
  append_range(0, head);
  out += "…";
  append_range(starts.size() - (kept - head), starts.size());
  return out;
}

}  // namespace xi
