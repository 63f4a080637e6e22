// AgentConfig: one node's YAML config (haagent.yml) with Patroni's key names where the meaning
// is the same, loaded and validated with errors that name the key and its line. The cluster-wide
// settings are DynamicConfig (dynamic_config.hpp); bootstrap.dcs seeds them once.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/clock.hpp"
#include "agent/dynamic_config.hpp"
#include "agent/host_port.hpp"
#include "agent/member_tags.hpp"
#include "dcs/client/endpoint.hpp"

namespace ha::agent {

struct Credentials {
  std::string username;
  std::string password;  // may be empty (trust, .pgpass, certificates)

  friend bool operator==(const Credentials&, const Credentials&) = default;
};

enum class WatchdogMode { off, automatic, required };
const char* to_string(WatchdogMode mode);

struct AgentConfig {
  std::string scope;                        // the cluster's name
  std::string name;                         // this member's unique name
  std::string namespace_path = "/service";  // keys live under <namespace>/<scope>/

  struct Dcs {
    std::vector<ha::dcs::Endpoint> endpoints;  // `dcs.endpoints`, or Patroni's `etcd3.hosts`
  } dcs;

  struct RestApi {
    HostPort listen{"0.0.0.0", 8008};
    HostPort connect_address;                   // what other members and hactl use
    std::optional<Credentials> authentication;  // required for write requests when set
  } restapi;

  struct Postgresql {
    std::string data_dir;
    std::string bin_dir;  // empty: from PATH
    HostPort listen{"0.0.0.0", 5432};
    HostPort connect_address;
    struct Authentication {
      Credentials superuser;
      Credentials replication;
      std::optional<Credentials> rewind;  // empty: pg_rewind runs as the superuser
    } authentication;
    nlohmann::json parameters = nlohmann::json::object();  // local GUCs
    std::vector<std::string> pg_hba;                       // lines of pg_hba.conf
    // Ours default to true (Patroni: false): a former primary rejoins by itself, by pg_rewind
    // (bootstrap turns on wal_log_hints) or, when that is impossible or fails, by a new clone.
    // Its diverged WAL is not the cluster's history any more once another node was promoted.
    bool use_pg_rewind = true;
    bool remove_data_directory_on_rewind_failure = true;
  } postgresql;

  struct Bootstrap {
    std::vector<std::string> initdb;  // "--data-checksums", "--encoding=UTF8"
    DynamicConfig dcs;                // the first dynamic config of a new cluster
  } bootstrap;

  MemberTags tags;

  struct Watchdog {
    WatchdogMode mode = WatchdogMode::automatic;
    std::string device = "/dev/watchdog";
    // How long before the lock could expire the primary stops taking writes: the agent demotes
    // then (and the watchdog, when on, fires then if the agent could not). Patroni's key, our
    // default 0.5 s (an immediate stop takes well under that); -1 means ttl / 2.
    Millis safety_margin{500};
    bool safety_margin_is_half_ttl = false;
  } watchdog;

  // "<namespace>/<scope>/", the prefix of every key of this cluster.
  std::string key_prefix() const;
  // watchdog.safety_margin with -1 resolved against `dynamic.ttl`.
  Millis safety_margin(const DynamicConfig& dynamic) const;
};

struct ConfigLoad {
  std::optional<AgentConfig> config;  // set when there are no errors
  std::vector<std::string> errors;    // one line each: "<source>:<line>: <key>: <what>"
};

ConfigLoad parse_config(std::string_view yaml_text, const std::string& source_name);
ConfigLoad load_config_file(const std::string& path);

}  // namespace ha::agent
