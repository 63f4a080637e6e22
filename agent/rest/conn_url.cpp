#include "agent/rest/conn_url.hpp"

namespace ha::agent::rest {

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return std::nullopt;
  HttpUrl out;
  out.scheme = std::string(url.substr(0, scheme_end));
  std::string_view rest = url.substr(scheme_end + 3);
  const auto path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  out.path = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);  // user:password@ is not part of the address
  }
  if (!parse_host_port(authority, false, out.address).empty()) return std::nullopt;
  return out;
}

std::optional<HostPort> host_port_of_conn_url(std::string_view url) {
  const auto parsed = parse_http_url(url);
  if (!parsed) return std::nullopt;
  return parsed->address;
}

}  // namespace ha::agent::rest
