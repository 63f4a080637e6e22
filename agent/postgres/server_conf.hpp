// The agent's own PostgreSQL settings file, postgresql.ha.conf, included from postgresql.conf:
// what replication needs (wal_level, senders, slots, hot_standby, wal_log_hints for pg_rewind),
// the listen address and port, the user's parameters, and on a standby the recovery settings
// (primary_conninfo, primary_slot_name, recovery_target_timeline; PostgreSQL >= 12 style, with
// standby.signal). Rendering text only; writing files is PgControl's job.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "agent/postgres/pg_result.hpp"

namespace ha::agent::pg {

inline constexpr const char* kHaConfFile = "postgresql.ha.conf";

struct StandbySettings {
  std::string primary_conninfo;   // see conninfo.hpp; may carry the replication password
  std::string primary_slot_name;  // empty: stream without a slot
  std::string recovery_target_timeline = "latest";
};

struct ServerSettings {
  std::string listen_addresses = "localhost";  // "*", "10.0.0.1,127.0.0.1", ...
  std::uint16_t port = 5432;
  std::string unix_socket_directories;  // empty: the server's default
  std::string cluster_name;             // empty: not set
  // Replaces the defaults below and adds anything else; the names above and the standby
  // settings are the agent's and win over this map. What ALTER SYSTEM put in
  // postgresql.auto.conf (e.g. synchronous_standby_names) wins over this whole file.
  std::map<std::string, std::string> parameters;
  // Set: a standby of that primary (write_config also creates standby.signal). Unset: a
  // primary (write_config removes standby.signal).
  std::optional<StandbySettings> standby;
  // The server's major version (e.g. 15): settings newer than it are left out. 0: the newest.
  int major_version = 0;
};

// The defaults the agent puts before the user's parameters: wal_level=replica, hot_standby=on,
// max_wal_senders=10, max_replication_slots=10, wal_keep_size=128MB, wal_log_hints=on,
// wal_retrieve_retry_interval=1s (a replica reconnects to a new leader within a second, not
// five), and from PostgreSQL 14 recovery_init_sync_method=syncfs (crash recovery starts with one
// syncfs instead of an fsync of every file: seconds sooner after a crash). `major` 0: the newest.
std::map<std::string, std::string> default_ha_parameters(int major = 0);

// A GUC value in postgresql.conf syntax: single-quoted, with ' and \ escaped.
std::string quote_guc_value(const std::string& value);
// Whether `name` can be a GUC name (letters, digits, '_' and '.'; not starting with a digit).
bool valid_guc_name(const std::string& name);

// The text of postgresql.ha.conf; kInvalid for a bad parameter name or a value with a newline.
PgResult<std::string> render_ha_conf(const ServerSettings& settings);

// The line that postgresql.conf needs to read our file.
std::string ha_conf_include_line();

}  // namespace ha::agent::pg
