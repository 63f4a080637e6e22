// Synchronous mode, leader side: which standbys should be synchronous and the steps that keep
// synchronous_standby_names and the /sync key safe. The key may only list standbys that hold
// every acknowledged commit, so a standby is added to the key only once PostgreSQL reports it
// synchronous, and removed from the key before PostgreSQL stops waiting for it. Pure.
#pragma once

#include <string>
#include <vector>

#include "agent/actions.hpp"
#include "agent/observation.hpp"

namespace ha::agent {

struct SyncPlan {
  std::vector<Action> actions;  // WriteSyncKey before SetSyncStandbys when both
  std::string note;             // for the decision's reason; empty when nothing to say
};

// The standbys that should be synchronous now: streaming from us, members, not nosync; the
// current ones first (sticky), then least behind, then by name; at most synchronous_node_count.
std::vector<std::string> pick_sync_standbys(const Observation& obs);

SyncPlan plan_sync_standbys(const Observation& obs);

}  // namespace ha::agent
