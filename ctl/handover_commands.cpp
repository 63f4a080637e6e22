// switchover and failover: check, ask, send to the REST API (or write the DCS failover key when
// no agent can be reached), wait for the leader key to change, show the members.
#include <algorithm>

#include "agent/dcs_values.hpp"
#include "agent/iso_time.hpp"
#include "ctl/action_commands.hpp"
#include "ctl/command_support.hpp"
#include "ctl/handover_plan.hpp"
#include "ctl/prompt.hpp"
#include "dcs/client/txn.hpp"

namespace ha::ctl {

namespace {

// How long the agents may take to hand over: a clean shutdown of the old primary, then a
// promotion, plus a few loops. Patroni's API waits 2 * max(10, loop_wait) s.
std::chrono::seconds handover_deadline(const ClusterState& s) {
  agent::DynamicConfig cfg;
  if (s.config) cfg = agent::parse_dynamic_config(*s.config).config;
  const auto loop = std::chrono::duration_cast<std::chrono::seconds>(cfg.loop_wait);
  return std::max(std::chrono::seconds(30), 2 * (cfg.ttl + loop) + std::chrono::seconds(10));
}

std::string what(const HandoverPlan& p) { return p.failover ? "failover" : "switchover"; }

// Waits until the leader key names someone else than `old_leader`.
int wait_for_new_leader(Context& ctx, const HandoverPlan& p, std::chrono::seconds deadline,
                        ClusterState& last) {
  ctx.out << "Waiting up to " << deadline.count() << " s for the leader key to change...\n";
  ctx.out.flush();
  const bool changed = poll_cluster(
      ctx, deadline,
      [&](const ClusterState& s) { return !s.leader.empty() && s.leader != p.leader; }, last);
  if (!changed) return kExitFailure;
  if (!p.candidate.empty() && last.leader != p.candidate) {
    ctx.err << "hactl: warning: the new leader is '" << last.leader << "', not '" << p.candidate
            << "'\n";
  }
  ctx.out << (p.failover ? "Failed over" : "Switched over") << " to '" << last.leader << "'"
          << (p.leader.empty() ? "" : " (was '" + p.leader + "')") << '\n';
  print_members(ctx, last);
  return kExitOk;
}

// The fallback: the failover key, written only if there is none; withdrawn again (only if it
// is still ours) when no agent acts on it in time.
int write_failover_key(Context& ctx, const HandoverPlan& p, const ClusterState& before) {
  const std::string key = ctx.source.key_prefix() + "failover";
  const std::string value = agent::encode_failover(p.dcs_request());
  ctx.out << "Writing the " << what(p) << " request into the DCS instead (" << key << ")\n";
  dcs::Txn txn;
  txn.when(dcs::key_missing(key)).then(dcs::op_put(key, value));
  auto r = ctx.client.txn(txn, ctx.call());
  if (!r.ok()) return ctx.fail("could not write " + key + ": " + r.error().to_string());
  if (!r->succeeded()) {
    return ctx.fail("another switchover or failover request appeared in " + key +
                    " meanwhile; nothing was written (see hactl list)");
  }
  const std::int64_t revision = r->header().revision();
  if (p.scheduled_at) {
    ctx.out << "Switchover scheduled for " << agent::format_iso_time(*p.scheduled_at)
            << "; the leader's agent carries it out then\n";
    return kExitOk;
  }
  ClusterState last = before;
  const auto deadline = handover_deadline(before);
  if (wait_for_new_leader(ctx, p, deadline, last) == kExitOk) return kExitOk;
  dcs::Txn withdraw;
  withdraw.when(dcs::compare_mod_revision(key, dcs::CompareOp::kEqual, revision))
      .then(dcs::op_del(key));
  auto w = ctx.client.txn(withdraw, ctx.call());
  const bool withdrawn = w.ok() && w->succeeded();
  return ctx.fail(
      "the leader is still '" + (last.leader.empty() ? "(none)" : last.leader) + "' after " +
      std::to_string(deadline.count()) + " s: no agent acted on the " + what(p) +
      " request (are the agents running? see hactl list); " +
      (withdrawn ? "the request was withdrawn" : "the request in " + key + " was left as it is"));
}

int carry_out(Context& ctx, const HandoverPlan& p, const ClusterState& s) {
  const auto deadline = handover_deadline(s);
  const auto api = api_client(ctx);
  const auto body = p.body();
  for (const auto& name : p.send_to) {
    const auto* m = s.member(name);
    if (m == nullptr) continue;
    ctx.out << "Asking " << name << " (" << (m->api_url.empty() ? "no api_url" : m->api_url)
            << ") to " << what(p) << "...\n";
    ctx.out.flush();
    const auto r = api.send("POST", m->api_url, p.path(), body, deadline + std::chrono::seconds(5));
    if (r.outcome == ApiResponse::Outcome::kUnreachable) {
      ctx.err << "hactl: " << name << "'s REST API is " << r.describe() << '\n';
      continue;
    }
    ClusterState last = s;
    if (r.outcome == ApiResponse::Outcome::kNoAnswer) {
      ctx.err << "hactl: " << name << " took the request but gave " << r.describe()
              << "; watching the DCS for the outcome\n";
      if (wait_for_new_leader(ctx, p, std::chrono::seconds(10), last) == kExitOk) return kExitOk;
      return ctx.fail("the outcome of the " + what(p) + " is unknown: the leader is still '" +
                      last.leader + "'; check hactl list before trying again");
    }
    if (!r.ok()) {
      return ctx.fail(what(p) + " refused by " + name + ": " + r.describe() +
                      "; nothing was changed");
    }
    ctx.out << name << ": " << r.describe() << '\n';
    if (r.status == 202) {  // scheduled
      print_members(ctx, s);
      return kExitOk;
    }
    if (wait_for_new_leader(ctx, p, std::chrono::seconds(10), last) == kExitOk) return kExitOk;
    return ctx.fail(name + " reported success but the leader key still names '" + last.leader +
                    "' after 10 s; check hactl list");
  }
  ctx.err << "hactl: no agent's REST API could be reached\n";
  return write_failover_key(ctx, p, s);
}

}  // namespace

int switchover(Context& ctx) {
  ClusterState s;
  if (auto err = read_state(ctx, s); !err.empty()) return ctx.fail(err);
  const auto& o = ctx.options;
  std::string candidate = o.candidate;
  std::string scheduled = o.scheduled;
  if (!o.force) {
    // Ask what was not given, as patronictl does (an empty answer keeps the default).
    if (candidate.empty() && !s.leader.empty()) {
      std::string list;
      for (const auto& n : switchover_candidates(s)) list += (list.empty() ? "'" : ", '") + n + "'";
      auto answer = ask(ctx, "Candidate [" + list + "] (empty: the agents pick the best) []:");
      if (!answer)
        return ctx.fail("aborted: no answer (pass --force to switch over without questions)");
      candidate = *answer;
    }
    if (scheduled.empty() && !s.leader.empty()) {
      auto answer =
          ask(ctx, "When should the switchover take place (e.g. 2026-12-01T02:00+00:00) [now]:");
      if (!answer)
        return ctx.fail("aborted: no answer (pass --force to switch over without questions)");
      scheduled = answer->empty() ? "now" : *answer;
    }
  }
  const auto p = plan_switchover(s, o.leader, candidate, scheduled, agent::WallClock::now());
  if (!p.error.empty()) return ctx.fail(p.error);
  if (!o.force) {
    print_members(ctx, s);
    const std::string to = p.candidate.empty() ? "the best replica" : "'" + p.candidate + "'";
    const std::string when =
        p.scheduled_at ? " at " + agent::format_iso_time(*p.scheduled_at) : " now";
    if (!confirm(ctx, "Are you sure you want to switch over cluster '" + s.scope + "'" + when +
                          ", demoting the current leader '" + p.leader + "' in favour of " + to +
                          "?")) {
      return ctx.fail("aborted: nothing was changed (pass --force to skip this question)");
    }
  }
  return carry_out(ctx, p, s);
}

int failover(Context& ctx) {
  ClusterState s;
  if (auto err = read_state(ctx, s); !err.empty()) return ctx.fail(err);
  const auto p = plan_failover(s, ctx.options.candidate);
  if (!p.error.empty()) return ctx.fail(p.error);
  for (const auto& w : p.warnings) ctx.err << "hactl: warning: " << w << '\n';
  if (!ctx.options.force) {
    print_members(ctx, s);
    if (!confirm(ctx,
                 "Are you sure you want to fail over cluster '" + s.scope + "' to '" + p.candidate +
                     "'" +
                     (p.leader.empty() ? "" : ", demoting the current leader '" + p.leader + "'") +
                     "?")) {
      return ctx.fail("aborted: nothing was changed (pass --force to skip this question)");
    }
  }
  return carry_out(ctx, p, s);
}

}  // namespace ha::ctl
