#include "agent/postgres/output_text.hpp"

#include "agent/postgres/text_trim.hpp"

#include <vector>

namespace ha::agent::pg {

namespace {

constexpr std::size_t kMaxLength = 800;

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const auto line = trim(text.substr(pos, eol - pos));
    if (!line.empty()) out.push_back(line);
    pos = eol + 1;
  }
  return out;
}

std::string join_last(const std::vector<std::string>& parts, std::size_t max_parts) {
  const std::size_t first = parts.size() > max_parts ? parts.size() - max_parts : 0;
  std::string out;
  for (std::size_t i = first; i < parts.size(); ++i) {
    if (!out.empty()) out += "; ";
    out += parts[i];
  }
  if (out.size() > kMaxLength) out = "..." + out.substr(out.size() - kMaxLength);
  return out;
}

bool is_progress(std::string_view line) {
  // "waiting for server to start....", ". done", "....."
  return line.starts_with("waiting for server") ||
         line.find_first_not_of(". ") == std::string_view::npos || line == "stopped waiting" ||
         line.starts_with("server starting");
}

}  // namespace

std::string summarize_output(std::string_view err, std::string_view out) {
  std::vector<std::string> kept;
  for (auto line : lines_of(err)) {
    if (!is_progress(line)) kept.emplace_back(line);
  }
  if (kept.empty()) {
    for (auto line : lines_of(out)) {
      if (!is_progress(line)) kept.emplace_back(line);
    }
  }
  return join_last(kept, 6);
}

std::string summarize_server_log(std::string_view log) {
  static constexpr std::string_view kMarkers[] = {"FATAL:", "PANIC:", "ERROR:", "DETAIL:", "HINT:"};
  std::vector<std::string> kept;
  std::vector<std::string> all;
  for (auto line : lines_of(log)) {
    // Cut the log_line_prefix: keep from the level ("LOG:  ", "FATAL:  ", ...) on.
    std::string_view body = line;
    for (std::string_view level :
         {"LOG:", "FATAL:", "PANIC:", "ERROR:", "WARNING:", "DETAIL:", "HINT:"}) {
      const auto at = line.find(level);
      if (at != std::string_view::npos) {
        body = line.substr(at);
        break;
      }
    }
    std::string compact;
    bool space = false;
    for (char c : body) {
      if (c == ' ' || c == '\t') {
        space = true;
        continue;
      }
      if (space && !compact.empty()) compact += ' ';
      space = false;
      compact += c;
    }
    all.push_back(compact);
    bool keep = body.find("could not") != std::string_view::npos;
    for (auto m : kMarkers) keep = keep || body.starts_with(m);
    if (keep) kept.push_back(compact);
  }
  return kept.empty() ? join_last(all, 3) : join_last(kept, 6);
}

}  // namespace ha::agent::pg
