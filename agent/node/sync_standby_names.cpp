#include "agent/node/sync_standby_names.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace ha::agent::node {

namespace {

std::string quote_name(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Tokens of PostgreSQL's syncrep grammar: names (bare or quoted), numbers, '(' ')' ','.
struct Token {
  enum Kind { kWord, kQuoted, kPunct } kind;
  std::string text;
};

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
    } else if (c == '(' || c == ')' || c == ',') {
      out.push_back({Token::kPunct, std::string(1, c)});
      ++i;
    } else if (c == '"') {
      std::string name;
      ++i;
      while (i < s.size()) {
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            name += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        name += s[i++];
      }
      out.push_back({Token::kQuoted, std::move(name)});
    } else {
      std::string word;
      while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) == 0 && s[i] != '(' &&
             s[i] != ')' && s[i] != ',' && s[i] != '"') {
        word += s[i++];
      }
      out.push_back({Token::kWord, std::move(word)});
    }
  }
  return out;
}

bool is_number(const Token& t) {
  return t.kind == Token::kWord && !t.text.empty() &&
         std::all_of(t.text.begin(), t.text.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

std::string render_sync_standby_names(const std::vector<std::string>& names, int count,
                                      bool strict) {
  if (names.empty()) {
    return strict ? fmt::format("FIRST 1 ({})", quote_name(kNoSyncStandbyPlaceholder)) : "";
  }
  count = std::max(count, 1);
  if (!strict) count = std::min(count, static_cast<int>(names.size()));
  std::vector<std::string> quoted;
  quoted.reserve(names.size());
  for (const auto& n : names) quoted.push_back(quote_name(n));
  return fmt::format("FIRST {} ({})", count, fmt::join(quoted, ","));
}

SyncStandbyNames parse_sync_standby_names(std::string_view text) {
  SyncStandbyNames out;
  const auto tokens = tokenize(text);
  if (tokens.empty()) return out;
  std::size_t i = 0;
  bool has_method = false;
  if (tokens[0].kind == Token::kWord &&
      (iequals(tokens[0].text, "FIRST") || iequals(tokens[0].text, "ANY")) && tokens.size() > 1 &&
      is_number(tokens[1])) {
    out.any = iequals(tokens[0].text, "ANY");
    has_method = true;
    i = 1;
  }
  if (i < tokens.size() && is_number(tokens[i]) && i + 1 < tokens.size() &&
      tokens[i + 1].kind == Token::kPunct && tokens[i + 1].text == "(") {
    out.count = std::stoi(tokens[i].text);
    i += 2;
  } else {
    if (has_method) i = 0;  // "FIRST 1" without a list: read every word as a name below
    out.count = 1;
  }
  for (; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    if (t.kind == Token::kPunct) continue;
    if (t.text == kNoSyncStandbyPlaceholder) {
      out.placeholder = true;
      continue;
    }
    out.names.push_back(t.text);
  }
  return out;
}

}  // namespace ha::agent::node
