// SplitBrainMonitor: a thread that asks every node's PostgreSQL pg_is_in_recovery() every
// ~50 ms and records each node's role changes and every round in which two nodes answered
// "not in recovery" (two writable primaries at once). Every e2e test asserts it saw none; the
// role changes also tell when a node became writable. Stopped and joined when destroyed.
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

class SplitBrainMonitor {
 public:
  struct Node {
    std::string name;
    std::uint16_t port = 0;
  };
  enum class Role { unknown, writable, recovery };
  struct Change {
    Clock::time_point at;
    Role role;
  };
  struct Violation {
    Clock::time_point at;
    std::vector<std::string> writable;  // the nodes that answered "not in recovery"
  };

  explicit SplitBrainMonitor(std::vector<Node> nodes, Ms interval = Ms(50));
  ~SplitBrainMonitor();
  SplitBrainMonitor(const SplitBrainMonitor&) = delete;
  SplitBrainMonitor& operator=(const SplitBrainMonitor&) = delete;

  void stop();

  std::vector<Violation> violations() const;
  // "" when none, else one line per round with two writable nodes (time since start).
  std::string describe_violations() const;
  std::uint64_t rounds() const { return rounds_.load(); }

  Role role(int node) const;
  std::vector<Change> changes(int node) const;
  // The first moment at or after `since` when `node` turned writable (from another answer).
  std::optional<Clock::time_point> became_writable(int node, Clock::time_point since) const;
  // The last round in which `node` answered "not in recovery".
  std::optional<Clock::time_point> last_writable(int node) const;
  // Waits until a round ends after now (so the answers are fresh).
  void wait_round(Ms timeout = Ms(3000)) const;

 private:
  void run();

  std::vector<Node> nodes_;
  Ms interval_;
  Clock::time_point started_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> rounds_{0};
  mutable std::mutex mu_;
  std::vector<std::vector<Change>> changes_;
  std::vector<std::optional<Clock::time_point>> last_writable_;
  std::vector<Violation> violations_;
  std::thread thread_;
};

}  // namespace ha::e2e
