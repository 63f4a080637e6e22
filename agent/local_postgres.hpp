// LocalPostgres: what the agent knows about its own PostgreSQL at the time of a decision —
// process state, role, timeline, WAL positions, streaming, replication rows and synchronous
// standby names on a primary. Plain data filled by the PostgreSQL control layer; no queries here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/clock.hpp"
#include "agent/cluster_view.hpp"
#include "agent/lsn.hpp"

namespace ha::agent {

enum class PgState {
  stopped,       // not running, shut down cleanly (or never started)
  starting,      // postmaster up, not accepting connections yet (e.g. crash recovery)
  running,       // accepting connections
  stopping,      // shutting down
  crashed,       // the postmaster died without a clean shutdown
  start_failed,  // the last start attempt failed
};
const char* to_string(PgState state);

// One row of pg_stat_replication on a primary.
struct ReplicationRow {
  std::string application_name;  // the member's name
  std::string state;             // "streaming", "catchup", ...
  std::string sync_state;        // "sync", "potential", "quorum", "async"
  Lsn flush_lsn;
  Lsn replay_lsn;
};

struct LocalPostgres {
  bool data_dir_empty = false;    // nothing to start: needs initdb or a clone
  std::string system_identifier;  // from pg_controldata; empty when unknown
  PgState state = PgState::stopped;
  // Running: pg_is_in_recovery(); stopped: what the control file says it last was.
  PgRole role = PgRole::unknown;
  std::int64_t timeline = 0;
  Lsn write_lsn;           // primary: pg_current_wal_lsn(); stopped: the end of its WAL
  // Stopped without a clean shutdown (crash, kill, immediate stop): write_lsn is only its last
  // checkpoint, and it may have written WAL past that.
  bool wal_end_unknown = false;
  Lsn receive_lsn;         // replica: pg_last_wal_receive_lsn()
  Lsn replay_lsn;          // replica: pg_last_wal_replay_lsn()
  bool streaming = false;  // the WAL receiver streams
  std::string following;   // the member primary_conninfo points at (as the agent set it)
  bool pending_restart = false;
  std::optional<SteadyTime> down_since;     // first seen not running, while it should run
  bool rewind_possible = false;             // pg_rewind usable: wal_log_hints or data checksums
  std::optional<Lsn> timeline_start;        // where the current timeline began (its .history)
  std::vector<ReplicationRow> replication;  // on a primary
  std::vector<std::string> synchronous_standby_names;  // as configured now (member names)
  bool synchronous_strict_placeholder = false;         // commits wait for a standby we lack

  bool is_running() const { return state == PgState::running; }
  bool is_running_primary() const { return is_running() && role == PgRole::primary; }
  bool is_running_replica() const { return is_running() && role == PgRole::replica; }
  // The WAL position to compare with other members: a primary's write position, a replica's
  // furthest of received and replayed.
  Lsn wal_position() const;
  const ReplicationRow* replication_of(const std::string& member) const;
};

}  // namespace ha::agent
