#include "agent/host_port.hpp"

#include <charconv>

namespace ha::agent {

std::string HostPort::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool HostPort::is_wildcard() const {
  return host == "0.0.0.0" || host == "::" || host == "*" || host.empty();
}

std::string parse_host_port(std::string_view text, bool allow_host_list, HostPort& out) {
  const std::string example = allow_host_list ? "host:port or host1,host2:port" : "host:port";
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return "expected " + example + ", got '" + std::string(text) + "'";
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return "an IPv6 address needs brackets, as in [::1]:5432; got '" + std::string(text) + "'";
  }
  if (host.empty())
    return "missing host in '" + std::string(text) + "' (use 0.0.0.0 for every interface)";
  if (!allow_host_list && host.find(',') != std::string_view::npos) {
    return "expected one host, got '" + std::string(host) + "'";
  }
  if (host.find_first_of(" \t/") != std::string_view::npos) {
    return "bad host '" + std::string(host) + "'";
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port < 1 || port > 65535) {
    return "bad port '" + std::string(port_text) + "' in '" + std::string(text) + "' (1-65535)";
  }
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(port);
  return {};
}

}  // namespace ha::agent
