// ClusterState: the cluster as hactl reads it from /<namespace>/<scope>/ in one range read —
// leader, members, sync, config, history, status, failover, initialize — decoded with the
// agent's Patroni-compatible codecs (agent/dcs_values.hpp). Values that cannot be decoded are
// listed in `problems`, not fatal. Building it from key/values is pure; reading is one call.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/cluster_view.hpp"
#include "ctl/cluster_source.hpp"
#include "dcs/client/client.hpp"

namespace ha::ctl {

struct ClusterState {
  std::string scope;
  std::string key_prefix;  // "<namespace>/<scope>/"
  bool empty = true;  // no key at all under the prefix
  std::string system_id;  // the initialize key ("" when absent)
  std::string leader;     // the leader key's holder ("" = no leader)
  std::vector<agent::Member> members;  // by name
  std::optional<agent::SyncState> sync;
  std::optional<nlohmann::json> config;
  std::vector<agent::HistoryEntry> history;
  std::optional<agent::Lsn> status_lsn;  // the status key's optime
  std::optional<agent::FailoverRequest> failover;
  std::vector<std::string> problems;  // "members/x: <why it could not be read>"

  const agent::Member* member(const std::string& name) const;
  // The newest leader WAL position known: the status key's optime or the leader's own
  // xlog_location, whichever is ahead.
  std::optional<agent::Lsn> leader_lsn() const;
  bool paused() const;
};

// From the keys (full names) and values under `prefix`.
ClusterState build_cluster_state(const std::string& scope, const std::string& prefix,
                                 const std::vector<std::pair<std::string, std::string>>& kvs);

// One linearizable prefix read. "" on success, else the one-line error for stderr.
std::string read_cluster_state(dcs::Client& client, const ClusterSource& source,
                               std::chrono::milliseconds timeout, ClusterState& out);

}  // namespace ha::ctl
