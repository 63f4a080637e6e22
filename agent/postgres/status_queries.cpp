#include "agent/postgres/status_queries.hpp"

#include <fmt/format.h>

#include "agent/postgres/row_reader.hpp"

namespace ha::agent::pg {

namespace {

constexpr const char* kStatusSql = R"SQL(
SELECT pg_catalog.pg_is_in_recovery() AS in_recovery,
       CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL
            ELSE pg_catalog.pg_current_wal_lsn()::text END AS current_lsn,
       pg_catalog.pg_last_wal_receive_lsn()::text AS receive_lsn,
       pg_catalog.pg_last_wal_replay_lsn()::text AS replay_lsn,
       CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_is_wal_replay_paused()
            ELSE false END AS replay_paused,
       pg_catalog.pg_last_xact_replay_timestamp()::text AS replay_timestamp,
       CASE WHEN pg_catalog.pg_is_in_recovery()
            THEN COALESCE((SELECT received_tli FROM pg_catalog.pg_stat_wal_receiver
                           WHERE received_tli > 0),
                          (SELECT timeline_id FROM pg_catalog.pg_control_checkpoint()))
            ELSE ('x' || pg_catalog.substr(pg_catalog.pg_walfile_name(
                      pg_catalog.pg_current_wal_lsn()), 1, 8))::bit(32)::int
       END AS timeline,
       pg_catalog.pg_postmaster_start_time()::text AS start_time,
       extract(epoch FROM pg_catalog.pg_postmaster_start_time())::float8 AS start_epoch,
       pg_catalog.current_setting('server_version_num')::int AS version_num,
       (SELECT system_identifier FROM pg_catalog.pg_control_system()) AS system_identifier
)SQL";

constexpr const char* kTimelineSql = R"SQL(
SELECT CASE WHEN pg_catalog.pg_is_in_recovery()
            THEN COALESCE((SELECT received_tli FROM pg_catalog.pg_stat_wal_receiver
                           WHERE received_tli > 0),
                          (SELECT timeline_id FROM pg_catalog.pg_control_checkpoint()))
            ELSE ('x' || pg_catalog.substr(pg_catalog.pg_walfile_name(
                      pg_catalog.pg_current_wal_lsn()), 1, 8))::bit(32)::int
       END AS timeline
)SQL";

PgError no_rows(const std::string& what) {
  return pg_error(PgErrorKind::kInvalid, fmt::format("unexpected answer to {}: no row", what));
}

// The single value of a one-row, one-column query.
PgResult<std::optional<std::string>> single_value(
    PgConnection& conn, const std::string& sql, const std::string& what,
    const std::vector<std::optional<std::string>>& params = {}) {
  auto r = conn.query(sql, params);
  if (!r) return r.error();
  if (r->rows.empty() || r->rows[0].empty()) return no_rows(what);
  return r->rows[0][0];
}

PgResult<std::optional<Lsn>> lsn_query(PgConnection& conn, const char* function) {
  const std::string what = fmt::format("{}()", function);
  auto v = single_value(conn, fmt::format("SELECT pg_catalog.{}()::text AS lsn", function), what);
  if (!v) return v.error();
  if (!*v) return std::optional<Lsn>();
  const auto lsn = parse_lsn(**v);
  if (!lsn) {
    return pg_error(PgErrorKind::kInvalid,
                    fmt::format("unexpected answer to {}: '{}' is not an LSN", what, **v));
  }
  return std::optional<Lsn>(*lsn);
}

}  // namespace

std::optional<Lsn> ServerStatus::wal_position() const {
  if (!in_recovery) return current_lsn;
  if (receive_lsn && replay_lsn) return std::max(*receive_lsn, *replay_lsn);
  return receive_lsn ? receive_lsn : replay_lsn;
}

PgResult<ServerStatus> query_server_status(PgConnection& conn) {
  auto r = conn.query(kStatusSql);
  if (!r) return r.error();
  if (r->rows.empty()) return no_rows("the status query");
  RowReader row(*r, 0, "the status query");
  ServerStatus s;
  s.in_recovery = row.boolean("in_recovery");
  s.current_lsn = row.lsn("current_lsn");
  s.receive_lsn = row.lsn("receive_lsn");
  s.replay_lsn = row.lsn("replay_lsn");
  s.replay_paused = row.boolean("replay_paused");
  s.last_replay_timestamp = row.text("replay_timestamp");
  s.timeline = static_cast<std::uint32_t>(row.integer("timeline"));
  s.postmaster_start_time = row.text_or_empty("start_time");
  s.postmaster_start_epoch = row.real("start_epoch");
  s.server_version_num = static_cast<int>(row.integer("version_num"));
  s.system_identifier = row.unsigned_integer("system_identifier");
  if (row.error()) return *row.error();
  return s;
}

PgResult<bool> query_is_in_recovery(PgConnection& conn) {
  auto v = single_value(conn, "SELECT pg_catalog.pg_is_in_recovery()", "pg_is_in_recovery()");
  if (!v) return v.error();
  if (*v == "t") return true;
  if (*v == "f") return false;
  return pg_error(PgErrorKind::kInvalid, "unexpected answer to pg_is_in_recovery()");
}

PgResult<std::uint32_t> query_timeline(PgConnection& conn) {
  auto r = conn.query(kTimelineSql);
  if (!r) return r.error();
  if (r->rows.empty()) return no_rows("the timeline query");
  RowReader row(*r, 0, "the timeline query");
  const auto tli = row.integer("timeline");
  if (row.error()) return *row.error();
  return static_cast<std::uint32_t>(tli);
}

