#pragma once
// Text from a user or a file made safe to show on a terminal: the one place that decides which
// characters may be printed as they are. Used by every message and table that shows such text
// (CSV column names and cells, expressions, labels).

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

namespace xi {

/// One code point of a UTF-8 text: how many bytes it takes and whether it may be printed as is.
struct Glyph {
  /// Bytes of the code point: 1 to 4, or 1 for a byte that starts no valid UTF-8 sequence.
  std::size_t bytes = 1;
  /// False for a byte that is not valid UTF-8, a C0 control (tab and line breaks included), DEL,
  /// a C1 control (U+0080 to U+009F, which some terminals obey as escape sequences) and the
  /// bidirectional overrides and isolates (U+202A to U+202E, U+2066 to U+2069), which reorder
  /// what a terminal shows.
  bool safe = true;
};

/// The code point that starts at byte `i` of `text` (i < text.size()).
Glyph glyph_at(std::string_view text, std::size_t i);

/// `text` with every unsafe code point or byte (see Glyph::safe) written as an escape: "\n",
/// "\r", "\t", "\0", "\x1b" (a control or a stray byte), "\u009b" (a C1 or bidi control); a
/// backslash is doubled, so an escape never looks like the file's own text. A text of more than
/// `max_glyphs` code points shows its start and its end joined by "…".
///
/// Example: `printable("a\x1b[31mb") == "a\\x1b[31mb"`.
std::string printable(std::string_view text,
                      std::size_t max_glyphs = std::numeric_limits<std::size_t>::max());

}  // namespace xi
