// The commands that change the cluster: switchover, failover (handover_commands.cpp), pause,
// resume, edit-config (config_commands.cpp), restart, reload, reinit (member_commands.cpp) and
// remove (remove_command.cpp). They ask before acting unless --force, send requests to the
// agents' REST API (falling back to the DCS where that is safe), and return 0 only when the
// change happened (or was scheduled).
#pragma once

#include "ctl/context.hpp"

namespace ha::ctl {

int switchover(Context& ctx);
int failover(Context& ctx);
int pause_or_resume(Context& ctx, bool pause);
int edit_config(Context& ctx);
int member_action(Context& ctx);  // restart, reload, reinit
int remove_cluster(Context& ctx);

}  // namespace ha::ctl
