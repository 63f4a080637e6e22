#include "agent/rest/peer_probe.hpp"

#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/rest/conn_url.hpp"

namespace ha::agent::rest {

using nlohmann::json;

namespace {

void fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
}

std::uint64_t lsn_field(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_unsigned()) {
    if (it != object.end() && it->is_number_integer() && it->get<std::int64_t>() >= 0) {
      return it->get<std::uint64_t>();
    }
    return 0;
  }
  return it->get<std::uint64_t>();
}

void set_timeout(httplib::Client& client, Millis timeout) {
  const auto sec = static_cast<time_t>(timeout.count() / 1000);
  const auto usec = static_cast<time_t>((timeout.count() % 1000) * 1000);
  client.set_connection_timeout(sec, usec);
  client.set_read_timeout(sec, usec);
  client.set_write_timeout(sec, usec);
}

PeerStatus probe_one(const std::string& name, const std::string& api_url, Millis timeout) {
  PeerStatus unreachable;
  unreachable.name = name;
  const auto url = parse_http_url(api_url);
  if (!url || url->scheme != "http") return unreachable;
  httplib::Client client(url->address.host, url->address.port);
  // Connecting gets a third of the time, the answer the rest: together about `timeout`.
  const Millis connect = std::max(Millis{1}, timeout / 3);
  set_timeout(client, timeout - connect);
  client.set_connection_timeout(static_cast<time_t>(connect.count() / 1000),
                                static_cast<time_t>((connect.count() % 1000) * 1000));
  client.set_keep_alive(false);
  const auto res = client.Get(url->path.c_str());
  if (!res || res->status != 200) return unreachable;
  auto parsed = parse_peer_status(name, res->body);
  return parsed ? *parsed : unreachable;
}

}  // namespace

std::optional<PeerStatus> parse_peer_status(const std::string& name, std::string_view text,
                                            std::string* error) {
  json v;
  try {
    v = json::parse(text);
  } catch (const json::parse_error& e) {
    fail(error, std::string("not JSON: ") + e.what());
    return std::nullopt;
  }
  if (!v.is_object() || !v.contains("state") || !v["state"].is_string()) {
    fail(error, "not a member status document (no \"state\")");
    return std::nullopt;
  }
  if (const auto p = v.find("patroni"); p != v.end() && p->is_object()) {
    if (const auto n = p->find("name"); n != p->end() && n->is_string() && *n != name) {
      fail(error, "the API answered as member '" + n->get<std::string>() + "', not '" + name + "'");
      return std::nullopt;
    }
  }
  PeerStatus out;
  out.name = name;
  out.reachable = true;
  out.running = v["state"] == "running";
  if (const auto r = v.find("role"); r != v.end() && r->is_string()) {
    out.role = role_from_string(r->get<std::string>());
  }
  if (const auto x = v.find("xlog"); x != v.end() && x->is_object()) {
    if (out.role == PgRole::primary) {
      out.wal_position.value = lsn_field(*x, "location");
    } else {
      out.wal_position.value =
          std::max(lsn_field(*x, "received_location"), lsn_field(*x, "replayed_location"));
    }
  }
  if (const auto t = v.find("timeline"); t != v.end() && t->is_number_integer()) {
    out.timeline = t->get<std::int64_t>();
  }
  if (const auto t = v.find("tags"); t != v.end()) out.tags = tags_from_json(*t);
  if (const auto w = v.find("watchdog_failed"); w != v.end() && w->is_boolean()) {
    out.watchdog_failed = w->get<bool>();
  }
  return out;
}

std::vector<PeerStatus> probe_members(
    const std::vector<std::pair<std::string, std::string>>& members, Millis timeout) {
  std::vector<PeerStatus> out(members.size());
  std::vector<std::thread> threads;
  threads.reserve(members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    threads.emplace_back(
        [&, i] { out[i] = probe_one(members[i].first, members[i].second, timeout); });
  }
  for (auto& t : threads) t.join();
  return out;
}

}  // namespace ha::agent::rest
