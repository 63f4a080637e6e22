// RestOptions (limits and waits of the REST API) and RestContext (what the routes need: the
// config, the StatusBoard, the admin queue, the DCS store, and injected clocks so that tests
// control time). The server owns one; tests build their own.
#pragma once

#include <cstddef>
#include <functional>
#include <thread>

#include "agent/clock.hpp"
#include "agent/config.hpp"
#include "agent/rest/cluster_store.hpp"
#include "agent/runtime/admin_requests.hpp"
#include "agent/runtime/agent_status.hpp"

namespace ha::agent::rest {

struct RestOptions {
  std::size_t max_body = 64 * 1024;  // larger bodies are refused with 413
  // POST /switchover and /failover wait this long for the leader to change (Patroni:
  // 2 * max(10, loop_wait) s), looking at the StatusBoard every poll_interval.
  Millis switchover_wait{30000};
  Millis poll_interval{200};
  // A switchover or failover that the last decision's view refuses (412: say, the candidate
  // was still starting then) is checked again on the next views for up to two more decisions
  // of the loop, or this long, before it is refused: members publish their state once a loop.
  Millis fresh_view_wait{3000};
  // POST /restart, /reload, /reinitialize wait this long for the HA loop's answer.
  Millis admin_wait{300000};
};

struct RestContext {
  const AgentConfig* config = nullptr;  // never null
  StatusBoard* board = nullptr;         // never null
  AdminRequests* admin = nullptr;       // null: restart/reload/reinitialize answer 503
  ClusterStore* store = nullptr;        // null: DCS writes and GET /config answer 503
  RestOptions options;
  std::function<WallTime()> wall_now = [] { return WallClock::now(); };
  std::function<void(Millis)> sleep = [](Millis d) { std::this_thread::sleep_for(d); };
};

}  // namespace ha::agent::rest
