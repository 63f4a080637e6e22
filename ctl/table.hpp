// A text table in patronictl's style: +---+ borders, a title set into the top border
// ("+ Cluster: demo (123) ---+"), left- or right-aligned columns, optional ANSI colour per cell
// (padding stays right because widths count the text, not the escape codes). Rendering only.
#pragma once

#include <string>
#include <vector>

namespace ha::ctl {

struct Column {
  std::string title;
  bool right = false;  // numbers
};

struct Cell {
  std::string text;
  const char* colour = nullptr;  // an ANSI SGR such as "32" (green), or none
};

using Row = std::vector<Cell>;

// `title` empty: a plain top border. `colour` false: colours are ignored.
std::string render_table(const std::string& title, const std::vector<Column>& columns,
                         const std::vector<Row>& rows, bool colour);

namespace colours {
inline constexpr const char* kGreen = "32";
inline constexpr const char* kYellow = "33";
inline constexpr const char* kRed = "31";
inline constexpr const char* kBold = "1";
}  // namespace colours

}  // namespace ha::ctl
