// PostgresNode: this member's PostgreSQL as the HA loop sees and drives it — one observation
// per loop (LocalPostgres: process state, role, timeline, WAL positions, streaming, replication
// rows) and one method per PostgreSQL action of decide() (bootstrap, clone, start as replica,
// follow, promote, demote, restart, rewind, reinitialize, synchronous standbys), plus the
// leader's housekeeping (replication slots, settings from the dynamic config). Built on
// PgControl and the SQL helpers of agent/postgres; every call has a deadline and reports a
// failure as a PgStatus whose message says what went wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/actions.hpp"
#include "agent/clock.hpp"
#include "agent/config.hpp"
#include "agent/dynamic_config.hpp"
#include "agent/local_postgres.hpp"
#include "agent/postgres/pg_connection.hpp"
#include "agent/postgres/pg_control.hpp"
#include "agent/postgres/pg_result.hpp"
#include "agent/postgres/process_runner.hpp"

namespace ha::agent {

// What the last successful observation learnt about the server besides LocalPostgres, for the
// REST API.
struct ServerFacts {
  int server_version_num = 0;         // 150004
  std::string postmaster_start_time;  // as PostgreSQL prints a timestamptz
};

class PostgresNode {
 public:
  // `run_as`: the OS user for PostgreSQL's programs (empty: this process's user).
  PostgresNode(const AgentConfig& config, pg::CommandRunner& runner, std::string run_as = {});

  // The dynamic config in force (parameters, use_slots, retry_timeout as the query deadline).
  // Called by the loop before observe() whenever the DCS value changed.
  void set_dynamic_config(const DynamicConfig& dynamic);

  // Everything decide() needs to know about PostgreSQL. Never fails: what cannot be found out
  // stays at its "unknown" value (e.g. a server that does not answer is `starting` when its
  // postmaster is alive, `crashed` when postmaster.pid names a dead process). `following` is
  // the leader this object last pointed the server at: empty after an agent restart, so the
  // loop re-points it once (a reload; the WAL receiver restarts only if the conninfo changed).
  // Running: one connection (kept between calls) and three queries, each under retry_timeout.
  // Not running: pg_controldata.
  LocalPostgres observe(SteadyTime now);
  const ServerFacts& facts() const { return facts_; }
  // Why the last observe() could not learn everything (a connection or query that failed, a
  // pg_controldata that failed), for the log; empty when it learnt everything.
  const std::string& last_observe_error() const { return last_observe_error_; }

  // --- the actions of decide() (see agent/actions.hpp for what each means)
  // initdb with bootstrap.initdb, our settings and pg_hba, start as primary, create the
  // replication (and rewind) users.
  pg::PgStatus bootstrap();
  // pg_basebackup from the member at `conn_url` (through its slot for us when use_slots), then
  // settings as its standby and start.
  pg::PgStatus clone_from(const std::string& member, const std::string& conn_url);
  // Start in recovery, streaming from `leader` at `conn_url` (empty leader: no upstream).
  pg::PgStatus start_as_replica(const std::string& leader, const std::string& conn_url);
  // A running replica: primary_conninfo (and slot) now point at `leader`; reload.
  pg::PgStatus follow(const std::string& leader, const std::string& conn_url);
  pg::PgStatus promote();
  // Stop as a primary (mode as DemoteMode says), then start again read-only without an
  // upstream (the next loop points it at the new leader or rewinds it).
  pg::PgStatus demote(DemoteMode mode);
  // Start (or restart) in place keeping its role.
  pg::PgStatus restart();
  pg::PgStatus reload();
  // Stop if running, pg_rewind from `conn_url`, settings as a standby of `source`, start.
  pg::PgStatus rewind(const std::string& source, const std::string& conn_url);
  // Stop if running, remove the data directory, clone from `source` again.
  pg::PgStatus reinitialize(const std::string& source, const std::string& conn_url);
  // synchronous_standby_names = FIRST count (names); strict with no names: a placeholder no
  // standby matches (commits wait); no names and not strict: empty (asynchronous).
  pg::PgStatus set_sync_standbys(const std::vector<std::string>& names, int count, bool strict);
  // On a running primary: one physical slot per other member (use_slots), slots of members
  // that are gone dropped; a no-op otherwise. "Ours" means every inactive physical slot whose
  // name does not start with pg_ (there is no list of permanent slots yet): an operator's own
  // inactive physical slot is dropped too. With use_slots off, all of ours are dropped.
  pg::PgStatus sync_replication_slots(const std::vector<std::string>& members);
  // CHECKPOINT on a running server (before a switchover's stop, before a peer rewinds from us).
  pg::PgStatus checkpoint();
  // Stops PostgreSQL (fast, then immediate after the deadline): at agent shutdown when asked.
  pg::PgStatus stop(pg::StopMode mode);

  pg::PgControl& control() { return control_; }

 private:
  // Where this object last pointed the server (in this process; unknown after a restart).
  struct Written {
    bool standby = false;
    std::string leader;    // standby: the member primary_conninfo names (empty: no upstream)
    std::string conn_url;  // and its conn_url
  };

  Millis deadline() const;  // retry_timeout: connections and queries
  int connect_timeout_s() const;
  // The cached superuser connection to the local server, opened when needed.
  pg::PgResult<pg::PgConnection*> connection();
  void drop_connection() { conn_.reset(); }

  void observe_running(LocalPostgres& pg);
  bool query_running(LocalPostgres& pg);  // false: the server did not answer
  void observe_not_running(LocalPostgres& pg);
  std::optional<Lsn> timeline_start_of(std::uint32_t timeline);
  void forget_data_dir();  // after initdb, clone, rewind, removal: cached facts are stale

  pg::PgStatus write_primary_config();
  pg::PgStatus write_standby_config(const std::string& leader, const std::string& conn_url);
  // Our settings for the role last written (primary when unknown and no standby.signal);
  // nothing is written when the server is a standby of an unknown upstream.
  pg::PgStatus rewrite_current_config();
  pg::PgStatus start_server();
  // pg_ctl stop in `mode`, then immediate, then SIGKILL when a stop does not finish in time.
  pg::PgStatus stop_server(pg::StopMode mode);
  pg::PgStatus stop_if_running(pg::StopMode mode);

  AgentConfig config_;
  DynamicConfig dynamic_;
  ServerFacts facts_;
  pg::PgControl control_;
  std::optional<pg::PgConnection> conn_;
  std::optional<Written> written_;
  bool should_run_ = true;     // false after stop(): down_since stays unset
  bool start_failed_ = false;  // the last start failed and the server is not running
  std::optional<SteadyTime> down_since_;
  std::string system_identifier_;       // cached per data directory
  std::optional<bool> data_checksums_;  // from pg_controldata, cached per data directory
  std::uint32_t history_timeline_ = 0;  // timeline_start_ is for this timeline
  std::optional<Lsn> timeline_start_;
  std::string last_observe_error_;
};

}  // namespace ha::agent
