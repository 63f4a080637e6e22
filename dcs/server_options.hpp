// ServerOptions: hadcs's settings from its command line and optional YAML config file, parsed
// and checked with clear errors. Only the settings: the server that uses them is in issue #4.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dcs/client/endpoint.hpp"

namespace ha::dcs {

enum class ClusterState : std::uint8_t {
  kNew,       // bootstrap a new cluster from --initial-cluster
  kExisting,  // join a running cluster (after MemberAdd)
};

// One "name=url" item of --initial-cluster (a member with several peer URLs has several items).
struct InitialMember {
  std::string name;
  Endpoint peer_url;

  bool operator==(const InitialMember&) const = default;
};

struct ServerOptions {
  std::string name = "default";
  std::string data_dir;  // "<name>.hadcs" when not given
  std::vector<Endpoint> listen_client_urls;
  std::vector<Endpoint> advertise_client_urls;  // listen_client_urls when not given
  std::vector<Endpoint> listen_peer_urls;
  std::vector<Endpoint> initial_advertise_peer_urls;  // listen_peer_urls when not given
  std::vector<InitialMember> initial_cluster;  // "<name>=<advertise peer urls>" when not given
  ClusterState initial_cluster_state = ClusterState::kNew;
  std::string initial_cluster_token = "hadcs-cluster";
  std::chrono::milliseconds heartbeat_interval{100};
  std::chrono::milliseconds election_timeout{1000};
  std::uint64_t snapshot_count = 100000;            // applied entries between two snapshots
  bool async_leader_writes = true;                 // RaftDriverOptions::async_leader_writes
  std::uint64_t max_request_bytes = 1536 * 1024;   // largest client request accepted
  std::uint64_t quota_backend_bytes = 2ULL << 30;  // database size at which writes are refused
  std::optional<Endpoint> metrics_listen;          // HTTP /health and /metrics; off when empty
  std::string config_file;
};

// What a command line asks for: run with `options` (run = true), or exit now with `exit_code`
// after printing `out` on stdout and `err` on stderr (help, version, or a usage error).
struct ServerCommandLine {
  bool run = false;
  int exit_code = 0;
  std::string out;
  std::string err;
  ServerOptions options;
};

// Exit codes: 0 for --help and --version, 2 for bad usage (unknown option, bad value, an
// unreadable config file). Options given on the command line win over the config file.
ServerCommandLine parse_server_command_line(int argc, const char* const* argv);

// Checks values and the relations between options (timing, membership). Empty when valid,
// else one line saying what is wrong.
std::string validate(const ServerOptions& o);

// Parses "name=url,name=url,...". Empty when valid (and fills `out`), else what is wrong.
std::string parse_initial_cluster(std::string_view text, std::vector<InitialMember>& out);

}  // namespace ha::dcs
