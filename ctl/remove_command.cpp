// remove: deletes every key under <namespace>/<scope>/ after the questions patronictl asks —
// the cluster name, "Yes I am aware", and the leader's name while there is a leader.
#include "ctl/action_commands.hpp"
#include "ctl/command_support.hpp"
#include "ctl/prompt.hpp"

namespace ha::ctl {

int remove_cluster(Context& ctx) {
  const auto& o = ctx.options;
  if (o.cluster_name != ctx.source.scope) {
    return ctx.fail("'" + o.cluster_name + "' is not the cluster this config names ('" +
                    ctx.source.scope + "'); pass --scope " + o.cluster_name +
                    " to remove that one");
  }
  ClusterState s;
  if (auto err = read_state(ctx, s); !err.empty()) return ctx.fail(err);
  print_members(ctx, s);
  const auto name = ask(ctx, "Please confirm the cluster name to remove:");
  if (!name || *name != s.scope) {
    return ctx.fail("aborted: the cluster name was not confirmed; nothing was removed");
  }
  const auto aware = ask(ctx, "You are about to remove all information in the DCS for " + s.scope +
                                  ", please type: \"Yes I am aware\":");
  if (!aware || *aware != "Yes I am aware") {
    return ctx.fail("aborted: you did not type \"Yes I am aware\"; nothing was removed");
  }
  if (!s.leader.empty()) {
    const auto leader = ask(ctx, "This cluster currently has a leader (" + s.leader +
                                     "). Please specify the leader name to continue:");
    if (!leader || *leader != s.leader) {
      return ctx.fail("aborted: the leader name was not confirmed; nothing was removed");
    }
  }
  const std::string prefix = ctx.source.key_prefix();
  dcs::DeleteOptions del;
  del.prefix = true;
  auto r = ctx.client.del(prefix, del, ctx.call());
  if (!r.ok()) return ctx.fail("could not delete " + prefix + "*: " + r.error().to_string());
  ctx.out << "Removed " << r->deleted() << " keys of cluster '" << s.scope << "' (" << prefix
          << ")\n";
  if (!s.members.empty()) {
    ctx.err << "hactl: note: agents still running write their member keys again; stop them "
               "before removing a cluster for good\n";
  }
  return kExitOk;
}

}  // namespace ha::ctl
