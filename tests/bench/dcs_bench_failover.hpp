// dcs_bench_failover: the cluster-control modes of dcs_bench: kill -9 the leader and time the first
// acknowledged put on the survivors (one round; the caller owns the processes and restarts the
// killed one), and wait until a cluster is healthy again (agreed leader, a put through it, every
// member caught up).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ha::bench {

struct FailoverOptions {
  std::vector<std::string> endpoints;
  std::vector<pid_t> pids;                         // pids[i] serves endpoints[i]
  std::chrono::milliseconds retry{5};              // a new put to each survivor this often
  std::chrono::milliseconds attempt_timeout{200};  // deadline of each attempt
  std::chrono::milliseconds max_wait{30000};       // give up after this
  std::chrono::milliseconds jitter{100};  // random pause before the kill (a random heartbeat phase)
  std::size_t value_bytes = 256;
  std::string key_prefix = "dcs_bench/failover/";
};

struct FailoverResult {
  int killed_index = -1;
  std::uint64_t old_leader = 0;
  double ack_ms = -1;          // kill -> first acknowledged put (put sent after the kill)
  double leader_seen_ms = -1;  // kill -> first Status reply of a survivor naming a new leader
  int acked_by = -1;           // endpoint index that acknowledged it
  std::uint64_t attempts = 0;
  std::uint64_t failed = 0;
  std::map<std::string, std::uint64_t> error_kinds;
};

// Throws std::runtime_error when there is no agreed leader or the kill fails. ack_ms < 0 when no
// put was acknowledged within max_wait.
FailoverResult run_failover(const FailoverOptions& o);

struct HealthResult {
  bool healthy = false;
  int leader_index = -1;
  double ms = 0;
  std::string problem;  // the last reason it was not healthy
};

// Healthy: every endpoint answers Status naming the same leader, a put through the leader is
// acknowledged, and every member has applied the leader's commit index after it.
HealthResult wait_healthy(const std::vector<std::string>& endpoints,
                          std::chrono::milliseconds timeout);

}  // namespace ha::bench
