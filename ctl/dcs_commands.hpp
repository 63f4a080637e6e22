// `hactl dcs ...`: the hadcs store itself — members, status, get, put, del, watch, leases,
// move-leader — through the DCS client library, as tables or JSON. The status/members
// renderings are separate pure functions so tests can check them without a server.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ctl/context.hpp"

namespace ha::ctl {

// Runs options.command ("dcs get", ...). Returns the exit code.
int run_dcs_command(Context& ctx);

// Member IDs as etcdctl prints them: lower-case hex without 0x.
std::string hex_id(std::uint64_t id);

std::string render_dcs_status(const std::vector<dcs::EndpointStatus>& statuses, bool colour);
nlohmann::json dcs_status_json(const std::vector<dcs::EndpointStatus>& statuses);
std::string render_dcs_members(const etcdserverpb::MemberListResponse& members);
nlohmann::json dcs_members_json(const etcdserverpb::MemberListResponse& members);

// Commands of dcs_kv_commands.cpp and dcs_cluster_commands.cpp.
int dcs_get(Context& ctx);
int dcs_put(Context& ctx);
int dcs_del(Context& ctx);
int dcs_watch(Context& ctx);
int dcs_members(Context& ctx);
int dcs_status(Context& ctx);
int dcs_leases(Context& ctx);
int dcs_move_leader(Context& ctx);

}  // namespace ha::ctl
