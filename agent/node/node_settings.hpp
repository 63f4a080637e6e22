// What PostgresNode derives from the agent's config for PostgreSQL: the settings file
// (listen address and port, cluster_name, merged parameters, standby settings), pg_hba.conf
// (the configured lines, or defaults when none), initdb's options, the connection strings to
// the local server, to a member's conn_url (replication, pg_rewind) and a member's conn_url
// taken apart. Pure functions: no files, no processes, no connections.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/config.hpp"
#include "agent/dynamic_config.hpp"
#include "agent/postgres/conninfo.hpp"
#include "agent/postgres/pg_control.hpp"
#include "agent/postgres/pg_result.hpp"
#include "agent/postgres/server_conf.hpp"

namespace ha::agent::node {

// A member's conn_url ("postgres://host:port/dbname", "postgresql://user@[::1]:5433", or
// plain "host:port"): only host and port matter (port 5432 when absent).
struct UrlTarget {
  std::string host;
  std::uint16_t port = 5432;
};
pg::PgResult<UrlTarget> parse_conn_url(const std::string& conn_url);

// A GUC value from the YAML/JSON config: strings as they are, booleans on/off, numbers as
// printed. Nothing for null.
std::optional<std::string> guc_text(const nlohmann::json& value);

// The dynamic config's postgresql.parameters, then the node's own on top (local wins).
std::map<std::string, std::string> merged_parameters(const AgentConfig& config,
                                                     const DynamicConfig& dynamic);

// The settings file: postgresql.listen (host list or wildcard, port), cluster_name = scope,
// merged parameters, and `standby` when given.
pg::ServerSettings server_settings(const AgentConfig& config, const DynamicConfig& dynamic,
                                   std::optional<pg::StandbySettings> standby);

// postgresql.pg_hba when set. Otherwise defaults: local peer; the superuser from loopback
// (scram-sha-256 when it has a password, else trust); replication for the replication user and
// normal connections for the rewind user (or the superuser) from anywhere with scram-sha-256
// when they have a password, from loopback with trust when not.
std::vector<std::string> hba_lines(const AgentConfig& config);

// initdb: the superuser and its password, data checksums, bootstrap.initdb as extra options
// (an --encoding or --locale there replaces ours).
pg::InitdbOptions initdb_options(const AgentConfig& config);

// The local server as the superuser over TCP: listen's host (the first of a list; 127.0.0.1 for
// a wildcard), listen's port, dbname postgres.
pg::ConnParams local_conn_params(const AgentConfig& config, int connect_timeout_s);

// primary_conninfo towards `target` as the replication user, application_name = our name.
pg::ConnParams replication_conn_params(const AgentConfig& config, const UrlTarget& target,
                                       int connect_timeout_s);

// pg_rewind's source: the rewind user (or the superuser), dbname postgres.
pg::ConnParams rewind_conn_params(const AgentConfig& config, const UrlTarget& target,
                                  int connect_timeout_s);

}  // namespace ha::agent::node
