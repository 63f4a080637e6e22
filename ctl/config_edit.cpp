#include "ctl/config_edit.hpp"

#include <algorithm>

#include "agent/dynamic_config.hpp"
#include "agent/yaml_json.hpp"
#include "ctl/output_format.hpp"

namespace ha::ctl {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::string part;
  for (const char c : path) {
    if (c == '.') {
      parts.push_back(part);
      part.clear();
    } else {
      part += c;
    }
  }
  parts.push_back(part);
  // PostgreSQL parameter names may hold dots (pg_stat_statements.max).
  if (parts.size() > 3 && parts[0] == "postgresql" && parts[1] == "parameters") {
    std::string name = parts[2];
    for (std::size_t i = 3; i < parts.size(); ++i) name += "." + parts[i];
    parts.resize(2);
    parts.push_back(name);
  }
  return parts;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::string line;
  for (const char c : text) {
    if (c == '\n') {
      out.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  if (!line.empty()) out.push_back(line);
  return out;
}

std::vector<std::string> error_lines(const nlohmann::json& config) {
  std::vector<std::string> out;
  for (const auto& e : agent::parse_dynamic_config(config).errors) {
    out.push_back((e.path.empty() ? "" : e.path + ": ") + e.message);
  }
  return out;
}

}  // namespace

std::string set_config_value(nlohmann::json& config, const std::string& path,
                             const std::string& value_text) {
  const auto parts = split_path(path);
  for (const auto& p : parts) {
    if (p.empty()) return "'" + path + "' is not a key path such as postgresql.use_slots";
  }
  const auto doc = agent::yaml_to_json(value_text);
  if (!doc.error.empty()) return "the value of " + path + " is not YAML: " + doc.error;
  if (!config.is_object()) config = nlohmann::json::object();
  nlohmann::json* node = &config;
  std::string walked;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    walked += (walked.empty() ? "" : ".") + parts[i];
    if (!node->contains(parts[i]) || (*node)[parts[i]].is_null()) {
      if (doc.value.is_null()) return {};  // removing below a missing key: nothing to do
      (*node)[parts[i]] = nlohmann::json::object();
    }
    auto& child = (*node)[parts[i]];
    if (!child.is_object()) return "cannot set " + path + ": " + walked + " is not a mapping";
    node = &child;
  }
  if (doc.value.is_null()) {
    node->erase(parts.back());
  } else {
    (*node)[parts.back()] = doc.value;
  }
  return {};
}

std::string parse_config_document(const std::string& text, const std::string& source,
                                  nlohmann::json& out) {
  const auto doc = agent::yaml_to_json(text);
  if (!doc.error.empty()) return source + ": not YAML or JSON: " + doc.error;
  if (doc.value.is_null()) {
    out = nlohmann::json::object();
    return {};
  }
  if (!doc.value.is_object()) return source + ": the config must be a mapping of keys";
  out = doc.value;
  return {};
}

std::string render_config_diff(const nlohmann::json& before, const nlohmann::json& after,
                               bool colour) {
  const auto yaml = [](const nlohmann::json& j) {
    return j.is_null() || (j.is_object() && j.empty()) ? std::string() : to_yaml(j);
  };
  const auto a = lines_of(yaml(before));
  const auto b = lines_of(yaml(after));
  if (a == b) return {};
  // Longest common subsequence table, from the ends.
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  struct Op {
    char kind;  // ' ', '-', '+'
    std::string text;
    std::size_t a_line, b_line;  // 1-based positions before this op
  };
  std::vector<Op> ops;
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      ops.push_back({' ', a[i], i + 1, j + 1});
      ++i, ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push_back({'-', a[i], i + 1, j + 1});
      ++i;
    } else {
      ops.push_back({'+', b[j], i + 1, j + 1});
      ++j;
    }
  }
  constexpr std::size_t kContext = 3;
  std::string out = colour ? "\033[1m--- current\n+++ new\033[0m\n" : "--- current\n+++ new\n";
  std::size_t k = 0;
  while (k < ops.size()) {
    if (ops[k].kind == ' ') {
      ++k;
      continue;
    }
    // A hunk: from kContext before this change to kContext after the last change that is
    // at most 2 * kContext unchanged lines away.
    const std::size_t start = k >= kContext ? k - kContext : 0;
    std::size_t end = k;
    for (std::size_t q = k; q < ops.size(); ++q) {
      if (ops[q].kind != ' ')
        end = q;
      else if (q - end > 2 * kContext)
        break;
    }
    const std::size_t stop = std::min(ops.size(), end + kContext + 1);
    std::size_t a_count = 0, b_count = 0;
    for (std::size_t q = start; q < stop; ++q) {
      if (ops[q].kind != '+') ++a_count;
      if (ops[q].kind != '-') ++b_count;
    }
    const std::size_t a_from = a_count == 0 ? ops[start].a_line - 1 : ops[start].a_line;
    const std::size_t b_from = b_count == 0 ? ops[start].b_line - 1 : ops[start].b_line;
    std::string header = "@@ -" + std::to_string(a_from) + "," + std::to_string(a_count) + " +" +
                         std::to_string(b_from) + "," + std::to_string(b_count) + " @@";
    out += colour ? "\033[36m" + header + "\033[0m\n" : header + "\n";
    for (std::size_t q = start; q < stop; ++q) {
      const std::string line = std::string(1, ops[q].kind) + ops[q].text;
      if (colour && ops[q].kind != ' ') {
        out += std::string(ops[q].kind == '-' ? "\033[31m" : "\033[32m") + line + "\033[0m\n";
      } else {
        out += line + "\n";
      }
    }
    k = stop;
  }
  return out;
}

ConfigCheck check_config_change(const nlohmann::json& before, const nlohmann::json& after) {
  ConfigCheck c;
  const auto old_errors = error_lines(before.is_null() ? nlohmann::json::object() : before);
  for (auto& e : error_lines(after)) {
    if (std::find(old_errors.begin(), old_errors.end(), e) != old_errors.end()) {
      c.old_errors.push_back(std::move(e));
    } else {
      c.new_errors.push_back(std::move(e));
    }
  }
  return c;
}

}  // namespace ha::ctl
