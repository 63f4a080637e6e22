// The PostgreSQL-layer workload and monitor, each a thread with libpq connections that have
// deadlines (agent/postgres/pg_connection.hpp):
//  - InsertWriter inserts unique sequential ids (autocommit INSERT) into whichever node answers
//    pg_is_in_recovery() = false, and records each attempt: ok (the COMMIT was acknowledged),
//    fail (PostgreSQL refused the statement: it did not commit) or unknown (timeout, connection
//    lost: it may or may not have committed). The session has no statement_timeout: a cancelled
//    wait for a synchronous standby would be acknowledged by PostgreSQL with only a WARNING, so
//    the client's own deadline (the connection is closed) is what bounds a statement.
//  - RoleMonitor asks every node pg_is_in_recovery() every ~50 ms and records each node's role
//    changes and every round in which two nodes answered "not in recovery"; it also records every
//    writable answer from a server whose system identifier is not the cluster's (a node that
//    initdb'ed a new cluster and takes writes).
// Times are milliseconds since the campaign's start (a steady clock shared with the caller).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ha::chaos::pg {

using Clock = std::chrono::steady_clock;

enum class Outcome { ok, fail, unknown };
const char* to_string(Outcome o);

struct InsertOp {
  std::int64_t id = 0;
  int node = -1;
  double invoke_ms = 0, complete_ms = 0;
  Outcome outcome = Outcome::unknown;
  std::string error;
};

class InsertWriter {
 public:
  InsertWriter(std::vector<std::string> conninfos, Clock::time_point t0, std::chrono::milliseconds interval);
  ~InsertWriter();
  InsertWriter(const InsertWriter&) = delete;
  InsertWriter& operator=(const InsertWriter&) = delete;
  void stop();
  std::vector<InsertOp> ops() const;
  std::size_t acked() const;

 private:
  void run();
  std::vector<std::string> conninfos_;
  Clock::time_point t0_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<InsertOp> ops_;
  std::thread thread_;
};

class RoleMonitor {
 public:
  enum class Role { unknown, writable, recovery };
  struct Change {
    double at_ms;
    Role role;
  };
  struct Answer {
    int node;
    double sent_ms, received_ms;
  };
  struct Violation {
    double at_ms;
    std::vector<Answer> writable;  // two or more nodes answered "not in recovery" in one round
  };
  struct Foreign {
    double first_ms, last_ms;  // first and last writable answer of this run of answers
    int node;
    std::string system_identifier;
    std::uint64_t answers;
  };

  // `system_identifier`: the cluster's (pg_control_system()).
  RoleMonitor(std::vector<std::string> conninfos, std::string system_identifier, Clock::time_point t0,
              std::chrono::milliseconds interval);
  ~RoleMonitor();
  RoleMonitor(const RoleMonitor&) = delete;
  RoleMonitor& operator=(const RoleMonitor&) = delete;
  void stop();

  std::uint64_t rounds() const { return rounds_.load(); }
  std::vector<Violation> violations() const;
  std::vector<Foreign> foreign_writable() const;
  std::vector<std::vector<Change>> changes() const;
  // The nodes that answered "not in recovery" in the last round.
  std::vector<int> writable_now() const;

 private:
  void run();
  std::vector<std::string> conninfos_;
  std::string system_identifier_;
  Clock::time_point t0_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> rounds_{0};
  std::vector<Foreign> foreign_;
  mutable std::mutex mu_;
  std::vector<std::vector<Change>> changes_;
  std::vector<int> writable_now_;
  std::vector<Violation> violations_;
  std::thread thread_;
};

const char* to_string(RoleMonitor::Role r);

}  // namespace ha::chaos::pg
