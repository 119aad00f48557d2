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

std::string md_cell(const Table::Cell& cell) {
  std::string out;
  for (const std::string& part : cell) {
    if (!out.empty()) out += "; ";
    out += md_escape(part);
  }
  return out;
}

}  // namespace

// A paragraph of plain text, each of its lines a paragraph of its own.
std::string md_paragraphs(std::string_view text) {
  std::string out;
  for (const std::string_view line : detail::lines_of(text)) {
    if (!out.empty()) out += '\n';
    out += md_escape(line);
    out += '\n';
  }
  return out;
}

std::string to_markdown(const Table& s) {
  std::string out = s.caption.empty() ? "|" : md_paragraphs(s.caption) + "\n|";
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
  for (const std::string& note : s.notes) {
    out += '\n';
    out += md_paragraphs(note);
  }
  return out;
}

std::string to_markdown(const Explanation& e) {
  return to_markdown(xi_table(e));
}

std::string steps_to_markdown(const Explanation& e) {
  return to_markdown(steps_table(e));
}

std::string to_markdown(const GradientReport& report) {
  return to_markdown(check_table(report));
}

}  // namespace xi