PgResult<std::optional<Lsn>> query_current_wal_lsn(PgConnection& conn) {
  // pg_current_wal_lsn() raises an error during recovery; ask only a primary.
  auto v = single_value(conn,
                        "SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL "
                        "ELSE pg_catalog.pg_current_wal_lsn()::text END",
                        "pg_current_wal_lsn()");
  if (!v) return v.error();
  if (!*v) return std::optional<Lsn>();
  const auto lsn = parse_lsn(**v);
  if (!lsn) return pg_error(PgErrorKind::kInvalid, "unexpected answer to pg_current_wal_lsn()");
  return std::optional<Lsn>(*lsn);
}

PgResult<std::optional<Lsn>> query_last_wal_receive_lsn(PgConnection& conn) {
  return lsn_query(conn, "pg_last_wal_receive_lsn");
}

PgResult<std::optional<Lsn>> query_last_wal_replay_lsn(PgConnection& conn) {
  return lsn_query(conn, "pg_last_wal_replay_lsn");
}

PgResult<std::string> query_postmaster_start_time(PgConnection& conn) {
  auto v = single_value(conn, "SELECT pg_catalog.pg_postmaster_start_time()::text",
                        "pg_postmaster_start_time()");
  if (!v) return v.error();
  return v->value_or("");
}

PgResult<int> query_server_version_num(PgConnection& conn) {
  auto r = conn.query("SELECT pg_catalog.current_setting('server_version_num')::int AS v");
  if (!r) return r.error();
  if (r->rows.empty()) return no_rows("server_version_num");
  RowReader row(*r, 0, "server_version_num");
  const auto v = row.integer("v");
  if (row.error()) return *row.error();
  return static_cast<int>(v);
}

PgResult<std::vector<ReplicationRow>> query_replication(PgConnection& conn) {
  auto r = conn.query(
      "SELECT pid, application_name, client_addr::text AS client_addr, state, sync_state, "
      "sync_priority, sent_lsn::text AS sent_lsn, write_lsn::text AS write_lsn, "
      "flush_lsn::text AS flush_lsn, replay_lsn::text AS replay_lsn "
      "FROM pg_catalog.pg_stat_replication ORDER BY application_name, pid");
  if (!r) return r.error();
  std::vector<ReplicationRow> out;
  for (std::size_t i = 0; i < r->rows.size(); ++i) {
    RowReader row(*r, i, "pg_stat_replication");
    ReplicationRow rr;
    rr.pid = static_cast<int>(row.integer("pid"));
    rr.application_name = row.text_or_empty("application_name");
    rr.client_addr = row.text_or_empty("client_addr");
    rr.state = row.text_or_empty("state");
    rr.sync_state = row.text_or_empty("sync_state");
    rr.sync_priority = static_cast<int>(row.integer("sync_priority"));
    rr.sent_lsn = row.lsn("sent_lsn");
    rr.write_lsn = row.lsn("write_lsn");
    rr.flush_lsn = row.lsn("flush_lsn");
    rr.replay_lsn = row.lsn("replay_lsn");
    if (row.error()) return *row.error();
    out.push_back(std::move(rr));
  }
  return out;
}

PgResult<std::optional<WalReceiverStatus>> query_wal_receiver(PgConnection& conn) {
  auto r = conn.query(
      "SELECT pid, status, received_tli, written_lsn::text AS written_lsn, "
      "flushed_lsn::text AS flushed_lsn, latest_end_lsn::text AS latest_end_lsn, slot_name, "
      "sender_host, sender_port, conninfo FROM pg_catalog.pg_stat_wal_receiver");
  if (!r) return r.error();
  if (r->rows.empty()) return std::optional<WalReceiverStatus>();
  RowReader row(*r, 0, "pg_stat_wal_receiver");
  WalReceiverStatus w;
  w.pid = static_cast<int>(row.integer("pid"));
  w.status = row.text_or_empty("status");
  w.received_tli = static_cast<std::uint32_t>(row.integer("received_tli"));
  w.written_lsn = row.lsn("written_lsn");
  w.flushed_lsn = row.lsn("flushed_lsn");
  w.latest_end_lsn = row.lsn("latest_end_lsn");
  w.slot_name = row.text_or_empty("slot_name");
  w.sender_host = row.text_or_empty("sender_host");
  w.sender_port = static_cast<int>(row.integer("sender_port"));
  w.conninfo = row.text_or_empty("conninfo");
  if (row.error()) return *row.error();
  return std::optional<WalReceiverStatus>(std::move(w));
}

PgResult<std::vector<PendingSetting>> query_pending_restart(PgConnection& conn) {
  auto r = conn.query(
      "SELECT name, setting FROM pg_catalog.pg_settings WHERE pending_restart ORDER BY name");
  if (!r) return r.error();
  std::vector<PendingSetting> out;
  for (std::size_t i = 0; i < r->rows.size(); ++i) {
    RowReader row(*r, i, "pg_settings");
    PendingSetting p{row.text_or_empty("name"), row.text_or_empty("setting")};
    if (row.error()) return *row.error();
    out.push_back(std::move(p));
  }
  return out;
}

PgResult<std::string> query_setting(PgConnection& conn, const std::string& name) {
  auto v = single_value(conn, "SELECT pg_catalog.current_setting($1)",
                        fmt::format("current_setting('{}')", name), {name});
  if (!v) return v.error();
  return v->value_or("");
}

}  // namespace ha::agent::pg
