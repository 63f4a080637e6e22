// build_cluster_view(): the ClusterView from the key/values read under the cluster's prefix —
// leader (with its lease and revision), members, failover, sync, initialize, config, history,
// status. Pure: the agent's DCS session does the read. A value that cannot be used is skipped
// and named in `problems` (another member's bad value must not stop this one); a bad config
// keeps the last good one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/cluster_view.hpp"

namespace ha::agent {

struct DcsKeyValue {
  std::string key;  // relative to the cluster prefix: "leader", "members/node1", ...
  std::string value;
  std::int64_t lease = 0;
  std::int64_t mod_revision = 0;
};

// `last_config`: the dynamic config in force until now (defaults at first), kept when the
// config key is missing or invalid.
ClusterView build_cluster_view(const std::vector<DcsKeyValue>& kvs, const DynamicConfig& last_config,
                               std::vector<std::string>& problems);

}  // namespace ha::agent
