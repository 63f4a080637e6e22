// HostPort: an address in the config, "host:port" — or, for postgresql.listen, Patroni's
// "host1,host2:port" — with IPv6 hosts in brackets. Parsing and printing only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ha::agent {

struct HostPort {
  std::string host;  // "10.0.0.1", "db1", "::1" (no brackets), "0.0.0.0", or "a,b" for listen
  std::uint16_t port = 0;

  // "host:port", IPv6 in brackets.
  std::string to_string() const;
  // 0.0.0.0, :: or *: listening on every interface, not an address anyone can connect to.
  bool is_wildcard() const;

  friend bool operator==(const HostPort&, const HostPort&) = default;
};

// Empty string and `out` filled when valid, else what is wrong. `allow_host_list` accepts
// "host1,host2:port" (PostgreSQL's listen_addresses plus the port).
std::string parse_host_port(std::string_view text, bool allow_host_list, HostPort& out);

}  // namespace ha::agent
