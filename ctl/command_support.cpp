#include "ctl/command_support.hpp"

#include <algorithm>
#include <thread>

#include "ctl/member_rows.hpp"

namespace ha::ctl {

AgentApiClient api_client(const Context& ctx) {
  ApiClientOptions o;
  o.connect_timeout = std::min(ctx.timeout(), std::chrono::milliseconds(3000));
  o.auth = ctx.source.api_auth;
  return AgentApiClient(o);
}

std::string read_state(Context& ctx, ClusterState& out) {
  return read_cluster_state(ctx.client, ctx.source, ctx.timeout(), out);
}

void print_members(Context& ctx, const ClusterState& state) {
  ctx.out << render_members_table(state, list_rows(state), ctx.colour, false);
  ctx.out.flush();
}

bool poll_cluster(Context& ctx, std::chrono::steady_clock::duration deadline,
                  const std::function<bool(const ClusterState&)>& done, ClusterState& last,
                  std::chrono::milliseconds period) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    ClusterState s;
    if (read_state(ctx, s).empty()) {
      last = std::move(s);
      if (done(last)) return true;
    }
    if (std::chrono::steady_clock::now() + period > until) return false;
    std::this_thread::sleep_for(period);
  }
}

}  // namespace ha::ctl
