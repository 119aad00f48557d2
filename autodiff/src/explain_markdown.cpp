// Markdown (GitHub) tables of the ξ table, the reverse sweep and a check report.

#include <xigrad/autodiff/export.hpp>

#include <string_view>

#include <fmt/format.h>

#include "explain_sheet.hpp"

namespace xi {
namespace {

// Backslash-escapes what Markdown reads as markup inside a table cell (`|` ends the cell).
std::string md_escape(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    if (std::string_view("\\`*_|<>").find(ch) != std::string_view::npos) out += '\\';
    out += ch;
  }
  return out;
}

std::string md_cell(const detail::Cell& cell) {
  std::string out;
  for (const std::string& part : cell) {
    if (!out.empty()) out += "; ";
    out += md_escape(part);
  }
  return out;
}

std::string markdown(const detail::Sheet& s) {
  std::string out = "|";
  for (const std::string& h : s.header) out += fmt::format(" {} |", md_escape(h));
  out += "\n|";
  for (const char a : s.align) out += a == 'r' ? " ---: |" : " --- |";
  out += '\n';
  for (const auto& row : s.rows) {
    out += '|';
    for (const auto& cell : row) {
      const std::string text = md_cell(cell);
      out += text.empty() ? " |" : fmt::format(" {} |", text);
    }
    out += '\n';
  }
  return out;
}

}  // namespace

std::string to_markdown(const Explanation& e) {
  return markdown(detail::xi_sheet(e));
}

std::string steps_to_markdown(const Explanation& e) {
  return markdown(detail::steps_sheet(e));
}

std::string to_markdown(const GradientReport& report) {
  return markdown(detail::check_sheet(report));
}

}  // namespace xi
