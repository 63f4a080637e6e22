// Endpoint: one host:port that a DCS member listens on or advertises, parsed from a URL such as
// "http://10.0.0.1:2379" or "10.0.0.1:2379". Parsing only; no name resolution, no sockets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ha::dcs {

struct Endpoint {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  std::uint16_t port = 0;

  bool operator==(const Endpoint&) const = default;
  // "http://host:port" (IPv6 hosts in brackets).
  std::string url() const;
  // "host:port" as gRPC channel targets want it (IPv6 hosts in brackets).
  std::string host_port() const;
  // True for 0.0.0.0 and ::, which a server may listen on but nobody can connect to.
  bool is_unspecified() const;
};

// Parses "http://host:port", "host:port" or "[v6addr]:port" (an optional trailing "/").
// Returns an empty string and fills `out` when valid, else what is wrong (`out` is untouched).
std::string parse_endpoint(std::string_view text, Endpoint& out);

// Parses a comma-separated list of endpoints (at least one). Same error convention.
std::string parse_endpoint_list(std::string_view text, std::vector<Endpoint>& out);

}  // namespace ha::dcs
