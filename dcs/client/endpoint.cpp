#include "dcs/client/endpoint.hpp"

#include <charconv>

namespace ha::dcs {

namespace {

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

bool is_ipv6_char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' ||
         c == '.';
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string Endpoint::host_port() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Endpoint::url() const { return "http://" + host_port(); }

bool Endpoint::is_unspecified() const { return host == "0.0.0.0" || host == "::"; }

std::string parse_endpoint(std::string_view text, Endpoint& out) {
  std::string_view rest = text;
  if (rest.empty()) return "empty URL";
  if (const auto scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    const std::string_view scheme = rest.substr(0, scheme_end);
    if (scheme == "https") return quoted(text) + ": https is not supported yet; use http://";
    if (scheme != "http") return quoted(text) + ": unknown scheme '" + std::string(scheme) + "'";
    rest.remove_prefix(scheme_end + 3);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos)
    return quoted(text) + ": a path is not allowed, only scheme://host:port";

  Endpoint e;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return quoted(text) + ": missing ']' after IPv6 address";
    e.host = std::string(rest.substr(1, close - 1));
    for (char c : e.host) {
      if (!is_ipv6_char(c)) return quoted(text) + ": bad IPv6 address";
    }
    rest.remove_prefix(close + 1);
    if (rest.empty() || rest.front() != ':') return quoted(text) + ": missing ':port'";
    port_text = rest.substr(1);
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return quoted(text) + ": missing ':port'";
    e.host = std::string(rest.substr(0, colon));
    if (e.host.find(':') != std::string::npos)
      return quoted(text) + ": write IPv6 addresses in brackets, e.g. [::1]:2379";
    for (char c : e.host) {
      if (!is_host_char(c)) return quoted(text) + ": bad character in host name";
    }
    port_text = rest.substr(colon + 1);
  }
  if (e.host.empty()) return quoted(text) + ": missing host";

  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port == 0 || port > 65535) {
    return quoted(text) + ": port must be a number from 1 to 65535";
  }
  e.port = static_cast<std::uint16_t>(port);
  out = std::move(e);
  return {};
}

std::string parse_endpoint_list(std::string_view text, std::vector<Endpoint>& out) {
  if (trim(text).empty()) return "no endpoint given";
  std::vector<Endpoint> list;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = trim(text.substr(start, comma - start));
    if (item.empty()) return "empty entry in the list " + quoted(text);
    Endpoint e;
    if (auto err = parse_endpoint(item, e); !err.empty()) return err;
    list.push_back(std::move(e));
    start = comma + 1;
  }
  out = std::move(list);
  return {};
}

}  // namespace ha::dcs
