#include "ctl/handover_plan.hpp"

#include <ctime>
#include <regex>

#include "agent/dcs_values.hpp"
#include "agent/iso_time.hpp"

namespace ha::ctl {

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

std::string mb(std::uint64_t bytes) {
  if (bytes < kMiB) return std::to_string(bytes) + " bytes";
  return std::to_string((bytes + kMiB / 2) / kMiB) + " MB";
}

agent::DynamicConfig dynamic_config(const ClusterState& s) {
  if (!s.config) return {};
  return agent::parse_dynamic_config(*s.config).config;  // defaults where a key is wrong
}

std::string names(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& n : list) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

std::string member_names(const ClusterState& s) {
  std::vector<std::string> list;
  for (const auto& m : s.members) list.push_back(m.name);
  return names(list);
}

std::string pending_request_error(const ClusterState& s) {
  const auto& f = *s.failover;
  std::string what = f.is_switchover() ? "a switchover" : "a failover";
  if (!f.candidate.empty()) what += " to '" + f.candidate + "'";
  if (f.scheduled_at) what += " scheduled for " + agent::format_iso_time(*f.scheduled_at);
  return what + " is already pending; wait for it, or withdraw it with: hactl dcs del " +
         s.key_prefix + "failover";
}

// Other running members that publish an API, leader first, for a failover request.
void add_running_members(const ClusterState& s, std::vector<std::string>& out) {
  auto add = [&](const agent::Member& m) {
    if (!m.is_running()) return;
    for (const auto& n : out) {
      if (n == m.name) return;
    }
    out.push_back(m.name);
  };
  if (const auto* l = s.member(s.leader)) add(*l);
  for (const auto& m : s.members) add(m);
}

}  // namespace

std::string HandoverPlan::path() const { return failover ? "/failover" : "/switchover"; }

nlohmann::json HandoverPlan::body() const {
  nlohmann::json b = nlohmann::json::object();
  if (failover) {
    b["candidate"] = candidate;
    return b;
  }
  b["leader"] = leader;
  if (!candidate.empty()) b["candidate"] = candidate;
  if (scheduled_at) b["scheduled_at"] = agent::format_iso_time(*scheduled_at);
  return b;
}

agent::FailoverRequest HandoverPlan::dcs_request() const {
  agent::FailoverRequest r;
  if (!failover) r.leader = leader;
  r.candidate = candidate;
  r.scheduled_at = scheduled_at;
  return r;
}

bool has_healthy_leader(const ClusterState& s) {
  const auto* l = s.member(s.leader);
  return l != nullptr && l->is_running();
}

std::string candidate_problem(const ClusterState& s, const agent::Member& m, bool switchover) {
  const std::string who = "'" + m.name + "'";
  if (m.name == s.leader) return who + " is the leader already";
  if (!m.tags.may_fail_over()) {
    return who + " is tagged nofailover (or failover_priority 0): it is never promoted";
  }
  if (!m.is_running()) {
    return who + " is not running (state: " + (m.state.empty() ? "unknown" : m.state) + ")";
  }
  if (m.role != agent::PgRole::replica) {
    return who + " is not a replica (role: " + agent::to_string(m.role) + ")";
  }
  if (!switchover) return {};
  if (!m.is_streaming()) {
    return who + " is not streaming from the leader (replication state: " +
           (m.replication_state.empty() ? "none" : m.replication_state) + ")";
  }
  const auto cfg = dynamic_config(s);
  if (const auto lsn = s.leader_lsn()) {
    const auto behind = agent::bytes_behind(m.xlog_location, *lsn);
    if (behind > cfg.maximum_lag_on_failover) {
      return who + " is " + mb(behind) + " behind the leader (maximum_lag_on_failover is " +
             mb(cfg.maximum_lag_on_failover) + ")";
    }
  }
  if (cfg.synchronous_mode && s.sync && !s.sync->lists(m.name)) {
    return who + " is not a synchronous standby (synchronous_mode is on; sync standbys: " +
           names(s.sync->sync_standby) + ")";
  }
  return {};
}

std::vector<std::string> switchover_candidates(const ClusterState& s) {
  std::vector<std::string> out;
  for (const auto& m : s.members) {
    if (candidate_problem(s, m, true).empty()) out.push_back(m.name);
  }
  return out;
}

