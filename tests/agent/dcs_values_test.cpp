// The JSON of member, failover, sync, history and status values: Patroni's field names,
// round trips, lenient reading of optional fields, and the errors for unusable values.
#include "agent/dcs_values.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "agent/iso_time.hpp"

using namespace ha::agent;
using nlohmann::json;

TEST_CASE("member value: Patroni's field names, and a round trip") {
  Member m;
  m.name = "node2";
  m.role = PgRole::replica;
  m.state = "running";
  m.conn_url = "postgres://10.0.0.2:5432/postgres";
  m.api_url = "http://10.0.0.2:8008/patroni";
  m.timeline = 3;
  m.xlog_location = Lsn{50331744};
  m.receive_lsn = Lsn{50331744};
  m.replay_lsn = Lsn{50331700};
  m.lag = 44;
  m.replication_state = "streaming";
  m.tags.nofailover = true;
  m.tags.other["dc"] = "east";
  m.version = "0.1.0";
  m.pending_restart = true;
  m.pause = true;
  const json j = json::parse(encode_member(m));
  CHECK(j["pause"] == true);
  CHECK(j["conn_url"] == m.conn_url);
  CHECK(j["api_url"] == m.api_url);
  CHECK(j["role"] == "replica");
  CHECK(j["state"] == "running");
  CHECK(j["xlog_location"] == 50331744);
  CHECK(j["timeline"] == 3);
  CHECK(j["tags"] == json{{"nofailover", true}, {"dc", "east"}});
  CHECK(j["replication_state"] == "streaming");
  const auto back = decode_member("node2", encode_member(m));
  REQUIRE(back);
  CHECK(back->name == "node2");
  CHECK(back->xlog_location == m.xlog_location);
  CHECK(back->replay_lsn == m.replay_lsn);
  CHECK(back->lag == 44u);
  CHECK(back->tags == m.tags);
  CHECK(back->pending_restart);
  CHECK(back->pause);
  m.pause = false;
  CHECK_FALSE(json::parse(encode_member(m)).contains("pause"));
}

TEST_CASE("member value: what Patroni 3.0 writes is read (master, no receive/replay)") {
  const auto m = decode_member(
      "pg1", R"({"conn_url":"postgres://h:5432/postgres","api_url":"http://h:8008/patroni",)"
             R"("state":"running","role":"master","version":"3.0.2","xlog_location":67108864,)"
             R"("timeline":1,"tags":{"nofailover":"true","failover_priority":"3"}})");
  REQUIRE(m);
  CHECK(m->role == PgRole::primary);
  CHECK(m->xlog_location == Lsn{67108864});
  CHECK_FALSE(m->receive_lsn);
  CHECK(m->tags.nofailover);
  CHECK(m->tags.failover_priority == 3);
  std::string error;
  CHECK_FALSE(decode_member("x", "not json", &error));
  CHECK(error == "member value is not valid JSON");
  CHECK_FALSE(decode_member("x", "[1]", &error));
  CHECK(error == "member value is not a JSON object");
}

TEST_CASE("failover value: member is the candidate; scheduled_at needs a time zone") {
  FailoverRequest r{"node1", "node2", parse_iso_time("2026-05-01T10:05:00Z"), 0};
  const json j = json::parse(encode_failover(r));
  CHECK(j == json{{"leader", "node1"},
                  {"member", "node2"},
                  {"scheduled_at", "2026-05-01T10:05:00+00:00"}});
  const auto back = decode_failover(encode_failover(r));
  REQUIRE(back);
  CHECK(back->candidate == "node2");
  CHECK(back->scheduled_at == r.scheduled_at);
  const auto api = decode_failover(R"({"candidate":"node3"})");
  REQUIRE(api);
  CHECK(api->candidate == "node3");
  CHECK_FALSE(api->is_switchover());
  std::string error;
  CHECK_FALSE(decode_failover(R"({"leader":"a","scheduled_at":"2026-05-01T10:05:00"})", &error));
  CHECK(error ==
        "failover scheduled_at '2026-05-01T10:05:00' is not an ISO 8601 time with a time zone");
  CHECK_FALSE(decode_failover("{}", &error));
  CHECK(error == "failover value names neither a leader nor a member");
}

TEST_CASE("sync value: sync_standby as a comma-joined string, null when none") {
  CHECK(json::parse(encode_sync(SyncState{"node1", {"node2", "node3"}, 0})) ==
        json{{"leader", "node1"}, {"sync_standby", "node2,node3"}});
  CHECK(json::parse(encode_sync(SyncState{"node1", {}, 0}))["sync_standby"].is_null());
  const auto s = decode_sync(R"({"leader":"node1","sync_standby":"node2,node3"})");
  REQUIRE(s);
  CHECK(s->sync_standby == std::vector<std::string>{"node2", "node3"});
  CHECK(s->lists("node3"));
  CHECK_FALSE(s->lists("node1"));
  const auto l = decode_sync(R"({"leader":"node1","sync_standby":["node2"]})");
  REQUIRE(l);
  CHECK(l->sync_standby == std::vector<std::string>{"node2"});
  std::string error;
  CHECK_FALSE(decode_sync(R"({"leader":"a","sync_standby":7})", &error));
  CHECK(error == "sync_standby is neither a string nor a list");
}

TEST_CASE("history and status values") {
  const std::vector<HistoryEntry> h = {
      {1, Lsn{50331744}, "promoted", "2026-05-01T10:00:00+00:00", "node2"},
      {2, Lsn{83886080}, "switchover", "2026-05-02T10:00:00+00:00", "node1"}};
  CHECK(json::parse(encode_history(h))[0] ==
        json{1, 50331744, "promoted", "2026-05-01T10:00:00+00:00", "node2"});
  const auto back = decode_history(encode_history(h));
  REQUIRE(back);
  CHECK(*back == h);
  const auto old = decode_history(R"([[1, 25165984, "no recovery target specified"]])");
  REQUIRE(old);
  CHECK(old->at(0).lsn == Lsn{25165984});
  CHECK(old->at(0).new_leader.empty());
  std::string error;
  CHECK_FALSE(decode_history(R"([["x"]])", &error));
  CHECK_THAT(error, Catch::Matchers::Contains("is not [timeline, lsn, ...]"));

  CHECK(decode_status(encode_status(Lsn{123})) == Lsn{123});
  CHECK(decode_status(R"({"optime":"0/3000060"})") == Lsn{0x3000060});
  CHECK_FALSE(decode_status(R"({"slots":{}})", &error));
  CHECK(error == "status value has no optime");
}
