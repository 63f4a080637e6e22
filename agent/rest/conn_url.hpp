// The host and port of a member's published conn_url ("postgres://host:port/postgres") and
// api_url ("http://host:port/patroni"), for GET /cluster and the peer probe. Parsing only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/host_port.hpp"

namespace ha::agent::rest {

// Nothing when the URL has no "scheme://host:port".
std::optional<HostPort> host_port_of_conn_url(std::string_view url);

struct HttpUrl {
  std::string scheme;  // "http"
  HostPort address;
  std::string path;  // "/patroni"; "/" when the URL has none
};
std::optional<HttpUrl> parse_http_url(std::string_view url);

}  // namespace ha::agent::rest
