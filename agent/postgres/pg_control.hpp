// PgControl: the PostgreSQL programs the agent drives for one data directory — initdb,
// pg_ctl start/stop/restart/reload/promote/status, pg_controldata, pg_basebackup (clone) and
// pg_rewind — plus writing the agent's settings files and removing or moving the directory.
// Every program runs through a CommandRunner, as the configured OS user, with a deadline;
// failures come back as PgError values whose message names the command, the path and the
// server log's reason. SQL is elsewhere (pg_connection, status_queries, admin_queries).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/postgres/controldata.hpp"
#include "agent/postgres/data_dir.hpp"
#include "agent/postgres/pg_result.hpp"
#include "agent/postgres/postmaster_pid.hpp"
#include "agent/postgres/process_runner.hpp"
#include "agent/postgres/server_conf.hpp"

namespace ha::agent::pg {

struct PgControlOptions {
  std::string bin_dir;   // where initdb, pg_ctl, ... live; empty: found in PATH
  std::string data_dir;  // made absolute by the constructor
  // OS user every program runs as (PostgreSQL refuses root). Empty: this process's user.
  std::string run_as;
  // pg_ctl -l: where the server's own output goes until its logging takes over. Empty:
  // <data_dir>/postmaster.log (copied by clones and replaced by pg_rewind; set a path outside
  // the data directory to keep it).
  std::string log_file;
  Millis command_timeout{30'000};  // pg_controldata, pg_ctl reload/status, --version
};

enum class StopMode {
  kSmart,      // wait for every client to disconnect
  kFast,       // disconnect clients, clean shutdown checkpoint (the usual one)
  kImmediate,  // quit at once; crash recovery at the next start (fencing)
};

const char* to_string(StopMode mode);

struct InitdbOptions {
  std::string superuser = "postgres";
  std::string superuser_password;  // empty: none (then auth must not ask for one)
  std::string encoding = "UTF8";
  std::string locale;      // empty: from the environment
  std::string auth_local;  // --auth-local, e.g. "peer" or "trust"; empty: initdb's default
  std::string auth_host;   // --auth-host, e.g. "scram-sha-256"; empty: initdb's default
  // Page checksums: pg_rewind works with them or with wal_log_hints (which postgresql.ha.conf
  // turns on by default).
  bool data_checksums = true;
  std::vector<std::string> extra_args;  // bootstrap.initdb, e.g. "--wal-segsize=32"
  Millis timeout{300'000};
};

struct StartOptions {
  Millis timeout{60'000};  // pg_ctl -w -t: until the server accepts connections
  // pg_ctl -o "-p <port>": overrides the port of the settings files for this start.
  std::optional<std::uint16_t> port;
};

struct CloneOptions {
  std::string source_conninfo;          // the server to copy, as a replication user
  std::string password;                 // given to pg_basebackup in its environment (PGPASSWORD)
  std::string slot;                     // stream the backup's WAL through this slot; empty: none
  bool create_slot = false;             // pg_basebackup -C: create `slot` first
  std::vector<std::string> extra_args;  // e.g. "--max-rate=100M"
  Millis timeout{3'600'000};
};

struct RewindOptions {
  std::string source_conninfo;  // the new primary, as a superuser or a rewind user
  std::string password;
  std::vector<std::string> extra_args;
  Millis timeout{1'800'000};
};

struct RewindOutcome {
  bool rewound = false;  // false: pg_rewind found nothing to do ("no rewind required")
  std::string output;    // what pg_rewind said (divergence point, ...)
};

class PgControl {
 public:
  PgControl(PgControlOptions options, CommandRunner& runner);

  const PgControlOptions& options() const { return options_; }
  const std::string& data_dir() const { return options_.data_dir; }
  // The full path of a PostgreSQL program (bin_dir/name), or the bare name without bin_dir.
  std::string program(const std::string& name) const;

  // Each named program exists and is executable; the error names the first missing path.
  PgStatus check_programs(const std::vector<std::string>& names) const;
  // The major version of the programs (pg_ctl --version), e.g. 15. Cached after a success.
  PgResult<int> programs_major_version();

  DataDirState data_dir_state() const;

  // A new cluster in an empty or missing data directory.
  PgStatus initdb(const InitdbOptions& options);

  // postgresql.ha.conf from `settings` (and the include line in postgresql.conf),
  // pg_hba.conf from `hba_lines` (left alone when empty), and standby.signal present exactly
  // when settings.standby is set. Takes effect at the next start, or at a reload for the
  // settings that allow it (primary_conninfo and primary_slot_name do, since PostgreSQL 13).
  PgStatus write_config(const ServerSettings& settings, const std::vector<std::string>& hba_lines);

  // pg_ctl start -w. After a crash, first waits (up to 10 s) for the old postmaster's children
  // to let go of its shared memory and removes a lock file naming a dead (or reused) pid.
  // kState if already running; kTimeout when the server did not become ready
  // in time (it may still be starting: see status()); kCommand with the server log's reason
  // otherwise (e.g. "could not bind ... Address already in use").
  PgStatus start(const StartOptions& options);
  // pg_ctl stop -w -m mode. Fine when already stopped or crashed. kTimeout when it did not
  // stop in time (the server keeps stopping; a stronger mode may follow).
  PgStatus stop(StopMode mode, Millis timeout);
  PgStatus restart(StopMode mode, const StartOptions& options);
  PgStatus reload();
  // pg_ctl promote -w: returns once the server is out of recovery. kState if not a standby.
  PgStatus promote(Millis timeout);

  // Running, stopped or crashed, from postmaster.pid and the process it names (no program is
  // run: cheap enough for every loop).
  PostmasterStatus status() const;
  // pg_ctl status: true running, false not running. pg_ctl counts a killed postmaster that its
  // parent has not reaped yet (a zombie) as running; status() does not.
  PgResult<bool> pg_ctl_status();
  // SIGKILL to the postmaster named in postmaster.pid, then waits up to `wait` for it to go.
  // The last resort when a stop does not finish; the next start runs crash recovery.
  PgStatus kill_postmaster(Millis wait);

  PgResult<ControlData> controldata();

  // pg_basebackup -X stream --checkpoint=fast into the (missing or empty) data directory. No
  // recovery settings are written (no -R): write_config with standby settings follows.
  PgStatus clone(const CloneOptions& options);
  // pg_rewind against a running source. The server must not be running (a crashed one is
  // recovered by pg_rewind itself first). pg_rewind copies the source's configuration files:
  // call write_config with standby settings before the next start.
  PgResult<RewindOutcome> rewind(const RewindOptions& options);

  // Deletes the data directory. kState while the server runs.
  PgStatus remove_data_dir();
  // Renames the data directory to "<data_dir>.<suffix>" and returns that path. kState while
  // the server runs; kIo if the target exists.
  PgResult<std::string> move_data_dir_aside(const std::string& suffix);

 private:
  ProcessSpec spec(const std::string& program_name, std::vector<std::string> args,
                   Millis timeout) const;
  // Runs a program after checking it exists; command errors name the program and its output.
  PgResult<ProcessResult> run_program(const std::string& program_name,
                                      std::vector<std::string> args, Millis timeout,
                                      std::vector<std::pair<std::string, std::string>> env = {});
  PgError command_error(const std::string& what, const ProcessResult& result,
                        const std::string& extra = {}) const;
  std::string log_file() const;
  PgStatus require_not_running(const char* action) const;
  PgStatus clear_stale_lock_files(const PostmasterStatus& before, Millis wait);

  PgControlOptions options_;
  CommandRunner& runner_;
  std::optional<int> programs_major_;
};

}  // namespace ha::agent::pg
