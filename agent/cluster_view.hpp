// ClusterView: what the agent read from the DCS under /<namespace>/<scope>/ — leader key,
// members, failover/switchover request, sync state, initialize key, dynamic config, history,
// last leader position — and whether the DCS answered. Plain data; JSON codecs are in
// dcs_values.hpp, decisions in ha_decision.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/clock.hpp"
#include "agent/dynamic_config.hpp"
#include "agent/lsn.hpp"
#include "agent/member_tags.hpp"

namespace ha::agent {

// A PostgreSQL role as published ("primary", "replica"; Patroni's old "master" is primary).
enum class PgRole { unknown, primary, replica };
const char* to_string(PgRole role);
PgRole role_from_string(const std::string& text);

// /leader: the holder's name, on the holder's lease; mod_revision for compare-and-set.
struct LeaderKey {
  std::string holder;
  std::int64_t lease = 0;
  std::int64_t mod_revision = 0;
};

// /members/<name>: what one member published about itself (Patroni's member JSON).
struct Member {
  std::string name;
  PgRole role = PgRole::unknown;
  std::string state;     // "running", "starting", "stopped", "crashed", ...
  std::string conn_url;  // postgres://host:port/postgres
  std::string api_url;   // http://host:port/patroni
  std::int64_t timeline = 0;
  Lsn xlog_location;  // primary: its WAL write position; replica: max(received, replayed)
  std::optional<Lsn> receive_lsn;
  std::optional<Lsn> replay_lsn;
  std::optional<std::uint64_t> lag;  // bytes behind the last leader position, as it computed
  std::string replication_state;     // "streaming", "in archive recovery" or empty
  MemberTags tags;
  std::string version;  // the agent's version
  bool pending_restart = false;
  bool pause = false;  // the member saw the cluster in maintenance mode (published only then)
  std::int64_t mod_revision = 0;

  bool is_running() const { return state == "running"; }
  bool is_streaming() const { return replication_state == "streaming"; }
};

// /failover: a switchover (leader named) or a manual failover (no leader) request.
struct FailoverRequest {
  std::string leader;     // the leader it was asked of; empty for a manual failover
  std::string candidate;  // Patroni's "member"; empty = the best candidate
  std::optional<WallTime> scheduled_at;
  std::int64_t mod_revision = 0;

  bool is_switchover() const { return !leader.empty(); }
};

// /sync: who leads in synchronous mode and which standbys are known to be synchronous.
struct SyncState {
  std::string leader;
  std::vector<std::string> sync_standby;
  std::int64_t mod_revision = 0;

  bool lists(const std::string& name) const;
};

// One entry of /history: timeline `timeline` ended at `lsn`; `new_leader` was promoted.
struct HistoryEntry {
  std::int64_t timeline = 0;
  Lsn lsn;
  std::string reason;
  std::string timestamp;  // ISO 8601
  std::string new_leader;

  friend bool operator==(const HistoryEntry&, const HistoryEntry&) = default;
};

struct ClusterView {
  bool reachable = true;                        // this view was read from the DCS just now
  std::optional<SteadyTime> unreachable_since;  // when the DCS stopped answering (if it did)
  std::optional<LeaderKey> leader;
  std::vector<Member> members;  // sorted by name
  std::optional<FailoverRequest> failover;
  std::optional<SyncState> sync;
  std::optional<std::string> initialize;  // system identifier ("" while being bootstrapped)
  DynamicConfig config;                   // the key's value, or the last good one / defaults
  std::vector<HistoryEntry> history;
  std::optional<Lsn> last_leader_lsn;  // /status optime: the leader's last published position

  const Member* member(const std::string& name) const;
  // The leader's member entry, when there is a leader and it published one.
  const Member* leader_member() const;
  // The newest timeline the cluster is known to have reached: one past the last history entry,
  // or a primary member's timeline when that is higher.
  std::int64_t cluster_timeline() const;
  // Where timeline `timeline` ended (its entry in /history), if known.
  std::optional<Lsn> timeline_end(std::int64_t timeline) const;
};

}  // namespace ha::agent
