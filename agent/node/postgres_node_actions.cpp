// PostgresNode's actions: what decide() asks of PostgreSQL (bootstrap, clone, start, follow,
// promote, demote, restart, rewind, reinitialize) and the leader's housekeeping (synchronous
// standby names, replication slots, checkpoints). Each returns a PgStatus whose message names
// the step that failed.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "agent/node/node_settings.hpp"
#include "agent/node/postgres_node.hpp"
#include "agent/node/sync_standby_names.hpp"
#include "agent/postgres/admin_queries.hpp"
#include "agent/postgres/conninfo.hpp"
#include "agent/postgres/status_queries.hpp"

namespace ha::agent {

namespace {

constexpr Millis kStartTimeout{60'000};        // pg_ctl start -w: until it accepts connections
// A standby accepts connections only once it is consistent, which may need WAL from an upstream
// that is not there yet; the loop must not sit in pg_ctl meanwhile (it may have to re-point it).
constexpr Millis kStandbyStartWait{10'000};
constexpr Millis kStopTimeout{60'000};         // a fast stop (shutdown checkpoint)
constexpr Millis kImmediateTimeout{15'000};    // an immediate stop
constexpr Millis kKillWait{5'000};             // after SIGKILL
constexpr Millis kPromoteTimeout{60'000};      // pg_ctl promote -w
constexpr Millis kCheckpointTimeout{120'000};  // CHECKPOINT before a switchover or a rewind

pg::PgError with_context(const pg::PgError& e, const std::string& context) {
  pg::PgError out = e;
  out.message = context + ": " + e.message;
  return out;
}

pg::PgStatus fail(const pg::PgStatus& s, const std::string& context) {
  return with_context(s.error(), context);
}

// A slot name that this agent may have made for a member: physical, not PostgreSQL's own
// (pg_basebackup's temporary "pg_basebackup_<pid>" and the like).
bool looks_like_member_slot(const pg::SlotInfo& slot) {
  return slot.type == "physical" && slot.name.rfind("pg_", 0) != 0 &&
         pg::valid_slot_name(slot.name);
}

}  // namespace

pg::PgStatus PostgresNode::start_server() {
  should_run_ = true;
  std::error_code ec;
  const bool standby = std::filesystem::exists(control_.data_dir() + "/standby.signal", ec);
  auto s = control_.start(pg::StartOptions{standby ? kStandbyStartWait : kStartTimeout, std::nullopt});
  drop_connection();
  if (s) {
    start_failed_ = false;
    return s;
  }
  if (standby && s.error().kind == pg::PgErrorKind::kTimeout &&
      control_.status().state == pg::PostmasterState::kRunning) {
    // Still recovering towards consistency: the loop watches it as "starting".
    start_failed_ = false;
    return {};
  }
  // A timeout leaves it starting; anything else (and not running) is a failed start.
  start_failed_ = control_.status().state != pg::PostmasterState::kRunning;
  return s;
}

pg::PgStatus PostgresNode::stop_server(pg::StopMode mode) {
  drop_connection();
  auto s = control_.stop(mode, mode == pg::StopMode::kImmediate ? kImmediateTimeout : kStopTimeout);
  if (!s && s.error().kind == pg::PgErrorKind::kTimeout && mode != pg::StopMode::kImmediate) {
    s = control_.stop(pg::StopMode::kImmediate, kImmediateTimeout);
  }
  if (!s && s.error().kind == pg::PgErrorKind::kTimeout) {
    if (auto k = control_.kill_postmaster(kKillWait); !k) {
      return with_context(k.error(), "stopping PostgreSQL: " + s.error().message);
    }
    return {};
  }
  return s;
}

pg::PgStatus PostgresNode::stop_if_running(pg::StopMode mode) {
  if (control_.status().state != pg::PostmasterState::kRunning) return {};
  return stop_server(mode);
}

// ---------------------------------------------------------------- bootstrap and clone

pg::PgStatus PostgresNode::bootstrap() {
  const auto before = control_.data_dir_state();
  if (before != pg::DataDirState::kMissing && before != pg::DataDirState::kEmpty) {
    return pg::pg_error(pg::PgErrorKind::kState,
                        fmt::format("cannot bootstrap: the data directory {} is not empty ({})",
                                    control_.data_dir(), pg::to_string(before)));
  }
  forget_data_dir();
  auto steps = [&]() -> pg::PgStatus {
    if (auto s = control_.initdb(node::initdb_options(config_)); !s) return fail(s, "bootstrap");
    if (auto s = write_primary_config(); !s) return fail(s, "bootstrap: writing the settings");
    if (auto s = start_server(); !s) return fail(s, "bootstrap: starting PostgreSQL");
    auto c = connection();
    if (!c) return with_context(c.error(), "bootstrap: connecting to the new server");
    const auto& auth = config_.postgresql.authentication;
    pg::PgStatus s = pg::create_or_update_role(
        **c, pg::RoleSpec{auth.replication.username, auth.replication.password, true, true, false});
    if (!s) return fail(s, "bootstrap: the replication user");
    if (auth.rewind && !auth.rewind->username.empty()) {
      s = pg::create_or_update_role(
          **c, pg::RoleSpec{auth.rewind->username, auth.rewind->password, true, false, false});
      if (!s) return fail(s, "bootstrap: the rewind user");
      s = pg::grant_rewind_privileges(**c, auth.rewind->username);
      if (!s) return fail(s, "bootstrap: the rewind user's privileges");
    }
    return {};
  };
  auto result = steps();
  if (!result) {
    // Half a bootstrap is of no use: leave the directory empty for the next attempt (here or
    // on another member).
    (void)stop_server(pg::StopMode::kImmediate);
    if (control_.data_dir_state() == pg::DataDirState::kInitialized ||
        control_.data_dir_state() == pg::DataDirState::kOther) {
      (void)control_.remove_data_dir();
    }
    forget_data_dir();
    written_.reset();
  }
  return result;
}

pg::PgStatus PostgresNode::clone_from(const std::string& member, const std::string& conn_url) {
  auto target = node::parse_conn_url(conn_url);
  if (!target) return with_context(target.error(), "clone from " + member);
  forget_data_dir();
  const auto params = node::replication_conn_params(config_, *target, connect_timeout_s());
  pg::CloneOptions o;
  auto without_password = params;
  without_password.password.clear();
  o.source_conninfo = pg::to_conninfo(without_password);
  o.password = params.password;
  if (dynamic_.postgresql.use_slots) {
    // Stream the backup's WAL through our slot when the leader has made it already (it keeps
    // the slots; PostgreSQL 15 answers READ_REPLICATION_SLOT); else pg_basebackup's own
    // temporary slot covers the copy.
    const std::string slot = pg::slot_name_for_member(config_.name);
    pg::ConnectOptions co;
    co.conninfo = pg::to_conninfo(params);
    co.connect_timeout = deadline();
    co.statement_timeout = Millis(0);
    co.replication = true;
    if (auto rc = pg::PgConnection::open(co)) {
      auto r = rc->simple_query("READ_REPLICATION_SLOT \"" + slot + "\"", deadline());
      if (r && !r->rows.empty() && !r->rows[0].empty() && r->rows[0][0].has_value()) {
        o.slot = slot;
      }
    }
  }
  should_run_ = true;
  if (auto s = control_.clone(o); !s) return fail(s, "clone from " + member);
  forget_data_dir();
  if (auto s = write_standby_config(member, conn_url); !s) {
    return fail(s, "clone from " + member + ": writing the standby settings");
  }
  if (auto s = start_server(); !s) return fail(s, "clone from " + member + ": starting");
  return {};
}

pg::PgStatus PostgresNode::start_as_replica(const std::string& leader,
                                            const std::string& conn_url) {
  const std::string what =
      leader.empty() ? std::string("start as a replica") : "start as a replica of " + leader;
  if (auto s = write_standby_config(leader, conn_url); !s) return fail(s, what);
  if (auto s = start_server(); !s) return fail(s, what);
  return {};
}

pg::PgStatus PostgresNode::follow(const std::string& leader, const std::string& conn_url) {
  const std::string what = "follow " + leader;
  if (control_.status().state != pg::PostmasterState::kRunning) {
    return pg::pg_error(pg::PgErrorKind::kState,
                        what + ": PostgreSQL is not running (start it as a replica instead)");
  }
  if (auto s = write_standby_config(leader, conn_url); !s) return fail(s, what);
  if (auto s = control_.reload(); !s) return fail(s, what + ": reload");
  return {};
}

// ---------------------------------------------------------------- role changes

pg::PgStatus PostgresNode::promote() {
  if (auto s = control_.promote(kPromoteTimeout); !s) return fail(s, "promote");
  drop_connection();
  history_timeline_ = 0;
  timeline_start_.reset();
  // standby.signal is gone already; drop primary_conninfo from our file too.
  if (auto s = write_primary_config(); !s) return fail(s, "promote: writing the settings");
  return {};
}

pg::PgStatus PostgresNode::demote(DemoteMode mode) {
  const std::string what = fmt::format("demote ({})", to_string(mode));
  if (mode == DemoteMode::graceful && control_.status().state == pg::PostmasterState::kRunning) {
    // The shutdown checkpoint then has little left to write. A failed CHECKPOINT does not
    // stop the demotion.
    (void)checkpoint();
  }
  const auto stop_mode =
      mode == DemoteMode::graceful ? pg::StopMode::kFast : pg::StopMode::kImmediate;
  if (auto s = stop_if_running(stop_mode); !s) return fail(s, what + ": stopping");
  if (auto s = write_standby_config("", ""); !s) return fail(s, what + ": writing the settings");
  if (auto s = start_server(); !s) return fail(s, what + ": starting read-only");
  return {};
}

pg::PgStatus PostgresNode::restart() {
  if (auto s = rewrite_current_config(); !s) return fail(s, "restart: writing the settings");
  if (control_.status().state == pg::PostmasterState::kRunning) {
    if (auto s = stop_server(pg::StopMode::kFast); !s) return fail(s, "restart: stopping");
  }
  if (auto s = start_server(); !s) return fail(s, "restart");
  return {};
}

pg::PgStatus PostgresNode::reload() {
  if (auto s = rewrite_current_config(); !s) return fail(s, "reload: writing the settings");
  if (auto s = control_.reload(); !s) return fail(s, "reload");
  return {};
}

pg::PgStatus PostgresNode::rewind(const std::string& source, const std::string& conn_url) {
  const std::string what = "rewind from " + source;
  auto target = node::parse_conn_url(conn_url);
  if (!target) return with_context(target.error(), what);
  // A clean stop when it runs. A crashed server is left as it is: pg_rewind (PostgreSQL 13+)
  // runs its crash recovery in single-user mode first.
  if (auto s = stop_if_running(pg::StopMode::kFast); !s) return fail(s, what + ": stopping");
  const auto params = node::rewind_conn_params(config_, *target, connect_timeout_s());
  pg::RewindOptions o;
  auto without_password = params;
  without_password.password.clear();
  o.source_conninfo = pg::to_conninfo(without_password);
  o.password = params.password;
  auto r = control_.rewind(o);
  forget_data_dir();
  if (!r) return with_context(r.error(), what);
  // pg_rewind copied the source's files (its settings, pg_hba, perhaps standby.signal): ours.
  if (auto s = write_standby_config(source, conn_url); !s) {
    return fail(s, what + ": writing the standby settings");
  }
  if (auto s = start_server(); !s) return fail(s, what + ": starting");
  return {};
}

pg::PgStatus PostgresNode::reinitialize(const std::string& source, const std::string& conn_url) {
  const std::string what = "reinitialize from " + source;
  if (auto s = stop_if_running(pg::StopMode::kImmediate); !s) return fail(s, what + ": stopping");
  if (control_.data_dir_state() != pg::DataDirState::kMissing) {
    if (auto s = control_.remove_data_dir(); !s) return fail(s, what);
  }
  forget_data_dir();
  written_.reset();
  return clone_from(source, conn_url);
}

// ---------------------------------------------------------------- leader housekeeping

pg::PgStatus PostgresNode::set_sync_standbys(const std::vector<std::string>& names, int count,
                                             bool strict) {
  const std::string value = node::render_sync_standby_names(names, count, strict);
  auto c = connection();
  if (!c) return with_context(c.error(), "synchronous_standby_names");
  if (auto s = pg::set_synchronous_standby_names(**c, value); !s) {
    drop_connection();
    return fail(s, fmt::format("synchronous_standby_names = '{}'", value));
  }
  return {};
}

pg::PgStatus PostgresNode::sync_replication_slots(const std::vector<std::string>& members) {
  if (control_.status().state != pg::PostmasterState::kRunning) return {};
  auto c = connection();
  if (!c) return with_context(c.error(), "replication slots");
  pg::PgConnection& conn = **c;
  auto in_recovery = pg::query_is_in_recovery(conn);
  if (!in_recovery) {
    drop_connection();
    return with_context(in_recovery.error(), "replication slots");
  }
  if (*in_recovery) return {};  // only a primary keeps slots for the others
  std::set<std::string> wanted;
  if (dynamic_.postgresql.use_slots) {
    const std::string own = pg::slot_name_for_member(config_.name);
    for (const auto& m : members) {
      const std::string slot = pg::slot_name_for_member(m);
      if (slot != own) wanted.insert(slot);
    }
  }
  auto slots = pg::list_replication_slots(conn);
  if (!slots) return with_context(slots.error(), "replication slots");
  std::vector<std::string> problems;
  for (const auto& slot : *slots) {
    if (wanted.count(slot.name) != 0 || !looks_like_member_slot(slot) || slot.active) continue;
    auto d = pg::drop_replication_slot(conn, slot.name);
    if (!d) problems.push_back(d.error().message);
  }
  for (const auto& name : wanted) {
    const bool exists = std::any_of(slots->begin(), slots->end(),
                                    [&](const pg::SlotInfo& s) { return s.name == name; });
    if (exists) continue;
    auto created = pg::create_physical_slot(conn, name);
    if (!created) problems.push_back(created.error().message);
  }
  if (!problems.empty()) {
    return pg::pg_error(pg::PgErrorKind::kQuery,
                        fmt::format("replication slots: {}", fmt::join(problems, "; ")));
  }
  return {};
}

pg::PgStatus PostgresNode::checkpoint() {
  auto c = connection();
  if (!c) return with_context(c.error(), "CHECKPOINT");
  if (auto s = pg::checkpoint(**c, kCheckpointTimeout); !s) {
    drop_connection();
    return fail(s, "CHECKPOINT");
  }
  return {};
}

pg::PgStatus PostgresNode::stop(pg::StopMode mode) {
  should_run_ = false;
  down_since_.reset();
  start_failed_ = false;
  if (auto s = stop_server(mode); !s) return fail(s, "stop");
  return {};
}

}  // namespace ha::agent
