// Which members `hactl restart`, `reload` and `reinit` act on, and what each request carries:
// named members (all must exist) or every member, filtered by --role and, for restart,
// --pending; the request bodies as Patroni's REST API reads them. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/clock.hpp"
#include "ctl/cluster_state.hpp"
#include "ctl/ctl_options.hpp"

namespace ha::ctl {

struct MemberSelection {
  std::string error;               // refused: one line
  std::vector<std::string> names;  // in the cluster's order (leader first)
  std::string skipped;             // why some were left out ("", or a note for the operator)
};

// options.command is "restart", "reload" or "reinit".
MemberSelection select_members(const ClusterState& state, const CtlOptions& options);

// "/restart", "/reload" or "/reinitialize".
std::string action_path(const std::string& command);
// restart: {"restart_pending"?, "role"?, "schedule"?}; reload: null (no body); reinit:
// {"force": bool}. `schedule` already checked ("" = now).
nlohmann::json action_body(const CtlOptions& options, const std::string& schedule);

}  // namespace ha::ctl
