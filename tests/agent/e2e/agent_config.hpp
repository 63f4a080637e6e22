// The YAML config of one e2e cluster member (Patroni's key names, see agent/config.hpp): loopback
// ports, a data directory in the test's private directory, trust for the superuser and a SCRAM
// password for the replication user over 127.0.0.1, fast test settings for PostgreSQL, and
// bootstrap.dcs with the defaults (optionally synchronous_mode). Rendering only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ha::e2e {

inline constexpr const char* kScope = "e2e";
inline constexpr const char* kNamespace = "/service";
inline constexpr const char* kReplUser = "replicator";
inline constexpr const char* kReplPassword = "repl-secret";

struct AgentConfigSpec {
  std::string name;
  std::string data_dir;
  std::string socket_dir;
  std::string bin_dir;
  std::uint16_t pg_port = 0;
  std::uint16_t api_port = 0;
  std::vector<std::string> dcs_endpoints;  // host:port
  bool synchronous_mode = false;
  bool fsync = false;  // tests run faster without it; the benchmark keeps PostgreSQL's default
};

std::string render_agent_config(const AgentConfigSpec& spec);

// "/service/e2e/" + key.
std::string cluster_key(const std::string& key);

}  // namespace ha::e2e
