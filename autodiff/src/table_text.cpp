// The text renderer of xi::Table (table.hpp).

#include <xigrad/autodiff/table.hpp>

#include <algorithm>

#include "explain_sheet.hpp"

namespace xi {

std::string to_text(const Table& table, const TextStyle& style) {
  // The cells as lines: a row of multi-part cells becomes several lines when parts are not joined.
  std::vector<std::vector<std::string>> lines{table.header};
  for (const auto& row : table.rows) {
    std::size_t height = 1;
    if (style.join.empty()) {
      for (const Table::Cell& cell : row) height = std::max(height, cell.size());
    }
    for (std::size_t k = 0; k < height; ++k) {
      std::vector<std::string> line;
      for (const Table::Cell& cell : row) {
        if (!style.join.empty()) {
          std::string joined;
          for (const std::string& part : cell) joined += (joined.empty() ? "" : style.join) + part;
          line.push_back(std::move(joined));
        } else {
          line.push_back(k < cell.size() ? cell[k] : std::string());
        }
      }
      lines.push_back(std::move(line));
    }
  }
  const std::size_t n = table.header.size();
  std::vector<std::size_t> width(n, 0);
  for (const auto& line : lines) {
    for (std::size_t c = 0; c < n && c < line.size(); ++c) {
      width[c] = std::max(width[c], detail::display_width(line[c]));
    }
  }
  std::string out = table.caption.empty() ? std::string() : table.caption + "\n\n";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string text;
    for (std::size_t c = 0; c < n; ++c) {
      const std::string& cell = c < lines[i].size() ? lines[i][c] : std::string();
      const std::size_t pad = width[c] - detail::display_width(cell);
      const bool right = style.right_align && c < table.align.size() && table.align[c] == 'r';
      if (c > 0) text += "  ";
      if (right) text.append(pad, ' ');
      text += cell;
      if (!right) text.append(pad, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + '\n';
    if (i == 0 && style.rule) {
      std::size_t total = 0;
      for (std::size_t c = 0; c < n; ++c) total += width[c] + (c > 0 ? 2 : 0);
      for (std::size_t k = 0; k < total; ++k) out += "─";
      out += '\n';
    }
  }
  for (const std::string& note : table.notes) out += "\n" + note + "\n";
  return out;
}

}  // namespace xi
