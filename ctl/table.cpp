#include "ctl/table.hpp"

#include <algorithm>
#include <cstddef>

namespace ha::ctl {

namespace {

// Display width of UTF-8 text: code points, not bytes.
std::size_t width_of(const std::string& s) {
  std::size_t n = 0;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++n;
  }
  return n;
}

std::string border(const std::vector<std::size_t>& widths) {
  std::string line = "+";
  for (const auto w : widths) line += std::string(w + 2, '-') + "+";
  return line;
}

}  // namespace

std::string render_table(const std::string& title, const std::vector<Column>& columns,
                         const std::vector<Row>& rows, bool colour) {
  std::vector<std::size_t> widths;
  for (const auto& c : columns) widths.push_back(width_of(c.title));
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], width_of(row[i].text));
    }
  }
  std::string top;
  if (!title.empty()) {
    top = "+ " + title + " ";
    std::string b = border(widths);
    // Widen the last column until the title fits with at least one '-' and the closing '+'.
    while (b.size() < top.size() + 2 && !widths.empty()) {
      ++widths.back();
      b = border(widths);
    }
    top += b.substr(top.size());
  }
  const std::string line = border(widths);
  if (top.empty()) top = line;

  const auto render_row = [&](const Row& row) {
    std::string out = "|";
    for (std::size_t i = 0; i < widths.size(); ++i) {
      const Cell cell = i < row.size() ? row[i] : Cell{};
      const std::string pad(widths[i] - width_of(cell.text), ' ');
      std::string text = cell.text;
      if (colour && cell.colour != nullptr && !text.empty()) {
        text = std::string("\033[") + cell.colour + "m" + text + "\033[0m";
      }
      out += " " + (columns[i].right ? pad + text : text + pad) + " |";
    }
    return out + "\n";
  };

  Row header;
  for (const auto& c : columns) header.push_back({c.title});
  std::string out = top + "\n" + render_row(header) + line + "\n";
  for (const auto& row : rows) out += render_row(row);
  return out + line + "\n";
}

}  // namespace ha::ctl
