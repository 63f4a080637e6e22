// FenceGuard: the mechanism that keeps a primary from outliving its lock or its agent. At
// start-up, before any thread exists, the agent forks a small guard process connected to it by
// a pipe. While the agent leads, it keeps the guard armed with a deadline: the moment the lock's
// lease could expire minus the safety margin, moved forward on every answered lease
// keep-alive. The guard stops PostgreSQL at once (SIGQUIT to the postmaster: an immediate
// shutdown; SIGKILL to it and its children if it lingers) when
//  - the agent dies while the guard is armed (the pipe closes: kill -9 included), or
//  - the deadline passes without being moved (the agent is stuck, or cannot reach the DCS and
//    its own loop did not demote in time).
// Either way no other node can have been promoted yet: that needs the lease to expire first.
// When the agent died and PostgreSQL is surely stopped, the guard also revokes the agent's
// lease: the leader key goes at once and a replica takes over without waiting out the TTL.
// A disarmed guard (replica, paused cluster, agent shutting down cleanly) does nothing.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/clock.hpp"
#include "dcs/client/endpoint.hpp"

namespace ha::agent {

class FenceGuard {
 public:
  // Forks the guard for the PostgreSQL in `data_dir`; `endpoints` are the DCS's, for revoking
  // the lease. Call before starting any thread. Fails (nothing) only when fork or pipe fail;
  // `error` says why.
  static std::optional<FenceGuard> start(const std::string& data_dir,
                                         const std::vector<dcs::Endpoint>& endpoints,
                                         std::string& error);

  FenceGuard(FenceGuard&& other) noexcept;
  FenceGuard& operator=(FenceGuard&&) = delete;
  FenceGuard(const FenceGuard&) = delete;
  ~FenceGuard();

  // Fence when `deadline` passes (steady clock, shared by both processes) or the agent dies.
  bool arm(SteadyTime deadline);
  bool disarm();
  // The lease that holds the lock: revoked by the guard after it fenced a dead agent's primary.
  bool set_lease(std::int64_t lease_id);
  // Disarms and lets the guard exit (the agent is shutting down cleanly).
  void finish();
  pid_t pid() const { return pid_; }
  // When the guard fences by itself, the agent learns it from PostgreSQL's state; this says
  // whether the guard process is still there to protect us.
  bool alive() const;

 private:
  FenceGuard(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  bool send(char kind, std::int64_t deadline_ns);

  pid_t pid_ = -1;
  int fd_ = -1;
};

// The guard's side, exposed for tests: stop the postmaster named in `data_dir`/postmaster.pid.
// Returns what it did, for the log; `stopped` says whether no PostgreSQL runs there now.
std::string fence_postmaster(const std::string& data_dir, bool* stopped = nullptr);

}  // namespace ha::agent
