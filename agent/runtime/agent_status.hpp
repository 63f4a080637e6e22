// AgentStatus: what the agent knows right now, published by the HA loop after every decision
// and read by the REST API (GET /patroni, the health checks, /metrics). A plain snapshot; the
// StatusBoard hands the newest one from the loop's thread to the server's threads.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/clock.hpp"
#include "agent/cluster_view.hpp"
#include "agent/config.hpp"
#include "agent/local_postgres.hpp"

namespace ha::agent {

struct AgentStatus {
  std::string scope;
  std::string name;
  std::string version;           // the agent's version
  MemberTags tags;
  LocalPostgres pg;              // the last observation of the local PostgreSQL
  int server_version_num = 0;    // 150004; 0 when unknown
  std::string postmaster_start_time;  // as PostgreSQL prints it; empty when not running
  std::string system_identifier;
  ClusterView dcs;               // the last view of the DCS (reachable=false when it failed)
  std::optional<WallTime> dcs_last_seen;  // when the DCS last answered
  bool holds_lock = false;       // this member held the leader lock at the last decision
  bool paused = false;           // maintenance mode
  bool watchdog_failed = false;  // watchdog.mode is required and the device is unusable
  std::string last_decision;     // the last decision's one-line reason
  std::uint64_t loops = 0;       // decisions taken since start
  WallTime updated{};            // when this snapshot was taken
};

// Thread-safe holder of the newest AgentStatus.
class StatusBoard {
 public:
  void publish(AgentStatus status) {
    auto next = std::make_shared<const AgentStatus>(std::move(status));
    std::lock_guard lock(mu_);
    current_ = std::move(next);
  }
  // Never null: an empty status before the first loop.
  std::shared_ptr<const AgentStatus> get() const {
    std::lock_guard lock(mu_);
    return current_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const AgentStatus> current_ = std::make_shared<const AgentStatus>();
};

}  // namespace ha::agent
