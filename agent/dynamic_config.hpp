// DynamicConfig: the cluster-wide settings that live in the DCS key /<namespace>/<scope>/config
// as JSON (seeded once from bootstrap.dcs, changed with hactl edit-config or PATCH /config),
// with Patroni's key names, our defaults and their validation. Not the per-node YAML config.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/clock.hpp"
#include "agent/config_reader.hpp"

namespace ha::agent {

// Defaults, chosen for a failover in about ttl + promotion (~3 s) while a DCS leader change
// never demotes a healthy primary:
//  - ttl 3 s. The leader key lives on the holder's lease, so after a primary dies its key is
//    gone ttl minus the age of its last keep-alive later; failover ~ ttl + ~0.3 s to race and
//    promote. The primary demotes watchdog.safety_margin (0.5 s) before its lock could expire,
//    so it rides out ttl - safety_margin - keep-alive interval = 2.25 s of DCS write outage
//    (keep-alives every 250 ms). hadcs elects a new leader ~0.1 s after its leader process dies
//    and within ~2 s of a silent failure (1 s election timeout, randomised up to 2 s), and a new
//    DCS leader gives every lease a full TTL, so neither kind of DCS leader change demotes us.
//    ttl 2 would fail over ~1 s sooner but demote on most silent DCS leader failures; leases
//    are whole seconds, so 3 is the smallest ttl that survives both.
//  - loop_wait 1 s: the pace of an idle loop (a leader-key or failover-key event wakes it at
//    once); it bounds how late a leader notices a crashed PostgreSQL without a wake-up.
//  - retry_timeout 1 s: the deadline of one DCS or PostgreSQL call. Patroni's rule
//    loop_wait + 2 * retry_timeout <= ttl holds exactly (1 + 2 = 3).
//  - maximum_lag_on_failover 1 MiB (Patroni's): a replica further behind the last known leader
//    position does not race, bounding what an asynchronous failover can lose.
//  - master_start_timeout 30 s (Patroni: 300 s): a crashed primary is restarted in place first
//    (no timeline fork, nothing lost); crash recovery of a default max_wal_size fits in that,
//    and a primary that crash-loops (disk full, bad parameter) hands over within half a minute.
//  - check_timeline true (Patroni: false): a replica on an older timeline than the cluster's
//    never races, so a node that missed a promotion cannot undo it.
struct DynamicConfig {
  std::chrono::seconds ttl{3};
  Millis loop_wait{1000};
  Millis retry_timeout{1000};
  std::uint64_t maximum_lag_on_failover = 1024 * 1024;
  bool synchronous_mode = false;
  bool synchronous_mode_strict = false;
  int synchronous_node_count = 1;
  bool check_timeline = true;
  Millis master_start_timeout{30000};
  bool pause = false;  // maintenance mode (hactl pause / resume)
  struct Postgresql {
    nlohmann::json parameters = nlohmann::json::object();  // GUC name -> value
    bool use_slots = true;                                 // one physical slot per member

    friend bool operator==(const Postgresql&, const Postgresql&) = default;
  } postgresql;

  friend bool operator==(const DynamicConfig&, const DynamicConfig&) = default;
};

inline constexpr std::int64_t kMinTtlSeconds = 2;

struct DynamicConfigParse {
  DynamicConfig config;  // defaults where a key is absent or wrong
  std::vector<ConfigError> errors;
};

// Reads a dynamic config (the DCS value, or bootstrap.dcs from the YAML) whose keys sit under
// `path` for messages. Unknown keys, wrong types and unsafe timing are errors.
DynamicConfigParse parse_dynamic_config(const nlohmann::json& value, const std::string& path = "");
// Every key, for writing the config into the DCS.
nlohmann::json to_json(const DynamicConfig& config);

// The timing rules that involve a node's own watchdog.safety_margin (already resolved: -1 means
// ttl/2): the primary demotes safety_margin before its lock could expire, and what is left must
// cover one loop and one retry. Empty when safe.
std::vector<ConfigError> check_safety_margin(const DynamicConfig& config, Millis safety_margin,
                                             const std::string& dynamic_path,
                                             const std::string& margin_path);

}  // namespace ha::agent
