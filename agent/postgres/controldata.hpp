// ControlData: what pg_controldata says about a data directory (cluster state, system
// identifier, timeline and LSN of the latest checkpoint, minimum recovery point, checksums),
// parsed from its English output. Running the program is PgControl's job, not this file's.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "agent/lsn.hpp"
#include "agent/postgres/pg_result.hpp"

namespace ha::agent::pg {

// "Database cluster state", as PostgreSQL's DBState.
enum class ClusterState {
  kStartingUp,          // "starting up"
  kShutDown,            // "shut down": a clean stop of a primary
  kShutDownInRecovery,  // "shut down in recovery": a clean stop of a standby
  kShuttingDown,        // "shutting down"
  kInCrashRecovery,     // "in crash recovery"
  kInArchiveRecovery,   // "in archive recovery": a running (or crashed) standby
  kInProduction,        // "in production": a running (or crashed) primary
  kUnknown,
};

const char* to_string(ClusterState state);

struct ControlData {
  ClusterState state = ClusterState::kUnknown;
  std::string state_text;               // as printed, e.g. "shut down"
  std::uint64_t system_identifier = 0;  // "Database system identifier"
  std::uint32_t timeline = 0;           // "Latest checkpoint's TimeLineID"
  std::uint32_t prev_timeline = 0;      // "Latest checkpoint's PrevTimeLineID"
  Lsn checkpoint_lsn;                   // "Latest checkpoint location"
  Lsn redo_lsn;                         // "Latest checkpoint's REDO location"
  Lsn min_recovery_lsn;                 // "Minimum recovery ending location"
  std::uint32_t min_recovery_timeline = 0;
  std::uint32_t checksum_version = 0;         // "Data page checksum version": 0 = no checksums
  bool wal_log_hints = false;                 // "wal_log_hints setting"
  std::map<std::string, std::string> fields;  // every "name: value" line

  // A clean stop (primary or standby): pg_rewind and a start without crash recovery are fine.
  bool cleanly_shut_down() const {
    return state == ClusterState::kShutDown || state == ClusterState::kShutDownInRecovery;
  }
  // pg_rewind can work on this cluster (checksums or wal_log_hints).
  bool rewindable() const { return checksum_version != 0 || wal_log_hints; }
};

// Parses pg_controldata's output (run with LC_ALL=C). Fails when a required field is missing
// or malformed; unknown lines are kept in `fields` only.
PgResult<ControlData> parse_controldata(std::string_view text);

}  // namespace ha::agent::pg