std::optional<agent::WallTime> parse_schedule(const std::string& text, agent::WallTime now,
                                              std::string& error) {
  error.clear();
  if (text.empty() || text == "now") return std::nullopt;
  static const std::regex kIso(
      R"((\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|([+-])(\d{2}):?(\d{2}))?)");
  std::smatch m;
  if (!std::regex_match(text, m, kIso)) {
    error =
        "--scheduled '" + text + "' must be 'now' or an ISO 8601 time, e.g. 2026-12-01T02:00+00:00";
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = m[6].matched ? std::stoi(m[6]) : 0;
  std::time_t t = 0;
  if (!m[7].matched) {
    tm.tm_isdst = -1;
    t = std::mktime(&tm);  // local time
  } else {
    t = ::timegm(&tm);
    if (m[8].matched) {
      const long offset = (std::stol(m[9]) * 60 + std::stol(m[10])) * 60;
      t -= m[8] == "+" ? offset : -offset;
    }
  }
  const auto when = agent::WallClock::from_time_t(t);
  if (when < now) {
    error = "--scheduled " + text + " is in the past (now it is " + agent::format_iso_time(now) +
            "); give a later time or 'now'";
    return std::nullopt;
  }
  return when;
}

HandoverPlan plan_switchover(const ClusterState& s, const std::string& leader,
                             const std::string& candidate, const std::string& scheduled,
                             agent::WallTime now) {
  HandoverPlan p;
  p.leader = s.leader;
  p.candidate = candidate;
  if (s.leader.empty()) {
    p.error = "cluster '" + s.scope +
              "' has no leader, so there is nothing to switch over from; promote a member with "
              "hactl failover --candidate NAME";
    return p;
  }
  if (!leader.empty() && leader != s.leader) {
    p.error = "'" + leader + "' is not the leader of cluster '" + s.scope + "'; the leader is '" +
              s.leader + "' (see hactl list)";
    return p;
  }
  if (s.member(s.leader) == nullptr) {
    p.error = "the leader '" + s.leader +
              "' has no member key (its agent is not reporting); use hactl failover instead";
    return p;
  }
  if (s.failover) {
    p.error = pending_request_error(s);
    return p;
  }
  if (s.paused()) {
    if (candidate.empty()) {
      p.error = "cluster '" + s.scope +
                "' is paused (maintenance mode): a switchover needs a named --candidate "
                "(or run hactl resume first)";
      return p;
    }
    if (!scheduled.empty() && scheduled != "now") {
      p.error = "cluster '" + s.scope +
                "' is paused (maintenance mode): a switchover cannot be scheduled; run it now "
                "or hactl resume first";
      return p;
    }
  }
  if (!candidate.empty()) {
    const auto* m = s.member(candidate);
    if (m == nullptr) {
      p.error =
          "no member '" + candidate + "' in cluster '" + s.scope + "'; members: " + member_names(s);
      return p;
    }
    if (auto why = candidate_problem(s, *m, true); !why.empty()) {
      p.error = "cannot switch over to " + why + "; candidates: " + names(switchover_candidates(s));
      return p;
    }
  } else if (switchover_candidates(s).empty()) {
    p.error = "cluster '" + s.scope +
              "' has no healthy streaming replica to switch over to (see hactl list)";
    return p;
  }
  std::string error;
  p.scheduled_at = parse_schedule(scheduled, now, error);
  if (!error.empty()) {
    p.error = error;
    return p;
  }
  p.send_to = {s.leader};
  return p;
}

HandoverPlan plan_failover(const ClusterState& s, const std::string& candidate) {
  HandoverPlan p;
  p.failover = true;
  p.leader = s.leader;
  if (s.failover) {
    p.error = pending_request_error(s);
    return p;
  }
  if (candidate.empty()) {
    if (has_healthy_leader(s)) {
      p.error = "cluster '" + s.scope + "' has a healthy leader '" + s.leader +
                "'; name the member to promote with --candidate NAME, or use hactl switchover";
      return p;
    }
    // No healthy leader: the member furthest ahead (then by failover priority).
    const agent::Member* best = nullptr;
    for (const auto& m : s.members) {
      if (!candidate_problem(s, m, false).empty()) continue;
      if (best == nullptr || m.xlog_location > best->xlog_location ||
          (m.xlog_location == best->xlog_location && m.tags.priority() > best->tags.priority())) {
        best = &m;
      }
    }
    if (best == nullptr) {
      p.error = "cluster '" + s.scope +
                "' has no member that can be promoted (none is a running replica without "
                "nofailover; see hactl list)";
      return p;
    }
    p.candidate = best->name;
  } else {
    const auto* m = s.member(candidate);
    if (m == nullptr) {
      p.error =
          "no member '" + candidate + "' in cluster '" + s.scope + "'; members: " + member_names(s);
      return p;
    }
    if (auto why = candidate_problem(s, *m, false); !why.empty()) {
      p.error = "cannot fail over to " + why;
      return p;
    }
    p.candidate = candidate;
  }
  const auto* m = s.member(p.candidate);
  if (const auto lsn = s.leader_lsn()) {
    const auto behind = agent::bytes_behind(m->xlog_location, *lsn);
    if (behind > 0) {
      p.warnings.push_back("'" + p.candidate + "' is " + mb(behind) +
                           " behind the last known leader position: transactions in that WAL "
                           "are lost");
    }
  } else {
    p.warnings.push_back("the last leader position is unknown, so '" + p.candidate +
                         "' may be behind: recent transactions could be lost");
  }
  if (has_healthy_leader(s)) {
    p.warnings.push_back("the leader '" + s.leader +
                         "' is healthy: a switchover would hand over without losing anything");
  }
  p.send_to = {p.candidate};
  add_running_members(s, p.send_to);
  return p;
}

}  // namespace ha::ctl
