#include "ctl/dcs_commands.hpp"

#include <cstdio>

namespace ha::ctl {

std::string hex_id(std::uint64_t id) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(id));
  return buf;
}

int run_dcs_command(Context& ctx) {
  const auto& c = ctx.options.command;
  if (c == "dcs get") return dcs_get(ctx);
  if (c == "dcs put") return dcs_put(ctx);
  if (c == "dcs del") return dcs_del(ctx);
  if (c == "dcs watch") return dcs_watch(ctx);
  if (c == "dcs members") return dcs_members(ctx);
  if (c == "dcs status") return dcs_status(ctx);
  if (c == "dcs leases") return dcs_leases(ctx);
  if (c == "dcs move-leader") return dcs_move_leader(ctx);
  return ctx.fail("unknown command '" + c + "' (see hactl dcs --help)");
}

}  // namespace ha::ctl
