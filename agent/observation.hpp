// Observation: everything decide() may look at — this node's identity and settings, the DCS
// view, the local PostgreSQL, what earlier loops recorded (lock refreshes, bootstrap and rewind
// outcomes), and the peers' answers when the loop asked them. Plain data, built by the loop
// (and by test builders); nothing here does I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/clock.hpp"
#include "agent/cluster_view.hpp"
#include "agent/config.hpp"
#include "agent/local_postgres.hpp"
#include "agent/lsn.hpp"
#include "agent/member_tags.hpp"

namespace ha::agent {

// This node: who it is and the local settings the decision needs.
struct SelfInfo {
  std::string name;
  MemberTags tags;
  std::string conn_url;  // published in the member key
  std::string api_url;
  std::string version;
  bool use_pg_rewind = true;
  bool remove_data_directory_on_rewind_failure = true;
  Millis safety_margin{500};  // demote this long before the lock could expire
  WatchdogMode watchdog = WatchdogMode::off;
  bool watchdog_usable = true;  // the device opened and accepted our timeout
};

// What earlier loops did and learnt; the loop keeps it between decisions.
struct LoopMemory {
  // When the last confirmed refresh of our lock (lease keep-alive or compare-and-set) was
  // sent, and the TTL it was given (0: the dynamic config's ttl). The DCS cannot expire the
  // lock before last_lock_refresh + lock_ttl.
  std::optional<SteadyTime> last_lock_refresh;
  Millis lock_ttl{0};
  bool claimed_initialize = false;  // we created /initialize: bootstrapping is ours
  bool bootstrap_failed = false;    // our initdb (or start after it) failed
  bool rewind_failed = false;       // the last pg_rewind failed
};

// A peer's answer to GET /patroni during a leader race.
struct PeerStatus {
  std::string name;
  bool reachable = false;  // answered in time
  PgRole role = PgRole::unknown;
  bool running = false;
  Lsn wal_position;
  std::int64_t timeline = 0;
  MemberTags tags;
  bool watchdog_failed = false;
};

struct Observation {
  SelfInfo self;
  ClusterView dcs;
  LocalPostgres pg;
  LoopMemory memory;
  // The other members' answers, when the loop asked (a decision asks with ProbeMembers).
  std::optional<std::vector<PeerStatus>> peers;

  const DynamicConfig& config() const { return dcs.config; }
  bool i_hold_lock() const { return dcs.leader && dcs.leader->holder == self.name; }
};

}  // namespace ha::agent
