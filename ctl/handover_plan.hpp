// HandoverPlan: what `hactl switchover` and `hactl failover` will ask for, decided from the
// cluster as read from the DCS before anything is sent — the checks (the leader is the leader,
// the candidate is a healthy member that may be promoted, pause rules, no pending request),
// the candidate when none is named, the schedule, whose REST API to ask first, and the request
// body. Pure: no I/O, the time is passed in.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/clock.hpp"
#include "ctl/cluster_state.hpp"

namespace ha::ctl {

struct HandoverPlan {
  std::string error;      // refused: one line saying why and what to do
  bool failover = false;  // else a switchover
  std::string leader;     // the current leader ("" when there is none)
  std::string candidate;  // the member to promote ("" = the agents pick: switchover only)
  std::optional<agent::WallTime> scheduled_at;
  std::vector<std::string> send_to;   // members whose REST API to try, in order
  std::vector<std::string> warnings;  // shown before the confirmation (failover: data loss)

  // "/switchover" or "/failover".
  std::string path() const;
  // switchover: {"leader", "candidate"?, "scheduled_at"?}; failover: {"candidate"}.
  nlohmann::json body() const;
  // The same request as the DCS failover key holds it (the fallback when no agent answers).
  agent::FailoverRequest dcs_request() const;
};

// Why `member` cannot be promoted ("" when it can). A switchover also needs a streaming
// replica within maximum_lag_on_failover (and, in synchronous mode, a synchronous standby).
std::string candidate_problem(const ClusterState& state, const agent::Member& member,
                              bool switchover);
// The members a switchover could promote, by name.
std::vector<std::string> switchover_candidates(const ClusterState& state);
// True when the leader key names a member whose key says it is running.
bool has_healthy_leader(const ClusterState& state);

// "now" or "" is no schedule. An ISO 8601 time without a zone is local time (as patronictl
// reads it). Sets `error` for a time in the past.
std::optional<agent::WallTime> parse_schedule(const std::string& text, agent::WallTime now,
                                              std::string& error);

HandoverPlan plan_switchover(const ClusterState& state, const std::string& leader,
                             const std::string& candidate, const std::string& scheduled,
                             agent::WallTime now);
HandoverPlan plan_failover(const ClusterState& state, const std::string& candidate);

}  // namespace ha::ctl
