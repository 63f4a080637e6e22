// The commands that read the cluster's keys from the DCS: list, topology, history,
// show-config, dsn and version; and the dispatch of every cluster command (the ones that
// change the cluster are in action_commands.hpp). The history/dsn renderings are pure.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ctl/cluster_state.hpp"
#include "ctl/context.hpp"

namespace ha::ctl {

int run_cluster_command(Context& ctx);

std::string render_history(const ClusterState& state);
nlohmann::json history_json(const ClusterState& state);
// "host=H port=P" for `member`'s conn_url; nothing when it has none.
std::optional<std::string> dsn_of(const agent::Member& member);
// The member `dsn` picks: a named one, the leader (role primary) or the first streaming
// replica (role replica). Sets `error` when there is none.
const agent::Member* pick_dsn_member(const ClusterState& state, const CtlOptions& options,
                                     std::string& error);

}  // namespace ha::ctl
