#include "ctl/cluster_commands.hpp"

#include <ha_version.hpp>
#include <thread>

#include "ctl/action_commands.hpp"
#include "ctl/member_rows.hpp"
#include "ctl/output_format.hpp"
#include "ctl/table.hpp"

namespace ha::ctl {

namespace {

std::string member_names(const ClusterState& s) {
  std::string names;
  for (const auto& m : s.members) names += (names.empty() ? "" : ", ") + m.name;
  return names.empty() ? "none" : names;
}

void warn_problems(Context& ctx, const ClusterState& s) {
  for (const auto& p : s.problems) ctx.err << "hactl: warning: unreadable key " << p << '\n';
}

int list_once(Context& ctx, bool topology) {
  ClusterState s;
  if (auto err = read_cluster_state(ctx.client, ctx.source, ctx.timeout(), s); !err.empty()) {
    return ctx.fail(err);
  }
  warn_problems(ctx, s);
  const auto rows = topology ? topology_rows(s) : list_rows(s);
  switch (ctx.options.format) {
    case OutputFormat::kJson: ctx.out << dump_json(members_json(s, rows)) << '\n'; break;
    case OutputFormat::kYaml: ctx.out << to_yaml(members_json(s, rows)); break;
    case OutputFormat::kPretty: ctx.out << render_members_table(s, rows, ctx.colour, topology); break;
  }
  ctx.out.flush();
  return kExitOk;
}

int list(Context& ctx, bool topology) {
  if (ctx.options.watch_seconds <= 0) return list_once(ctx, topology);
  const auto period = std::chrono::milliseconds(static_cast<long long>(ctx.options.watch_seconds * 1000));
  for (;;) {  // until interrupted; a failed read is reported and retried
    if (ctx.colour) ctx.out << "\033[H\033[2J";
    list_once(ctx, topology);
    std::this_thread::sleep_for(period);
  }
}

int history(Context& ctx) {
  ClusterState s;
  if (auto err = read_cluster_state(ctx.client, ctx.source, ctx.timeout(), s); !err.empty()) {
    return ctx.fail(err);
  }
  warn_problems(ctx, s);
  switch (ctx.options.format) {
    case OutputFormat::kJson: ctx.out << dump_json(history_json(s)) << '\n'; break;
    case OutputFormat::kYaml: ctx.out << to_yaml(history_json(s)); break;
    case OutputFormat::kPretty: ctx.out << render_history(s); break;
  }
  return kExitOk;
}

int show_config(Context& ctx) {
  ClusterState s;
  if (auto err = read_cluster_state(ctx.client, ctx.source, ctx.timeout(), s); !err.empty()) {
    return ctx.fail(err);
  }
  if (!s.config) {
    for (const auto& p : s.problems) {
      if (p.rfind("config:", 0) == 0) return ctx.fail("the config key is unreadable: " + p);
    }
    return ctx.fail("cluster '" + s.scope + "' has no dynamic config in the DCS yet (no key " +
                    ctx.source.key_prefix() + "config)");
  }
  ctx.out << to_yaml(*s.config);
  return kExitOk;
}

int dsn(Context& ctx) {
  ClusterState s;
  if (auto err = read_cluster_state(ctx.client, ctx.source, ctx.timeout(), s); !err.empty()) {
    return ctx.fail(err);
  }
  std::string error;
  const auto* m = pick_dsn_member(s, ctx.options, error);
  if (m == nullptr) return ctx.fail(error);
  const auto text = dsn_of(*m);
  if (!text) return ctx.fail("member '" + m->name + "' has published no connection URL");
  ctx.out << *text << '\n';
  return kExitOk;
}

int version(Context& ctx) {
  ctx.out << "hactl " << ha::kVersionFull << '\n';
  if (ctx.source.scope.empty()) return kExitOk;
  ClusterState s;
  if (auto err = read_cluster_state(ctx.client, ctx.source, ctx.timeout(), s); !err.empty()) {
    return ctx.fail(err);
  }
  for (const auto& m : s.members) {
    ctx.out << m.name << ": haagent " << (m.version.empty() ? "(unknown)" : m.version) << '\n';
  }
  return kExitOk;
}

}  // namespace

std::string render_history(const ClusterState& state) {
  std::vector<Row> rows;
  for (const auto& h : state.history) {
    rows.push_back({{std::to_string(h.timeline)}, {agent::to_string(h.lsn)}, {h.reason},
                    {h.timestamp}, {h.new_leader}});
  }
  return render_table("", {{"TL", true}, {"LSN", true}, {"Reason"}, {"Timestamp"}, {"New Leader"}},
                      rows, false);
}

nlohmann::json history_json(const ClusterState& state) {
  auto out = nlohmann::json::array();
  for (const auto& h : state.history) {
    out.push_back({{"TL", h.timeline}, {"LSN", agent::to_string(h.lsn)}, {"Reason", h.reason},
                   {"Timestamp", h.timestamp}, {"New Leader", h.new_leader}});
  }
  return out;
}

std::optional<std::string> dsn_of(const agent::Member& member) {
  const auto host_port = host_of_conn_url(member.conn_url);
  if (host_port.empty()) return std::nullopt;
  std::string host = host_port, port;
  if (const auto colon = host_port.rfind(':');
      colon != std::string::npos && host_port.find(']', colon) == std::string::npos) {
    host = host_port.substr(0, colon);
    port = host_port.substr(colon + 1);
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return "host=" + host + (port.empty() ? "" : " port=" + port);
}

const agent::Member* pick_dsn_member(const ClusterState& s, const CtlOptions& o, std::string& error) {
  if (!o.members.empty()) {
    if (const auto* m = s.member(o.members.front())) return m;
    error = "no member '" + o.members.front() + "' in cluster '" + s.scope + "'; members: " + member_names(s);
    return nullptr;
  }
  if (o.role == "replica") {
    for (const auto& m : s.members) {
      if (m.name != s.leader && m.is_running() && m.is_streaming()) return &m;
    }
    error = "cluster '" + s.scope + "' has no streaming replica";
    return nullptr;
  }
  if (const auto* m = s.member(s.leader)) return m;
  error = "cluster '" + s.scope + "' has no leader (see hactl list)";
  return nullptr;
}

int run_cluster_command(Context& ctx) {
  const auto& c = ctx.options.command;
  if (c == "list") return list(ctx, false);
  if (c == "topology") return list(ctx, true);
  if (c == "history") return history(ctx);
  if (c == "show-config") return show_config(ctx);
  if (c == "dsn") return dsn(ctx);
  if (c == "version") return version(ctx);
  if (c == "switchover") return switchover(ctx);
  if (c == "failover") return failover(ctx);
  if (c == "pause" || c == "resume") return pause_or_resume(ctx, c == "pause");
  if (c == "edit-config") return edit_config(ctx);
  if (c == "restart" || c == "reload" || c == "reinit") return member_action(ctx);
  if (c == "remove") return remove_cluster(ctx);
  return ctx.fail("unknown command '" + c + "' (see hactl --help)");
}

}  // namespace ha::ctl
