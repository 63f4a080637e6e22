// PostgresNode's construction, its connection and configuration helpers, and observe(). The
// actions are in postgres_node_actions.cpp.
#include "agent/node/postgres_node.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "agent/node/node_settings.hpp"
#include "agent/node/replay_timeline.hpp"
#include "agent/node/sync_standby_names.hpp"
#include "agent/postgres/admin_queries.hpp"
#include "agent/postgres/conninfo.hpp"
#include "agent/postgres/data_dir.hpp"
#include "agent/postgres/status_queries.hpp"
#include "agent/postgres/timeline_history.hpp"

namespace ha::agent {

namespace {

// Settings observe() reads besides the status: one round trip.
constexpr const char* kSettingsSql = R"SQL(
SELECT pg_catalog.current_setting('wal_log_hints') AS wal_log_hints,
       pg_catalog.current_setting('data_checksums') AS data_checksums,
       pg_catalog.current_setting('synchronous_standby_names') AS sync_names,
       (SELECT count(*) FROM pg_catalog.pg_settings WHERE pending_restart) AS pending
)SQL";

void append_error(std::string& errors, const std::string& what) {
  if (!errors.empty()) errors += "; ";
  errors += what;
}

}  // namespace

PostgresNode::PostgresNode(const AgentConfig& config, pg::CommandRunner& runner, std::string run_as)
    : config_(config),
      dynamic_(config.bootstrap.dcs),
      control_(pg::PgControlOptions{config.postgresql.bin_dir, config.postgresql.data_dir,
                                    std::move(run_as), "", Millis(30'000)},
               runner) {}

void PostgresNode::set_dynamic_config(const DynamicConfig& dynamic) {
  if (dynamic.retry_timeout != dynamic_.retry_timeout) drop_connection();
  dynamic_ = dynamic;
}

Millis PostgresNode::deadline() const { return std::max(dynamic_.retry_timeout, Millis(100)); }

int PostgresNode::connect_timeout_s() const {
  // libpq rounds connect_timeout below 2 s up to 2 s anyway.
  const auto s = std::chrono::ceil<std::chrono::seconds>(dynamic_.retry_timeout).count();
  return static_cast<int>(std::max<long long>(2, s));
}

pg::PgResult<pg::PgConnection*> PostgresNode::connection() {
  if (conn_ && conn_->ok()) return &*conn_;
  conn_.reset();
  pg::ConnectOptions o;
  o.conninfo = pg::to_conninfo(node::local_conn_params(config_, connect_timeout_s()));
  o.connect_timeout = deadline();
  o.statement_timeout = deadline();
  o.application_name = "haagent";
  auto c = pg::PgConnection::open(o);
  if (!c) return c.error();
  conn_.emplace(std::move(c).value());
  return &*conn_;
}

void PostgresNode::forget_data_dir() {
  system_identifier_.clear();
  data_checksums_.reset();
  history_timeline_ = 0;
  timeline_start_.reset();
  drop_connection();
}

// ---------------------------------------------------------------- observe

LocalPostgres PostgresNode::observe(SteadyTime now) {
  LocalPostgres pg;
  last_observe_error_.clear();
  const auto dir_state = control_.data_dir_state();
  if (dir_state == pg::DataDirState::kMissing || dir_state == pg::DataDirState::kEmpty) {
    pg.data_dir_empty = true;
    pg.state = PgState::stopped;
    forget_data_dir();
    down_since_.reset();
    start_failed_ = false;
    return pg;
  }
  if (dir_state == pg::DataDirState::kOther) {
    last_observe_error_ = fmt::format(
        "{} holds something that is not a PostgreSQL cluster (no PG_VERSION or "
        "global/pg_control)",
        control_.data_dir());
  }

  const auto pm = control_.status();
  switch (pm.state) {
    case pg::PostmasterState::kRunning:
      if (query_running(pg)) {
        pg.state = PgState::running;
        start_failed_ = false;
      } else {
        const std::string status = pm.pid_file ? pm.pid_file->status : "";
        pg.state = status == "stopping" ? PgState::stopping : PgState::starting;
      }
      break;
    case pg::PostmasterState::kCrashed: pg.state = PgState::crashed; break;
    case pg::PostmasterState::kStopped:
      pg.state = start_failed_ ? PgState::start_failed : PgState::stopped;
      break;
  }
  if (pg.state != PgState::running) {
    drop_connection();
    if (dir_state == pg::DataDirState::kInitialized) observe_not_running(pg);
  }

  if (pg.state == PgState::running) {
    down_since_.reset();
  } else if (should_run_ && !down_since_) {
    down_since_ = now;
  }
  pg.down_since = down_since_;
  if (pg.timeline > 0) {
    pg.timeline_start = timeline_start_of(static_cast<std::uint32_t>(pg.timeline));
  }
  if (pg.role == PgRole::replica && written_ && written_->standby) {
    pg.following = written_->leader;
  }
  return pg;
}

bool PostgresNode::query_running(LocalPostgres& pg) {
  // A cached connection may have broken since the last loop (a restart): one fresh try.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = conn_.has_value() && conn_->ok();
    auto c = connection();
    if (!c) {
      append_error(last_observe_error_, c.error().message);
      return false;
    }
    auto status = pg::query_server_status(**c);
    if (!status) {
      drop_connection();
      if (reused && attempt == 0) continue;
      append_error(last_observe_error_, status.error().message);
      return false;
    }
    const auto& st = *status;
    pg.role = st.in_recovery ? PgRole::replica : PgRole::primary;
    pg.timeline = st.timeline;
    if (st.in_recovery) {
      pg.receive_lsn = st.receive_lsn.value_or(Lsn{});
      pg.replay_lsn = st.replay_lsn.value_or(Lsn{});
      // Without a WAL receiver the server reports its last restartpoint's timeline, which
      // lags a promotion it already followed (check_timeline would then keep it out of races).
      pg.timeline = replay_timeline(control_.data_dir(), st.timeline, pg.replay_lsn);
    } else {
      pg.write_lsn = st.current_lsn.value_or(Lsn{});
    }
    if (st.system_identifier != 0) {
      system_identifier_ = std::to_string(st.system_identifier);
    }
    pg.system_identifier = system_identifier_;
    facts_.server_version_num = st.server_version_num;
    facts_.postmaster_start_time = st.postmaster_start_time;
    observe_running(pg);
    return true;
  }
  return false;
}

// The rest of a running server's picture; what fails here stays unknown, the server still
// counts as running.
void PostgresNode::observe_running(LocalPostgres& pg) {
  auto c = connection();
  if (!c) {
    append_error(last_observe_error_, c.error().message);
    return;
  }
  pg::PgConnection& conn = **c;
  if (auto r = conn.query(kSettingsSql); r && !r->rows.empty()) {
    const auto& row = r->rows[0];
    auto at = [&](const char* name) -> std::string {
      const int i = r->column(name);
      return i >= 0 && row[static_cast<std::size_t>(i)] ? *row[static_cast<std::size_t>(i)] : "";
    };
    pg.rewind_possible = at("wal_log_hints") == "on" || at("data_checksums") == "on";
    const auto names = node::parse_sync_standby_names(at("sync_names"));
    pg.synchronous_standby_names = names.names;
    pg.synchronous_strict_placeholder = names.placeholder;
    pg.pending_restart = at("pending") != "0" && !at("pending").empty();
  } else {
    append_error(last_observe_error_, r ? "no row from the settings query" : r.error().message);
  }
  if (pg.role == PgRole::replica) {
    auto rx = pg::query_wal_receiver(conn);
    if (rx) {
      pg.streaming = rx->has_value() && (*rx)->status == "streaming";
    } else {
      append_error(last_observe_error_, rx.error().message);
    }
  } else if (pg.role == PgRole::primary) {
    auto rows = pg::query_replication(conn);
    if (rows) {
      for (const auto& r : *rows) {
        ReplicationRow out;
        out.application_name = r.application_name;
        out.state = r.state;
        out.sync_state = r.sync_state;
        out.flush_lsn = r.flush_lsn.value_or(Lsn{});
        out.replay_lsn = r.replay_lsn.value_or(Lsn{});
        pg.replication.push_back(std::move(out));
      }
    } else {
      append_error(last_observe_error_, rows.error().message);
    }
  }
}

// Stopped, crashed or starting: what the control file says it last was.
void PostgresNode::observe_not_running(LocalPostgres& pg) {
  auto cd = control_.controldata();
  if (!cd) {
    append_error(last_observe_error_, cd.error().message);
    pg.system_identifier = system_identifier_;
    return;
  }
  system_identifier_ = std::to_string(cd->system_identifier);
  data_checksums_ = cd->checksum_version != 0;
  pg.system_identifier = system_identifier_;
  pg.rewind_possible = cd->rewindable();
  switch (cd->state) {
    case pg::ClusterState::kInProduction:
    case pg::ClusterState::kShutDown: pg.role = PgRole::primary; break;
    case pg::ClusterState::kInArchiveRecovery:
    case pg::ClusterState::kShutDownInRecovery: pg.role = PgRole::replica; break;
    default: pg.role = PgRole::unknown; break;
  }
  pg.timeline = std::max(cd->timeline, cd->min_recovery_timeline);
  pg.write_lsn = std::max(cd->checkpoint_lsn, cd->min_recovery_lsn);
  pg.wal_end_unknown = cd->state == pg::ClusterState::kInProduction;
}

std::optional<Lsn> PostgresNode::timeline_start_of(std::uint32_t timeline) {
  if (timeline <= 1) return std::nullopt;
  if (history_timeline_ == timeline && timeline_start_) return timeline_start_;
  const std::string path = fmt::format("{}/pg_wal/{:08X}.history", control_.data_dir(), timeline);
  std::ifstream in(path);
  if (!in) return std::nullopt;  // not there (yet): a replica may fetch it later
  std::stringstream text;
  text << in.rdbuf();
  auto history = pg::parse_timeline_history(text.str());
  if (!history) {
    append_error(last_observe_error_, history.error().message);
    return std::nullopt;
  }
  std::optional<Lsn> start;
  for (const auto& sw : *history) {
    if (sw.timeline == timeline - 1) start = sw.switch_lsn;
  }
  if (!start && !history->empty()) start = history->back().switch_lsn;
  history_timeline_ = timeline;
  timeline_start_ = start;
  return start;
}

// ---------------------------------------------------------------- configuration

pg::PgStatus PostgresNode::write_primary_config() {
  auto s = control_.write_config(node::server_settings(config_, dynamic_, std::nullopt),
                                 node::hba_lines(config_));
  if (s) written_ = Written{false, "", ""};
  return s;
}

pg::PgStatus PostgresNode::write_standby_config(const std::string& leader,
                                                const std::string& conn_url) {
  pg::StandbySettings st;
  if (!leader.empty() && !conn_url.empty()) {
    auto target = node::parse_conn_url(conn_url);
    if (!target) return target.error();
    st.primary_conninfo =
        pg::to_conninfo(node::replication_conn_params(config_, *target, connect_timeout_s()));
    if (dynamic_.postgresql.use_slots) {
      st.primary_slot_name = pg::slot_name_for_member(config_.name);
    }
  }
  auto s =
      control_.write_config(node::server_settings(config_, dynamic_, st), node::hba_lines(config_));
  if (s) written_ = Written{true, leader.empty() ? "" : leader, leader.empty() ? "" : conn_url};
  return s;
}

pg::PgStatus PostgresNode::rewrite_current_config() {
  if (written_) {
    return written_->standby ? write_standby_config(written_->leader, written_->conn_url)
                             : write_primary_config();
  }
  if (!pg::data_file_exists(control_.data_dir(), "standby.signal")) return write_primary_config();
  return {};  // a standby of an upstream we do not know: leave its files as they are
}

}  // namespace ha::agent
