#include "raft/config.hpp"

namespace ha::raft {

std::string Config::validate() const {
  if (id == kNone) return "node id must not be 0";
  if (heartbeat_tick <= 0) return "heartbeat_tick must be positive";
  if (election_tick <= heartbeat_tick) return "election_tick must be greater than heartbeat_tick";
  if (max_inflight_msgs == 0) return "max_inflight_msgs must be positive";
  if (max_size_per_msg == 0) return "max_size_per_msg must be positive";
  if (read_only == ReadOnlyOption::kLeaseBased && !check_quorum)
    return "lease-based reads need check_quorum";
  return {};
}

}  // namespace ha::raft
