#include "tests/chaos/pg/pg_workload.hpp"

#include <optional>

#include "agent/postgres/pg_connection.hpp"

namespace ha::chaos::pg {

using ha::agent::pg::ConnectOptions;
using ha::agent::pg::PgConnection;
using ha::agent::pg::PgErrorKind;
using Ms = std::chrono::milliseconds;

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::ok: return "ok";
    case Outcome::fail: return "fail";
    case Outcome::unknown: return "unknown";
  }
  return "?";
}

const char* to_string(RoleMonitor::Role r) {
  switch (r) {
    case RoleMonitor::Role::unknown: return "no answer";
    case RoleMonitor::Role::writable: return "writable";
    case RoleMonitor::Role::recovery: return "in recovery";
  }
  return "?";
}

namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// No server-side statement_timeout (0): see the header.
std::optional<PgConnection> connect(const std::string& conninfo, Ms timeout) {
  ConnectOptions o;
  o.conninfo = conninfo;
  o.connect_timeout = timeout;
  o.statement_timeout = Ms(0);
  o.application_name = "ha-chaos-pg";
  auto c = PgConnection::open(o);
  if (!c.ok()) return std::nullopt;
  return std::move(c).value();
}

// true: not in recovery; false: in recovery; nullopt: no answer.
std::optional<bool> writable(PgConnection& c, Ms timeout) {
  auto r = c.query("SELECT pg_is_in_recovery()", {}, timeout);
  if (!r.ok() || r->rows.empty() || r->rows[0].empty() || !r->rows[0][0]) return std::nullopt;
  return *r->rows[0][0] == "f";
}

void sleep_until(const std::atomic<bool>& stop, Clock::time_point t) {
  while (!stop && Clock::now() < t) std::this_thread::sleep_for(Ms(2));
}

}  // namespace

InsertWriter::InsertWriter(std::vector<std::string> conninfos, Clock::time_point t0, Ms interval)
    : conninfos_(std::move(conninfos)), t0_(t0), interval_(interval) {
  thread_ = std::thread([this] { run(); });
}

InsertWriter::~InsertWriter() { stop(); }

void InsertWriter::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<InsertOp> InsertWriter::ops() const {
  std::lock_guard lock(mu_);
  return ops_;
}

std::size_t InsertWriter::acked() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const InsertOp& op : ops_) n += op.outcome == Outcome::ok;
  return n;
}

void InsertWriter::run() {
  std::optional<PgConnection> conn;
  int node = -1, last = 0;
  std::int64_t next_id = 1;
  const int n = static_cast<int>(conninfos_.size());
  while (!stop_) {
    const auto tick = Clock::now();
    if (!conn) {
      for (int k = 0; k < n && !conn && !stop_; ++k) {
        const int i = (last + k) % n;
        auto c = connect(conninfos_[static_cast<std::size_t>(i)], Ms(500));
        if (c && writable(*c, Ms(1000)) == std::optional<bool>(true)) {
          conn = std::move(c);
          node = last = i;
        }
      }
    }
    if (conn) {
      InsertOp op;
      op.id = next_id++;
      op.node = node;
      op.invoke_ms = since(t0_);
      auto r = conn->query("INSERT INTO chaos_ids(id) VALUES ($1)", {std::to_string(op.id)}, Ms(3000));
      op.complete_ms = since(t0_);
      if (r.ok()) {
        op.outcome = Outcome::ok;
      } else {
        const auto& e = r.error();
        // A statement PostgreSQL refused (read-only, ...) did not commit. A timeout or a lost
        // connection (08xxx, 57Pxx: shutdown, termination) may have committed.
        const bool refused = e.kind == PgErrorKind::kQuery && e.sqlstate.rfind("08", 0) != 0 &&
                             e.sqlstate.rfind("57", 0) != 0;
        op.outcome = refused ? Outcome::fail : Outcome::unknown;
        op.error = e.message;
        conn.reset();
        last = (node + 1) % n;
      }
      std::lock_guard lock(mu_);
      ops_.push_back(std::move(op));
    } else {
      std::this_thread::sleep_for(Ms(50));
    }
    sleep_until(stop_, tick + interval_);
  }
}

RoleMonitor::RoleMonitor(std::vector<std::string> conninfos, std::string system_identifier, Clock::time_point t0,
                         Ms interval)
    : conninfos_(std::move(conninfos)),
      system_identifier_(std::move(system_identifier)),
      t0_(t0),
      interval_(interval),
      changes_(conninfos_.size()) {
  thread_ = std::thread([this] { run(); });
}

RoleMonitor::~RoleMonitor() { stop(); }

void RoleMonitor::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<RoleMonitor::Violation> RoleMonitor::violations() const {
  std::lock_guard lock(mu_);
  return violations_;
}

std::vector<RoleMonitor::Foreign> RoleMonitor::foreign_writable() const {
  std::lock_guard lock(mu_);
  return foreign_;
}

std::vector<std::vector<RoleMonitor::Change>> RoleMonitor::changes() const {
  std::lock_guard lock(mu_);
  return changes_;
}

std::vector<int> RoleMonitor::writable_now() const {
  std::lock_guard lock(mu_);
  return writable_now_;
}

void RoleMonitor::run() {
  const std::size_t n = conninfos_.size();
  std::vector<std::optional<PgConnection>> conns(n);
  while (!stop_) {
    const auto round_start = Clock::now();
    std::vector<Role> roles(n, Role::unknown);
    std::vector<Answer> writable_answers;
    for (std::size_t i = 0; i < n; ++i) {
      const double sent = since(t0_);
      if (!conns[i] || !conns[i]->ok()) conns[i] = connect(conninfos_[i], Ms(250));
      if (conns[i]) {
        auto r = conns[i]->query(
            "SELECT pg_is_in_recovery(), (SELECT system_identifier::text FROM pg_control_system())", {}, Ms(250));
        if (r.ok() && !r->rows.empty() && r->rows[0].size() == 2 && r->rows[0][0]) {
          roles[i] = *r->rows[0][0] == "f" ? Role::writable : Role::recovery;
          const std::string sysid = r->rows[0][1].value_or("");
          if (roles[i] == Role::writable && sysid != system_identifier_) {
            const double at = since(t0_);
            std::lock_guard lock(mu_);
            if (!foreign_.empty() && foreign_.back().node == static_cast<int>(i) &&
                foreign_.back().system_identifier == sysid && at - foreign_.back().last_ms < 1000) {
              foreign_.back().last_ms = at;
              ++foreign_.back().answers;
            } else {
              foreign_.push_back({at, at, static_cast<int>(i), sysid, 1});
            }
          }
        } else {
          conns[i].reset();
        }
      }
      if (roles[i] == Role::writable) writable_answers.push_back({static_cast<int>(i), sent, since(t0_)});
    }
    {
      std::lock_guard lock(mu_);
      writable_now_.clear();
      for (std::size_t i = 0; i < n; ++i) {
        auto& ch = changes_[i];
        if (ch.empty() || ch.back().role != roles[i]) ch.push_back({since(t0_), roles[i]});
        if (roles[i] == Role::writable) writable_now_.push_back(static_cast<int>(i));
      }
      if (writable_answers.size() > 1) {
        violations_.push_back({std::chrono::duration<double, std::milli>(round_start - t0_).count(),
                               writable_answers});
      }
    }
    ++rounds_;
    sleep_until(stop_, round_start + interval_);
  }
}

}  // namespace ha::chaos::pg
