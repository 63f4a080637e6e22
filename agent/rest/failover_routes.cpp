#include "agent/rest/failover_routes.hpp"

#include "agent/iso_time.hpp"
#include "agent/rest/request_body.hpp"
#include "agent/units.hpp"

namespace ha::agent::rest {

namespace {

const char* title(FailoverAction a) {
  return a == FailoverAction::switchover ? "Switchover" : "Failover";
}
const char* lower_name(FailoverAction a) {
  return a == FailoverAction::switchover ? "switchover" : "failover";
}
const char* past_tense(FailoverAction a) {
  return a == FailoverAction::switchover ? "switched" : "failed";
}

// Why `m` cannot be promoted now; empty when it can.
std::string candidate_problem(const Member& m) {
  if (!m.tags.may_fail_over()) {
    return "candidate '" + m.name + "' has tag nofailover (or failover_priority 0)";
  }
  if (!m.is_running()) return "candidate '" + m.name + "' is not running (" + m.state + ")";
  return {};
}

// Patroni's is_failover_possible, on the DCS view: empty when some member can take over.
std::string failover_impossible(const FailoverPlan& plan, const ClusterView& view) {
  const FailoverRequest& r = plan.request;
  const std::string holder = view.leader ? view.leader->holder : "";
  if (!r.leader.empty() && r.leader != holder) {
    return "leader name does not match: the leader is " +
           (holder.empty() ? std::string("nobody") : "'" + holder + "'") + ", not '" + r.leader +
           "'";
  }
  const bool sync_mode = view.config.synchronous_mode;
  const char* action = lower_name(plan.action);
  if (!r.candidate.empty()) {
    if (r.candidate == holder) return "candidate '" + r.candidate + "' is already the leader";
    if (plan.action == FailoverAction::switchover && sync_mode &&
        !(view.sync && view.sync->lists(r.candidate))) {
      return "candidate name does not match with sync_standby: '" + r.candidate +
             "' is not a synchronous standby";
    }
    const Member* m = view.member(r.candidate);
    if (m == nullptr) return "candidate '" + r.candidate + "' does not exist";
    return candidate_problem(*m);
  }
  std::string why;
  bool any = false;
  for (const Member& m : view.members) {
    if (m.name == holder) continue;
    if (sync_mode && !(view.sync && view.sync->lists(m.name))) continue;
    any = true;
    const std::string problem = candidate_problem(m);
    if (problem.empty()) return {};
    why += "; " + problem;
  }
  if (!any) {
    return std::string(action) + " is not possible: " +
           (sync_mode ? "can not find sync_standby"
                      : "cluster does not have members except leader");
  }
  return std::string(action) + " is not possible: no good candidates have been found" + why;
}

HttpResponse refuse(int status, std::string message) {
  return text_response(status, std::move(message));
}

// Waits on the board until the leader changed, the request was dropped, or the wait ends.
HttpResponse await_leader_change(const FailoverPlan& plan, const std::string& leader_before,
                                 std::uint64_t loops_at_write, const RestContext& ctx) {
  const FailoverAction a = plan.action;
  const std::string& candidate = plan.request.candidate;
  Millis waited{0};
  while (waited < ctx.options.switchover_wait) {
    ctx.sleep(ctx.options.poll_interval);
    waited += ctx.options.poll_interval;
    const auto s = ctx.board->get();
    const ClusterView& view = s->dcs;
    if (view.leader && !view.leader->holder.empty() && view.leader->holder != leader_before) {
      const std::string& now_leader = view.leader->holder;
      if (candidate.empty() || candidate == now_leader) {
        return text_response(
            200, std::string("Successfully ") + past_tense(a) + " over to \"" + now_leader + "\"");
      }
      return text_response(200,
                           std::string(a == FailoverAction::switchover ? "Switched" : "Failed") +
                               " over to \"" + now_leader + "\" instead of \"" + candidate + "\"");
    }
    // Two decisions after the write saw the key, so a view without it means it was dropped.
    if (s->loops >= loops_at_write + 2 && view.reachable && !view.failover) {
      std::string msg = std::string(title(a)) + " failed";
      if (!s->last_decision.empty()) msg += ": " + s->last_decision;
      return text_response(503, msg);
    }
  }
  return text_response(503, std::string(title(a)) +
                                " status unknown: the leader did not change within " +
                                format_duration(ctx.options.switchover_wait));
}

}  // namespace

std::variant<FailoverPlan, HttpResponse> check_failover_request(FailoverAction action,
                                                                const nlohmann::json& body,
                                                                const AgentStatus& s,
                                                                WallTime now) {
  FailoverPlan plan;
  plan.action = action;
  const auto leader = string_field(body, "leader");
  const auto candidate = string_field(body, "candidate");
  const auto member = string_field(body, "member");
  const auto scheduled = string_field(body, "scheduled_at");
  for (const auto* f : {&leader, &candidate, &member, &scheduled}) {
    if (const auto* e = std::get_if<FieldError>(f)) return refuse(400, e->message);
  }
  plan.request.leader = std::get<0>(leader).value_or("");
  plan.request.candidate = std::get<0>(candidate).value_or(std::get<0>(member).value_or(""));
  const std::string scheduled_at = std::get<0>(scheduled).value_or("");
  const bool paused = s.paused || s.dcs.config.pause;

  if (action == FailoverAction::failover && plan.request.candidate.empty()) {
    return refuse(400, "Failover could be performed only to a specific candidate");
  }
  if (action == FailoverAction::switchover && plan.request.leader.empty()) {
    return refuse(400, "Switchover could be performed only from a specific leader");
  }
  if (!scheduled_at.empty()) {
    if (action == FailoverAction::failover) return refuse(400, "Failover can't be scheduled");
    if (paused) return refuse(400, "Can't schedule switchover in the paused state");
    const auto at = parse_iso_time(scheduled_at);
    if (!at) {
      return refuse(422, "Unable to parse scheduled timestamp '" + scheduled_at +
                             "': use ISO 8601 with a time zone, e.g. 2026-05-01T10:00:00+00:00");
    }
    if (*at < now) return refuse(422, "Cannot schedule switchover in the past");
    plan.request.scheduled_at = *at;
  }
  if (paused && plan.request.candidate.empty()) {
    return refuse(400, "Switchover is possible only to a specific candidate in a paused state");
  }
  if (action == FailoverAction::failover && !plan.request.leader.empty()) {
    plan.action = FailoverAction::switchover;  // as Patroni: a named leader makes a switchover
  }
  if (plan.request.leader == plan.request.candidate) {
    return refuse(400, "Switchover target and source are the same");
  }
  if (!s.dcs.reachable) {
    return refuse(503,
                  "the DCS is not reachable from this member; try again or ask another member");
  }
  if (!plan.scheduled()) {
    if (const std::string why = failover_impossible(plan, s.dcs); !why.empty()) {
      return refuse(412, why);
    }
  }
  return plan;
}

HttpResponse post_failover(FailoverAction action, const HttpRequest& request,
                           const RestContext& ctx) {
  auto body = read_json_object(
      request.body, std::vector<std::string_view>{"leader", "candidate", "member", "scheduled_at"});
  if (auto* r = std::get_if<HttpResponse>(&body)) return std::move(*r);
  auto status = ctx.board->get();
  auto checked =
      check_failover_request(action, std::get<nlohmann::json>(body), *status, ctx.wall_now());
  // Refused on the last decision's view (a candidate that has just started may still show as
  // stopped there): ask again on the views of the next two decisions before saying no.
  const std::uint64_t loops_at_request = status->loops;
  Millis waited{0};
  auto precondition_failed = [&checked] {
    const auto* r = std::get_if<HttpResponse>(&checked);
    return r != nullptr && r->status == 412;
  };
  while (precondition_failed() && waited < ctx.options.fresh_view_wait &&
         status->loops < loops_at_request + 2) {
    ctx.sleep(ctx.options.poll_interval);
    waited += ctx.options.poll_interval;
    status = ctx.board->get();
    checked =
        check_failover_request(action, std::get<nlohmann::json>(body), *status, ctx.wall_now());
  }
  if (auto* r = std::get_if<HttpResponse>(&checked)) return std::move(*r);
  const FailoverPlan& plan = std::get<FailoverPlan>(checked);
  if (ctx.store == nullptr)
    return refuse(503, "failed to write failover key into DCS: no DCS client");

  std::optional<std::int64_t> expected;
  if (status->dcs.failover) expected = status->dcs.failover->mod_revision;
  const StoreWrite w = ctx.store->write_failover(plan.request, expected);
  if (!w.ok()) return refuse(503, "failed to write failover key into DCS: " + w.error);
  if (plan.scheduled()) {
    return text_response(202, std::string(title(plan.action)) + " scheduled at " +
                                  format_iso_time(*plan.request.scheduled_at));
  }
  const std::string leader_before = status->dcs.leader ? status->dcs.leader->holder : "";
  return await_leader_change(plan, leader_before, ctx.board->get()->loops, ctx);
}

}  // namespace ha::agent::rest
