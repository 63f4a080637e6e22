#include "agent/rest/metrics.hpp"

#include <fmt/format.h>

#include <cctype>

#include "agent/rest/status_json.hpp"

namespace ha::agent::rest {

namespace {

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Patroni's patroni_version: each semver part as two digits, "1.2.3" -> 10203.
std::int64_t version_number(const std::string& version) {
  std::int64_t out = 0;
  int parts = 0;
  std::size_t i = 0;
  while (parts < 3) {
    std::int64_t part = 0;
    bool any = false;
    while (i < version.size() && std::isdigit(static_cast<unsigned char>(version[i]))) {
      part = part * 10 + (version[i] - '0');
      any = true;
      ++i;
    }
    out = out * 100 + (any ? part % 100 : 0);
    ++parts;
    if (i < version.size() && version[i] == '.') ++i;
  }
  return out;
}

class Writer {
 public:
  explicit Writer(const AgentStatus& s)
      : labels_(fmt::format("{{scope=\"{}\",name=\"{}\"}}", escape_label(s.scope),
                            escape_label(s.name))) {}

  template <class T>
  void gauge(const char* name, const char* help, T value, const char* type = "gauge") {
    fmt::format_to(std::back_inserter(text_), "# HELP {} {}\n# TYPE {} {}\n{}{} {}\n", name, help,
                   name, type, name, labels_, value);
  }
  std::string take() { return std::move(text_); }

 private:
  std::string labels_;
  std::string text_;
};

}  // namespace

std::string metrics_text(const AgentStatus& s, WallTime now) {
  const LocalPostgres& pg = s.pg;
  const bool primary = s.holds_lock && pg.is_running_primary();
  const bool replica = pg.is_running_replica();
  Writer w(s);
  w.gauge("patroni_version", "Version of the agent, each semver part as two digits.",
          version_number(s.version));
  w.gauge("patroni_postgres_running", "Value is 1 if PostgreSQL is running, 0 otherwise.",
          pg.is_running() ? 1 : 0);
  w.gauge("patroni_primary", "Value is 1 if this node is the leader, 0 otherwise.",
          primary ? 1 : 0);
  w.gauge("patroni_xlog_location", "Current WAL location on the primary (bytes), 0 elsewhere.",
          primary ? pg.write_lsn.value : 0);
  w.gauge("patroni_replica", "Value is 1 if this node is a running replica, 0 otherwise.",
          replica ? 1 : 0);
  w.gauge("patroni_sync_standby", "Value is 1 if this node is a synchronous standby, 0 otherwise.",
          is_sync_standby(s) ? 1 : 0);
  w.gauge("patroni_xlog_received_location", "WAL received by this replica (bytes).",
          replica ? pg.receive_lsn.value : 0);
  w.gauge("patroni_xlog_replayed_location", "WAL replayed by this replica (bytes).",
          replica ? pg.replay_lsn.value : 0);
  w.gauge("patroni_xlog_paused", "Value is 1 if WAL replay is paused, 0 otherwise.", 0);
  w.gauge("patroni_postgres_streaming", "Value is 1 if the replica streams WAL, 0 otherwise.",
          replica && pg.streaming ? 1 : 0);
  w.gauge("patroni_postgres_server_version", "PostgreSQL version number (150004).",
          s.server_version_num);
  w.gauge("patroni_cluster_unlocked", "Value is 1 if the cluster has no leader, 0 otherwise.",
          s.dcs.leader ? 0 : 1);
  w.gauge("patroni_postgres_timeline", "PostgreSQL timeline of this node.",
          pg.is_running() ? pg.timeline : 0);
  w.gauge("patroni_dcs_last_seen", "Epoch seconds when the DCS last answered.",
          epoch_seconds(s.dcs_last_seen));
  w.gauge("patroni_pending_restart", "Value is 1 if PostgreSQL needs a restart, 0 otherwise.",
          pg.pending_restart ? 1 : 0);
  w.gauge("patroni_is_paused", "Value is 1 if the cluster is in maintenance mode, 0 otherwise.",
          s.paused ? 1 : 0);
  w.gauge("patroni_failover_priority", "Failover priority of this node (0: never promoted).",
          s.tags.priority());
  w.gauge("patroni_watchdog_failed", "Value is 1 if a required watchdog is unusable.",
          s.watchdog_failed ? 1 : 0);
  w.gauge("haagent_loops_total", "HA decisions taken since the agent started.", s.loops, "counter");
  const double age = s.loops == 0 ? 0.0 : std::chrono::duration<double>(now - s.updated).count();
  w.gauge("haagent_loop_age_seconds", "Seconds since the last HA decision (0 before the first).",
          age);
  w.gauge("haagent_dcs_reachable", "Value is 1 if the last DCS read succeeded, 0 otherwise.",
          s.dcs.reachable ? 1 : 0);
  w.gauge("haagent_holds_lock", "Value is 1 if this node holds the leader lock, 0 otherwise.",
          s.holds_lock ? 1 : 0);
  return w.take();
}

}  // namespace ha::agent::rest
