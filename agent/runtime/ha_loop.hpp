// HaLoop: the agent's HA loop. Every loop_wait — and at once when the leader, failover, sync,
// config or initialize key changes, when decide() asked to look again sooner, or when an admin
// request arrives — it reads the DCS, observes PostgreSQL, asks decide() what to do (with the
// peers' answers when it wants them), logs the reason, carries out the actions in order
// (stopping at the first that fails), answers admin requests and publishes its status. While
// leading it keeps the FenceGuard armed with the lock's deadline.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "agent/actions.hpp"
#include "agent/config.hpp"
#include "agent/ha_decision.hpp"
#include "agent/node/postgres_node.hpp"
#include "agent/observation.hpp"
#include "agent/runtime/admin_requests.hpp"
#include "agent/runtime/agent_status.hpp"
#include "agent/runtime/dcs_session.hpp"
#include "agent/runtime/fence_guard.hpp"
#include "agent/runtime/watchdog.hpp"

namespace ha::agent {

// Asks members (name, api_url) for their status within a deadline.
using ProbeFn = std::function<std::vector<PeerStatus>(
    const std::vector<std::pair<std::string, std::string>>& members, Millis timeout)>;

struct HaLoopParts {
  const AgentConfig* config = nullptr;
  DcsSession* dcs = nullptr;
  PostgresNode* node = nullptr;
  StatusBoard* board = nullptr;
  AdminRequests* admin = nullptr;
  FenceGuard* guard = nullptr;  // may be null (tests)
  Watchdog* watchdog = nullptr;  // may be null
  ProbeFn probe;                // may be empty: peers then count as unreachable
  bool watchdog_usable = true;
  // On a clean shutdown: stop PostgreSQL (Patroni's behaviour) and hand the lock over.
  bool stop_postgres_on_exit = true;
};

class HaLoop {
 public:
  explicit HaLoop(HaLoopParts parts);
  ~HaLoop();
  HaLoop(const HaLoop&) = delete;
  HaLoop& operator=(const HaLoop&) = delete;

  // Runs until stop(); then shuts down as HaLoopParts says. Returns the exit code.
  int run();
  // From any thread (a signal handler thread): finish the current loop and shut down.
  void stop();
  // From any thread: decide again now.
  void wake();

 private:
  void iteration();
  Observation observe(Now now);
  void remember_lock(const ClusterView& view);
  // Carries out one action; "" on success, else why it failed.
  std::string execute(const Action& action, const Observation& obs);
  // The leader's housekeeping: one physical replication slot per other member.
  void keep_slots(const Observation& obs);
  void answer_admin_requests(const Observation& obs);
  void publish(const Observation& obs, const Decision& d);
  void log_decision(const Decision& d, Now now);
  void wait_for_next(std::optional<Millis> recheck_in, Millis loop_wait);
  void set_fence(bool armed);
  void feed_fence();
  void shutdown();
  Millis call_timeout(Now now) const;
  std::vector<PeerStatus> probe(const std::vector<std::string>& names, const ClusterView& view);

  HaLoopParts p_;
  LoopMemory memory_;
  ClusterView last_view_;
  bool have_view_ = false;
  std::optional<SteadyTime> unreachable_since_;
  std::optional<WallTime> dcs_last_seen_;
  std::optional<DynamicConfig> applied_config_;
  std::string last_logged_;
  SteadyTime last_logged_at_{};
  std::uint64_t loops_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  std::atomic<bool> stopping_{false};

  // The fence feeder: while armed, keeps the guard's deadline at the lease's expiry minus the
  // safety margin, every 100 ms. It also wakes the loop when the postmaster it last saw dies,
  // so that a crashed PostgreSQL is seen within 100 ms rather than at the next loop.
  std::mutex fence_mu_;  // orders the loop's and the feeder's messages to the guard
  std::atomic<bool> fence_armed_{false};
  std::atomic<std::int64_t> safety_margin_ms_{500};
  std::atomic<int> postmaster_pid_{0};
  std::thread feeder_;
};

}  // namespace ha::agent
