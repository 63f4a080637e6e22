#include "tests/agent/e2e/sql_writer.hpp"

#include <algorithm>

#include "tests/agent/e2e/pg_probe.hpp"

namespace ha::e2e {

using ha::agent::pg::PgConnection;

SqlWriter::SqlWriter(std::vector<std::uint16_t> ports, std::string table, Ms interval,
                     Ms statement_timeout)
    : ports_(std::move(ports)),
      table_(std::move(table)),
      interval_(interval),
      statement_timeout_(statement_timeout) {
  thread_ = std::thread([this] { run(); });
}

SqlWriter::~SqlWriter() { stop(); }

void SqlWriter::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void SqlWriter::run() {
  std::optional<PgConnection> conn;
  std::uint16_t conn_port = 0;
  std::int64_t next_id = 1;
  const std::string insert = "INSERT INTO " + table_ + "(id) VALUES ($1)";
  while (!stop_) {
    const auto tick = Clock::now();
    if (!conn) {
      for (auto port : ports_) {
        auto c = pg_connect(port, Ms(300));
        if (!c) continue;
        auto r = c->query("SELECT pg_is_in_recovery()");
        if (r.ok() && !r->rows.empty() && r->rows[0].at(0) == std::optional<std::string>("f")) {
          if (!c->set_statement_timeout(statement_timeout_).ok()) continue;
          conn = std::move(c);
          conn_port = port;
          break;
        }
      }
    }
    if (conn) {
      const std::int64_t id = next_id++;
      auto r = conn->query(insert, {std::to_string(id)}, statement_timeout_ + Ms(500));
      const auto now = Clock::now();
      std::lock_guard lock(mu_);
      if (r.ok()) {
        acks_.push_back({id, now, conn_port});
      } else {
        failed_.push_back(id);
        conn.reset();
      }
    }
    const auto next = tick + interval_;
    while (!stop_ && Clock::now() < next) std::this_thread::sleep_for(Ms(2));
  }
}

std::vector<SqlWriter::Ack> SqlWriter::acks() const {
  std::lock_guard lock(mu_);
  return acks_;
}

std::size_t SqlWriter::ack_count() const {
  std::lock_guard lock(mu_);
  return acks_.size();
}

std::vector<std::int64_t> SqlWriter::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

std::optional<SqlWriter::Ack> SqlWriter::first_ack_after(Clock::time_point since,
                                                         std::optional<std::uint16_t> port) const {
  std::lock_guard lock(mu_);
  for (const auto& a : acks_) {
    if (a.at >= since && (!port || a.port == *port)) return a;
  }
  return std::nullopt;
}

std::optional<SqlWriter::Ack> SqlWriter::last_ack(std::optional<std::uint16_t> port) const {
  std::lock_guard lock(mu_);
  for (auto it = acks_.rbegin(); it != acks_.rend(); ++it) {
    if (!port || it->port == *port) return *it;
  }
  return std::nullopt;
}

bool SqlWriter::wait_more_acks(std::size_t n, Ms timeout) const {
  const auto target = ack_count() + n;
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (ack_count() >= target) return true;
    std::this_thread::sleep_for(Ms(10));
  }
  return ack_count() >= target;
}

Ms SqlWriter::longest_gap() const {
  std::lock_guard lock(mu_);
  Ms gap(0);
  for (std::size_t i = 1; i < acks_.size(); ++i) {
    gap = std::max(gap, std::chrono::duration_cast<Ms>(acks_[i].at - acks_[i - 1].at));
  }
  return gap;
}

}  // namespace ha::e2e
