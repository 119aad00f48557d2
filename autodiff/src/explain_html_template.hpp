#pragma once
// The style sheet and the script of the HTML export, inlined in every page (no network).

#include <string_view>

namespace xi::detail {

extern const std::string_view kHtmlStyle;
/// Steps the reverse sweep: reads the steps from `#steps li` (data-from-key, data-to-key, data-to,
/// data-after, data-element) and fills the elements carrying data-adj-key / data-adj-name.
extern const std::string_view kHtmlScript;

}  // namespace xi::detail
