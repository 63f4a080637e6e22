#include "agent/rest/health_checks.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "agent/rest/size_param.hpp"
#include "agent/rest/status_json.hpp"

namespace ha::agent::rest {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The member's tag `key` as text, for ?tag_<key>=<value>: booleans as "true"/"false" (the
// known ones are always there, false when unset), numbers and strings as written.
std::optional<std::string> tag_text(const MemberTags& tags, const std::string& key) {
  if (key == "nofailover") return tags.nofailover ? "true" : "false";
  if (key == "noloadbalance") return tags.noloadbalance ? "true" : "false";
  if (key == "clonefrom") return tags.clonefrom ? "true" : "false";
  if (key == "nosync") return tags.nosync ? "true" : "false";
  if (key == "failover_priority") return std::to_string(tags.priority());
  const auto it = tags.other.find(key);
  if (it == tags.other.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

bool tags_match(const Params& query, const MemberTags& tags) {
  for (const auto& [k, v] : query) {
    if (k.rfind("tag_", 0) != 0) continue;
    const auto have = tag_text(tags, k.substr(4));
    if (!have || lower(*have) != lower(v)) return false;
  }
  return true;
}

// ?lag=: nothing when absent; error text when malformed.
struct LagLimit {
  std::optional<std::uint64_t> bytes;
  std::string error;
};

LagLimit lag_limit(const Params& query) {
  LagLimit out;
  for (const auto& [k, v] : query) {
    if (k != "lag") continue;
    out.bytes = parse_byte_size(v);
    if (!out.bytes) {
      out.error =
          "lag: expected a number of bytes or a size like 16MB (units B, kB, MB, GB, TB), "
          "got '" +
          v + "'";
    }
    return out;
  }
  return out;
}

// Bytes this replica's `position` is behind the leader; nothing when the leader's is unknown.
std::optional<std::uint64_t> replica_lag(const AgentStatus& s, Lsn position) {
  const auto leader = known_leader_position(s.dcs);
  if (!leader) return std::nullopt;
  return bytes_behind(position, *leader);
}

bool lag_within(const AgentStatus& s, std::optional<std::uint64_t> limit) {
  if (!limit) return true;
  const auto lag = replica_lag(s, s.pg.replay_lsn);
  return lag && *lag <= *limit;  // a limit that cannot be checked is not met
}

bool is_primary(const AgentStatus& s) { return s.holds_lock && s.pg.is_running_primary(); }

bool replica_passes(const AgentStatus& s, const Params& query, std::optional<std::uint64_t> lag) {
  return s.pg.is_running_replica() && !s.holds_lock && !s.tags.noloadbalance &&
         tags_match(query, s.tags) && lag_within(s, lag);
}

bool alive(const AgentStatus& s, WallTime now) {
  if (s.paused) return true;
  if (s.loops == 0) return false;
  const Millis ttl = s.dcs.config.ttl;
  const Millis allowed = is_primary(s) ? ttl : 2 * ttl;
  return now - s.updated <= allowed;
}

CheckVerdict ready(const AgentStatus& s, const Params& query) {
  if (is_primary(s)) return {true, {}};
  if (!s.pg.is_running_replica() || !s.pg.streaming) return {false, {}};
  const auto limit = lag_limit(query);
  if (!limit.error.empty()) return {false, limit.error};
  const auto mode = [&]() -> std::string {
    for (const auto& [k, v] : query)
      if (k == "mode") return v;
    return "apply";
  }();
  if (mode != "apply" && mode != "write") {
    return {false, "mode: expected apply or write, got '" + mode + "'"};
  }
  const Lsn position = mode == "write" ? s.pg.receive_lsn : s.pg.replay_lsn;
  const auto lag = replica_lag(s, position);
  if (!lag) return {!limit.bytes.has_value(), {}};  // no leader position to measure against
  return {*lag <= limit.bytes.value_or(s.dcs.config.maximum_lag_on_failover), {}};
}

}  // namespace

std::optional<HealthCheck> health_check_for(std::string_view path) {
  static const std::map<std::string, HealthCheck, std::less<>> paths = {
      {"/", HealthCheck::primary},
      {"/primary", HealthCheck::primary},
      {"/read-write", HealthCheck::primary},
      {"/master", HealthCheck::primary},
      {"/leader", HealthCheck::leader},
      {"/replica", HealthCheck::replica},
      {"/read-only", HealthCheck::read_only},
      {"/sync", HealthCheck::sync},
      {"/synchronous", HealthCheck::sync},
      {"/async", HealthCheck::async},
      {"/asynchronous", HealthCheck::async},
      {"/health", HealthCheck::health},
      {"/liveness", HealthCheck::liveness},
      {"/readiness", HealthCheck::readiness},
  };
  const auto it = paths.find(path);
  if (it == paths.end()) return std::nullopt;
  return it->second;
}

bool is_status_only(HealthCheck check) {
  return check == HealthCheck::liveness || check == HealthCheck::readiness;
}

CheckVerdict run_health_check(HealthCheck check, const Params& query, const AgentStatus& s,
                              WallTime now) {
  switch (check) {
    case HealthCheck::primary: return {is_primary(s), {}};
    case HealthCheck::leader: return {s.holds_lock, {}};
    case HealthCheck::health: return {s.pg.is_running(), {}};
    case HealthCheck::liveness: return {alive(s, now), {}};
    case HealthCheck::readiness: return ready(s, query);
    case HealthCheck::replica:
    case HealthCheck::read_only:
    case HealthCheck::sync:
    case HealthCheck::async: break;
  }
  const auto limit = lag_limit(query);
  if (!limit.error.empty()) return {false, limit.error};
  switch (check) {
    case HealthCheck::replica: return {replica_passes(s, query, limit.bytes), {}};
    case HealthCheck::read_only:
      return {is_primary(s) || replica_passes(s, query, limit.bytes), {}};
    case HealthCheck::sync:
      return {s.dcs.reachable && is_sync_standby(s) && replica_passes(s, query, limit.bytes), {}};
    case HealthCheck::async:
      return {!is_sync_standby(s) && replica_passes(s, query, limit.bytes), {}};
    default: return {false, {}};
  }
}

}  // namespace ha::agent::rest
