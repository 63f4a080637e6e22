// SqlWriter: a thread that inserts sequential ids into a table every `interval` on whichever
// of its nodes is a writable primary right now (it reconnects and looks again after any
// failure), recording each acknowledged id with the time and node. Tests check that no
// acknowledged id is lost and measure write gaps; stopped and joined when destroyed.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/agent/e2e/e2e_env.hpp"

namespace ha::e2e {

class SqlWriter {
 public:
  struct Ack {
    std::int64_t id;
    Clock::time_point at;  // when the commit was acknowledged
    std::uint16_t port;    // the node that acknowledged it
  };

  // The table must exist: CREATE TABLE <table>(id bigint PRIMARY KEY).
  SqlWriter(std::vector<std::uint16_t> ports, std::string table, Ms interval = Ms(20),
            Ms statement_timeout = Ms(2000));
  ~SqlWriter();
  SqlWriter(const SqlWriter&) = delete;
  SqlWriter& operator=(const SqlWriter&) = delete;

  void stop();

  std::vector<Ack> acks() const;
  std::size_t ack_count() const;
  // Ids whose insert failed or timed out (committed or not: unknown).
  std::vector<std::int64_t> failed() const;
  // The first acknowledgement at or after `since` (optionally on `port` only).
  std::optional<Ack> first_ack_after(Clock::time_point since,
                                     std::optional<std::uint16_t> port = std::nullopt) const;
  std::optional<Ack> last_ack(std::optional<std::uint16_t> port = std::nullopt) const;
  // Waits until `n` more acknowledgements arrived; false on timeout.
  bool wait_more_acks(std::size_t n, Ms timeout) const;
  // The longest time between two consecutive acknowledgements.
  Ms longest_gap() const;

 private:
  void run();

  std::vector<std::uint16_t> ports_;
  std::string table_;
  Ms interval_;
  Ms statement_timeout_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<Ack> acks_;
  std::vector<std::int64_t> failed_;
  std::thread thread_;
};

}  // namespace ha::e2e
