// hactl dcs members / status / leases / move-leader.
#include <cstdio>

#include "ctl/dcs_commands.hpp"
#include "ctl/output_format.hpp"
#include "ctl/table.hpp"

namespace ha::ctl {

namespace {

std::string human_bytes(std::int64_t n) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(n);
  std::size_t u = 0;
  while (v >= 1000 && u + 1 < std::size(units)) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string join(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

void print_structured(Context& ctx, const nlohmann::json& doc) {
  ctx.out << (ctx.options.format == OutputFormat::kYaml ? to_yaml(doc) : dump_json(doc) + "\n");
}

}  // namespace

std::string render_dcs_status(const std::vector<dcs::EndpointStatus>& statuses, bool colour) {
  const std::vector<Column> columns = {{"ENDPOINT"},         {"ID"},        {"IS LEADER"},
                                       {"RAFT TERM", true},  {"RAFT INDEX", true},
                                       {"RAFT APPLIED INDEX", true}, {"DB SIZE", true}, {"ERRORS"}};
  std::vector<Row> rows;
  for (const auto& s : statuses) {
    if (!s.status.ok()) {
      rows.push_back({{s.endpoint.host_port()}, {}, {}, {}, {}, {}, {},
                      {s.status.error().message, colours::kRed}});
      continue;
    }
    const auto& st = s.status.value();
    const bool leader = st.leader() != 0 && st.leader() == st.header().member_id();
    std::string errors;
    for (const auto& e : st.errors()) errors += (errors.empty() ? "" : "; ") + e;
    rows.push_back({{s.endpoint.host_port()},
                    {hex_id(st.header().member_id())},
                    {leader ? "true" : "false", leader ? colours::kGreen : nullptr},
                    {std::to_string(st.raftterm())},
                    {std::to_string(st.raftindex())},
                    {std::to_string(st.raftappliedindex())},
                    {human_bytes(st.dbsize())},
                    {errors, colours::kRed}});
  }
  return render_table("", columns, rows, colour);
}

nlohmann::json dcs_status_json(const std::vector<dcs::EndpointStatus>& statuses) {
  auto out = nlohmann::json::array();
  for (const auto& s : statuses) {
    nlohmann::json e = {{"endpoint", s.endpoint.host_port()}};
    if (!s.status.ok()) {
      e["error"] = s.status.error().message;
    } else {
      const auto& st = s.status.value();
      e["id"] = hex_id(st.header().member_id());
      e["leader_id"] = hex_id(st.leader());
      e["is_leader"] = st.leader() != 0 && st.leader() == st.header().member_id();
      e["raft_term"] = st.raftterm();
      e["raft_index"] = st.raftindex();
      e["raft_applied_index"] = st.raftappliedindex();
      e["db_size"] = st.dbsize();
      e["revision"] = st.header().revision();
      e["version"] = st.version();
      e["is_learner"] = st.islearner();
      e["errors"] = nlohmann::json::array();
      for (const auto& err : st.errors()) e["errors"].push_back(err);
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::string render_dcs_members(const etcdserverpb::MemberListResponse& members) {
  const std::vector<Column> columns = {{"ID"}, {"STATUS"}, {"NAME"}, {"PEER ADDRS"},
                                       {"CLIENT ADDRS"}, {"IS LEARNER"}};
  std::vector<Row> rows;
  for (const auto& m : members.members()) {
    rows.push_back({{hex_id(m.id())},
                    {m.name().empty() ? "unstarted" : "started"},
                    {m.name()},
                    {join(m.peerurls())},
                    {join(m.clienturls())},
                    {m.islearner() ? "true" : "false"}});
  }
  return render_table("", columns, rows, false);
}

nlohmann::json dcs_members_json(const etcdserverpb::MemberListResponse& members) {
  auto out = nlohmann::json::array();
  for (const auto& m : members.members()) {
    out.push_back({{"id", hex_id(m.id())},
                   {"name", m.name()},
                   {"peer_urls", std::vector<std::string>(m.peerurls().begin(), m.peerurls().end())},
                   {"client_urls",
                    std::vector<std::string>(m.clienturls().begin(), m.clienturls().end())},
                   {"is_learner", m.islearner()}});
  }
  return out;
}

int dcs_members(Context& ctx) {
  auto r = ctx.client.member_list(ctx.call());
  if (!r.ok()) return ctx.fail(r.error().to_string());
  if (ctx.options.format == OutputFormat::kPretty) {
    ctx.out << render_dcs_members(r.value());
  } else {
    print_structured(ctx, dcs_members_json(r.value()));
  }
  return kExitOk;
}

int dcs_status(Context& ctx) {
  const auto statuses = ctx.client.status_all(ctx.call());
  std::size_t failed = 0;
  for (const auto& s : statuses) failed += s.status.ok() ? 0 : 1;
  if (failed == statuses.size()) {
    return ctx.fail("no hadcs member answered at " + ctx.source.endpoints_text() + " within " +
                    std::to_string(ctx.timeout().count()) +
                    " ms; check that hadcs runs there and the endpoints are right");
  }
  if (ctx.options.format == OutputFormat::kPretty) {
    ctx.out << render_dcs_status(statuses, ctx.colour);
  } else {
    print_structured(ctx, dcs_status_json(statuses));
  }
  if (failed > 0) {
    return ctx.fail(std::to_string(failed) + " of " + std::to_string(statuses.size()) +
                    " endpoints did not answer (see ERRORS)");
  }
  return kExitOk;
}

int dcs_leases(Context& ctx) {
  auto r = ctx.client.lease_leases(ctx.call());
  if (!r.ok()) return ctx.fail(r.error().to_string());
  std::vector<Row> rows;
  auto doc = nlohmann::json::array();
  for (const auto& l : r->leases()) {
    auto t = ctx.client.lease_time_to_live(l.id(), true, ctx.call());
    if (!t.ok()) {
      if (t.error().is_lease_not_found()) continue;  // expired meanwhile
      return ctx.fail(t.error().to_string());
    }
    std::vector<std::string> keys(t->keys().begin(), t->keys().end());
    std::string key_text;
    for (const auto& k : keys) key_text += (key_text.empty() ? "" : ", ") + k;
    const auto id = hex_id(static_cast<std::uint64_t>(l.id()));
    rows.push_back({{id}, {std::to_string(t->ttl())}, {std::to_string(t->grantedttl())}, {key_text}});
    doc.push_back({{"id", id}, {"ttl", t->ttl()}, {"granted_ttl", t->grantedttl()}, {"keys", keys}});
  }
  if (ctx.options.format == OutputFormat::kPretty) {
    ctx.out << render_table("", {{"ID"}, {"TTL", true}, {"GRANTED TTL", true}, {"KEYS"}}, rows, false);
  } else {
    print_structured(ctx, doc);
  }
  return kExitOk;
}

int dcs_move_leader(Context& ctx) {
  const std::string& wanted = ctx.options.members.front();
  auto list = ctx.client.member_list(ctx.call());
  if (!list.ok()) return ctx.fail(list.error().to_string());
  const etcdserverpb::Member* target = nullptr;
  std::string names;
  for (const auto& m : list->members()) {
    names += (names.empty() ? "" : ", ") + m.name() + " (" + hex_id(m.id()) + ")";
    if (m.name() == wanted || hex_id(m.id()) == wanted) target = &m;
  }
  if (target == nullptr) return ctx.fail("no DCS member '" + wanted + "'; members: " + names);
  if (target->islearner()) return ctx.fail("DCS member '" + wanted + "' is a learner and cannot lead");
  auto leader = ctx.client.leader(ctx.call());
  if (!leader.ok()) return ctx.fail(leader.error().to_string());
  const std::string who = target->name() + " (" + hex_id(target->id()) + ")";
  if (leader->member_id == target->id()) {
    ctx.out << "DCS member " << who << " is already the leader\n";
    return kExitOk;
  }
  auto r = ctx.client.move_leader(target->id(), ctx.call());
  if (!r.ok()) return ctx.fail("moving the leadership to " + who + " failed: " + r.error().to_string());
  ctx.out << "Raft leadership moved from " << hex_id(leader->member_id) << " to " << who << '\n';
  return kExitOk;
}

}  // namespace ha::ctl
