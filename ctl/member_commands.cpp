// restart, reload and reinit: one REST request per member, each reported on its own line.
#include <thread>

#include "agent/iso_time.hpp"
#include "ctl/action_commands.hpp"
#include "ctl/command_support.hpp"
#include "ctl/handover_plan.hpp"
#include "ctl/member_selection.hpp"
#include "ctl/prompt.hpp"

namespace ha::ctl {

namespace {

std::chrono::seconds read_timeout(const std::string& command) {
  if (command == "restart") return std::chrono::seconds(120);  // answers when PostgreSQL is up
  if (command == "reinit") return std::chrono::seconds(30);    // answers when it started
  return std::chrono::seconds(10);
}

const char* done_word(const std::string& command) {
  if (command == "restart") return "restart";
  if (command == "reload") return "reload";
  return "reinitialize";
}

// reinit --wait: until the member's key says running and streaming again, having first left
// that state (or 10 s passed without it leaving: the clone was too quick to see).
bool wait_rebuilt(Context& ctx, const std::string& name) {
  ctx.out << "Waiting for " << name << " to stream again...\n";
  ctx.out.flush();
  bool left = false;
  const auto started = std::chrono::steady_clock::now();
  ClusterState last;
  return poll_cluster(
      ctx, std::chrono::hours(1),
      [&](const ClusterState& s) {
        const auto* m = s.member(name);
        const bool healthy = m != nullptr && m->is_running() && m->is_streaming();
        left = left || !healthy;
        return healthy &&
               (left || std::chrono::steady_clock::now() - started > std::chrono::seconds(10));
      },
      last, std::chrono::milliseconds(1000));
}

}  // namespace

int member_action(Context& ctx) {
  const auto& o = ctx.options;
  ClusterState s;
  if (auto err = read_state(ctx, s); !err.empty()) return ctx.fail(err);
  std::string schedule;
  if (o.command == "restart") {
    std::string error;
    if (const auto when = parse_schedule(o.scheduled, agent::WallClock::now(), error)) {
      schedule = agent::format_iso_time(*when);
    }
    if (!error.empty()) return ctx.fail(error);
  }
  const auto sel = select_members(s, o);
  if (!sel.error.empty()) return ctx.fail(sel.error);
  if (!sel.skipped.empty()) ctx.out << "Skipped (" << sel.skipped << ")\n";
  if (sel.names.empty()) {
    ctx.out << "Nothing to " << done_word(o.command) << '\n';
    return kExitOk;
  }
  std::string list;
  for (const auto& n : sel.names) list += (list.empty() ? "" : ", ") + n;
  if (!o.force) {
    print_members(ctx, s);
    std::string question = "Are you sure you want to " + std::string(done_word(o.command)) +
                           " members " + list + (schedule.empty() ? "" : " at " + schedule) + "?";
    if (!confirm(ctx, question)) {
      return ctx.fail("aborted: nothing was changed (pass --force to skip this question)");
    }
  }
  const auto api = api_client(ctx);
  const auto body = action_body(o, schedule);
  int failed = 0;
  for (const auto& name : sel.names) {
    const auto* m = s.member(name);
    const auto r =
        api.send("POST", m->api_url, action_path(o.command), body, read_timeout(o.command));
    if (r.ok()) {
      ctx.out << name << ": " << r.describe() << '\n';
      ctx.out.flush();
      if (o.command == "reinit" && o.wait && !wait_rebuilt(ctx, name)) {
        ctx.err << "hactl: " << name << ": not streaming again after an hour\n";
        ++failed;
      }
    } else {
      ctx.err << "hactl: " << name << ": " << done_word(o.command) << " failed: " << r.describe()
              << '\n';
      ++failed;
    }
  }
  if (failed > 0) {
    return ctx.fail(std::to_string(failed) + " of " + std::to_string(sel.names.size()) +
                    " members failed (see above)");
  }
  return kExitOk;
}

}  // namespace ha::ctl
