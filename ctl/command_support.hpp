// Helpers the cluster-changing commands share: the REST client made from the context (deadline
// and credentials), the members table after a change, and polling the DCS until a condition
// on the cluster holds or a deadline passes.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "ctl/agent_api_client.hpp"
#include "ctl/cluster_state.hpp"
#include "ctl/context.hpp"

namespace ha::ctl {

AgentApiClient api_client(const Context& ctx);

// Reads the cluster; "" on success, else the error line.
std::string read_state(Context& ctx, ClusterState& out);

// Prints the `list` table of `state`.
void print_members(Context& ctx, const ClusterState& state);

// Reads the cluster every `period` until `done(state)` or `deadline` passes; `last` holds the
// last state read. True when done. Read errors are retried until the deadline.
bool poll_cluster(Context& ctx, std::chrono::steady_clock::duration deadline,
                  const std::function<bool(const ClusterState&)>& done, ClusterState& last,
                  std::chrono::milliseconds period = std::chrono::milliseconds(250));

}  // namespace ha::ctl
