#include "agent/dcs_values.hpp"

#include <nlohmann/json.hpp>

#include "agent/iso_time.hpp"

namespace ha::agent {

namespace {

using nlohmann::json;

std::optional<json> parse(std::string_view text, const char* what, std::string* error) {
  json v = json::parse(text.begin(), text.end(), nullptr, false);
  if (v.is_discarded()) {
    if (error) *error = std::string(what) + " is not valid JSON";
    return std::nullopt;
  }
  return v;
}

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

// An LSN as Patroni writes it (a byte offset) or in PostgreSQL's "X/Y" text.
std::optional<Lsn> lsn_of(const json& v) {
  if (v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0)) {
    return Lsn{v.get<std::uint64_t>()};
  }
  if (v.is_string()) return parse_lsn(v.get<std::string>());
  return std::nullopt;
}

std::string string_of(const json& obj, const char* key) {
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t int_of(const json& obj, const char* key) {
  const auto it = obj.find(key);
  if (it == obj.end()) return 0;
  if (it->is_number_integer() || it->is_number_unsigned()) return it->get<std::int64_t>();
  if (it->is_string()) {
    try {
      return std::stoll(it->get<std::string>());
    } catch (const std::exception&) {
    }
  }
  return 0;
}

}  // namespace

std::string encode_member(const Member& m) {
  json v = {
      {"conn_url", m.conn_url}, {"api_url", m.api_url},
      {"state", m.state},       {"role", to_string(m.role)},
      {"version", m.version},   {"xlog_location", m.xlog_location.value},
      {"timeline", m.timeline}, {"tags", to_json(m.tags)},
  };
  if (m.receive_lsn) v["receive_lsn"] = m.receive_lsn->value;
  if (m.replay_lsn) v["replay_lsn"] = m.replay_lsn->value;
  if (m.lag) v["lag"] = *m.lag;
  if (!m.replication_state.empty()) v["replication_state"] = m.replication_state;
  if (m.pending_restart) v["pending_restart"] = true;
  if (m.pause) v["pause"] = true;
  return v.dump();
}

std::optional<Member> decode_member(const std::string& name, std::string_view text,
                                    std::string* error) {
  const auto v = parse(text, "member value", error);
  if (!v) return std::nullopt;
  if (!v->is_object()) {
    fail(error, "member value is not a JSON object");
    return std::nullopt;
  }
  Member m;
  m.name = name;
  m.conn_url = string_of(*v, "conn_url");
  m.api_url = string_of(*v, "api_url");
  m.state = string_of(*v, "state");
  m.role = role_from_string(string_of(*v, "role"));
  m.version = string_of(*v, "version");
  m.timeline = int_of(*v, "timeline");
  m.replication_state = string_of(*v, "replication_state");
  if (const auto it = v->find("xlog_location"); it != v->end()) {
    if (const auto lsn = lsn_of(*it)) m.xlog_location = *lsn;
  }
  if (const auto it = v->find("receive_lsn"); it != v->end()) m.receive_lsn = lsn_of(*it);
  if (const auto it = v->find("replay_lsn"); it != v->end()) m.replay_lsn = lsn_of(*it);
  if (const auto it = v->find("lag"); it != v->end() && it->is_number() && *it >= 0) {
    m.lag = it->get<std::uint64_t>();
  }
  if (const auto it = v->find("tags"); it != v->end()) m.tags = tags_from_json(*it);
  if (const auto it = v->find("pause"); it != v->end() && it->is_boolean()) {
    m.pause = it->get<bool>();
  }
  if (const auto it = v->find("pending_restart"); it != v->end() && it->is_boolean()) {
    m.pending_restart = it->get<bool>();
  }
  return m;
}

std::string encode_failover(const FailoverRequest& r) {
  json v = json::object();
  if (!r.leader.empty()) v["leader"] = r.leader;
  if (!r.candidate.empty()) v["member"] = r.candidate;
  if (r.scheduled_at) v["scheduled_at"] = format_iso_time(*r.scheduled_at);
  return v.dump();
}

std::optional<FailoverRequest> decode_failover(std::string_view text, std::string* error) {
  const auto v = parse(text, "failover value", error);
  if (!v) return std::nullopt;
  if (!v->is_object()) {
    fail(error, "failover value is not a JSON object");
    return std::nullopt;
  }
  FailoverRequest r;
  r.leader = string_of(*v, "leader");
  r.candidate = string_of(*v, "member");
  if (r.candidate.empty()) r.candidate = string_of(*v, "candidate");
  if (const auto it = v->find("scheduled_at"); it != v->end() && !it->is_null()) {
    if (!it->is_string()) {
      fail(error, "failover scheduled_at is not a string");
      return std::nullopt;
    }
    r.scheduled_at = parse_iso_time(it->get<std::string>());
    if (!r.scheduled_at) {
      fail(error, "failover scheduled_at '" + it->get<std::string>() +
                      "' is not an ISO 8601 time with a time zone");
      return std::nullopt;
    }
  }
  if (r.leader.empty() && r.candidate.empty()) {
    fail(error, "failover value names neither a leader nor a member");
    return std::nullopt;
  }
  return r;
}

std::string encode_sync(const SyncState& s) {
  json v = {{"leader", s.leader}};
  if (s.sync_standby.empty()) {
    v["sync_standby"] = nullptr;
  } else {
    std::string joined;
    for (const auto& n : s.sync_standby) joined += (joined.empty() ? "" : ",") + n;
    v["sync_standby"] = joined;
  }
  return v.dump();
}

std::optional<SyncState> decode_sync(std::string_view text, std::string* error) {
  const auto v = parse(text, "sync value", error);
  if (!v) return std::nullopt;
  if (!v->is_object()) {
    fail(error, "sync value is not a JSON object");
    return std::nullopt;
  }
  SyncState s;
  s.leader = string_of(*v, "leader");
  if (const auto it = v->find("sync_standby"); it != v->end()) {
    if (it->is_string()) {
      const std::string all = it->get<std::string>();
      std::size_t start = 0;
      while (start < all.size()) {
        const auto comma = all.find(',', start);
        const auto item =
            all.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!item.empty()) s.sync_standby.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (it->is_array()) {
      for (const auto& item : *it) {
        if (item.is_string()) s.sync_standby.push_back(item.get<std::string>());
      }
    } else if (!it->is_null()) {
      fail(error, "sync_standby is neither a string nor a list");
      return std::nullopt;
    }
  }
  return s;
}

std::string encode_history(const std::vector<HistoryEntry>& history) {
  json v = json::array();
  for (const auto& h : history) {
    v.push_back({h.timeline, h.lsn.value, h.reason, h.timestamp, h.new_leader});
  }
  return v.dump();
}

std::optional<std::vector<HistoryEntry>> decode_history(std::string_view text, std::string* error) {
  const auto v = parse(text, "history value", error);
  if (!v) return std::nullopt;
  if (!v->is_array()) {
    fail(error, "history value is not a JSON list");
    return std::nullopt;
  }
  std::vector<HistoryEntry> out;
  for (const auto& row : *v) {
    if (!row.is_array() || row.size() < 2 || !row[0].is_number_integer()) {
      fail(error, "history entry " + row.dump() + " is not [timeline, lsn, ...]");
      return std::nullopt;
    }
    HistoryEntry h;
    h.timeline = row[0].get<std::int64_t>();
    const auto lsn = lsn_of(row[1]);
    if (!lsn) {
      fail(error, "history entry " + row.dump() + " has no usable lsn");
      return std::nullopt;
    }
    h.lsn = *lsn;
    if (row.size() > 2 && row[2].is_string()) h.reason = row[2].get<std::string>();
    if (row.size() > 3 && row[3].is_string()) h.timestamp = row[3].get<std::string>();
    if (row.size() > 4 && row[4].is_string()) h.new_leader = row[4].get<std::string>();
    out.push_back(std::move(h));
  }
  return out;
}

std::string encode_status(Lsn last_leader_lsn) {
  return json{{"optime", last_leader_lsn.value}}.dump();
}

std::optional<Lsn> decode_status(std::string_view text, std::string* error) {
  const auto v = parse(text, "status value", error);
  if (!v) return std::nullopt;
  if (!v->is_object() || !v->contains("optime")) {
    fail(error, "status value has no optime");
    return std::nullopt;
  }
  const auto lsn = lsn_of((*v)["optime"]);
  if (!lsn) fail(error, "status optime is not a WAL position");
  return lsn;
}

}  // namespace ha::agent
