#include "agent/postgres/conninfo.hpp"

#include <algorithm>
#include <cctype>

namespace ha::agent::pg {

std::string quote_conninfo_value(const std::string& value) {
  const bool bare = !value.empty() && std::none_of(value.begin(), value.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0 || c == '\'' || c == '\\' || c == '=';
  });
  if (bare) return value;
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

std::string to_conninfo(const ConnParams& params) {
  std::string out;
  auto add = [&out](const std::string& key, const std::string& value) {
    if (value.empty()) return;
    if (!out.empty()) out += ' ';
    out += key;
    out += '=';
    out += quote_conninfo_value(value);
  };
  add("host", params.host);
  if (params.port != 0) add("port", std::to_string(params.port));
  add("user", params.user);
  add("password", params.password);
  add("dbname", params.dbname);
  add("application_name", params.application_name);
  add("sslmode", params.sslmode);
  if (params.connect_timeout_s > 0)
    add("connect_timeout", std::to_string(params.connect_timeout_s));
  for (const auto& [key, value] : params.extra) add(key, value);
  return out;
}

}  // namespace ha::agent::pg
