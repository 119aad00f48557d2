#pragma once
// An error in an expression: what was wrong, the expression and where. The message shows the
// expression with a caret under the offending column, e.g.
//
//   at column 12: expected ')' to close the '(' at column 4, found the end of the expression
//     -y*log(1/(1+exp(-w*x))
//                ^

#include <cstddef>
#include <string>

#include <xigrad/autodiff/error.hpp>

namespace xi::cli {

class ExprError : public InputError {
 public:
  /// `offset` and `length` are byte offsets into `source` (length 0 for "at the end").
  ExprError(std::string what, std::string source, std::size_t offset, std::size_t length = 1);

  /// The bare description ("unknown function 'foo'").
  const std::string& description() const noexcept { return description_; }
  const std::string& source() const noexcept { return source_; }
  /// 1-based column in characters (UTF-8 code points) of the offending place.
  std::size_t column() const noexcept { return column_; }
  std::size_t offset() const noexcept { return offset_; }

 private:
  std::string description_;
  std::string source_;
  std::size_t offset_ = 0;
  std::size_t column_ = 1;
};

/// 1-based column (in code points) of byte `offset` of `text`.
std::size_t column_of(const std::string& text, std::size_t offset);

/// The expression on one line and a caret line under bytes [offset, offset+length), both
/// indented by `indent`, each ending with a newline. Characters that are not safe to print
/// (xi::Glyph: controls, invalid UTF-8) show as '?' so the caret stays aligned. An expression of
/// more than 100 characters is shown as a window of 100 around the error, cut ends marked "…",
/// followed by a line "(cut: characters 1201 to 1300 of 130000 shown)".
std::string caret_lines(const std::string& text, std::size_t offset, std::size_t length,
                        const std::string& indent = "  ");

}  // namespace xi::cli
