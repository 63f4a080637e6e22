// Read-only questions the agent asks its PostgreSQL every loop, typed: role (in recovery?),
// timeline, WAL positions, replication and WAL receiver state, start time, version, settings
// waiting for a restart. Each is one statement under the connection's deadline; answers that
// do not parse become kInvalid errors. Changing anything is admin_queries.hpp's job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/lsn.hpp"
#include "agent/postgres/pg_connection.hpp"

namespace ha::agent::pg {

// Everything about the node in one round trip.
struct ServerStatus {
  bool in_recovery = false;
  // On a primary the timeline it writes; on a standby the one it receives (or, without a
  // WAL receiver, the one of its latest restartpoint).
  std::uint32_t timeline = 0;
  std::optional<Lsn> current_lsn;  // primary: pg_current_wal_lsn()
  std::optional<Lsn> receive_lsn;  // standby: pg_last_wal_receive_lsn() (none before streaming)
  std::optional<Lsn> replay_lsn;   // standby: pg_last_wal_replay_lsn()
  bool replay_paused = false;
  std::optional<std::string> last_replay_timestamp;
  std::string postmaster_start_time;  // as PostgreSQL prints a timestamptz
  double postmaster_start_epoch = 0;  // the same, seconds since the epoch
  int server_version_num = 0;         // 150004
  std::uint64_t system_identifier = 0;

  // The position that counts for failover: primary's current, else max(received, replayed).
  std::optional<Lsn> wal_position() const;
};

PgResult<ServerStatus> query_server_status(PgConnection& conn);

PgResult<bool> query_is_in_recovery(PgConnection& conn);
PgResult<std::uint32_t> query_timeline(PgConnection& conn);
// Nothing (no error) where the function returns NULL: current on a standby, receive/replay on
// a primary.
PgResult<std::optional<Lsn>> query_current_wal_lsn(PgConnection& conn);
PgResult<std::optional<Lsn>> query_last_wal_receive_lsn(PgConnection& conn);
PgResult<std::optional<Lsn>> query_last_wal_replay_lsn(PgConnection& conn);
PgResult<std::string> query_postmaster_start_time(PgConnection& conn);
PgResult<int> query_server_version_num(PgConnection& conn);

// One row of pg_stat_replication (on a primary: its connected standbys).
struct ReplicationRow {
  int pid = 0;
  std::string application_name;
  std::string client_addr;  // empty for Unix sockets
  std::string state;        // "startup", "catchup", "streaming", "backup", "stopping"
  std::string sync_state;   // "async", "potential", "sync", "quorum"
  int sync_priority = 0;
  std::optional<Lsn> sent_lsn, write_lsn, flush_lsn, replay_lsn;
};

PgResult<std::vector<ReplicationRow>> query_replication(PgConnection& conn);

// pg_stat_wal_receiver (on a standby): nothing when no WAL receiver runs.
struct WalReceiverStatus {
  int pid = 0;
  std::string status;  // "streaming", "starting", "waiting", "restarting", "stopping"
  std::uint32_t received_tli = 0;
  std::optional<Lsn> written_lsn, flushed_lsn, latest_end_lsn;
  std::string slot_name;
  std::string sender_host;
  int sender_port = 0;
  std::string conninfo;  // with the password masked by the server
};

PgResult<std::optional<WalReceiverStatus>> query_wal_receiver(PgConnection& conn);

// pg_settings rows with pending_restart: changed in the files, waiting for a restart.
struct PendingSetting {
  std::string name;
  std::string setting;  // the value the server still runs with
};

PgResult<std::vector<PendingSetting>> query_pending_restart(PgConnection& conn);

// current_setting(name).
PgResult<std::string> query_setting(PgConnection& conn, const std::string& name);

}  // namespace ha::agent::pg
