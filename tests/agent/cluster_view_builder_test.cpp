// build_cluster_view(): the DCS keys of a cluster as decide() sees them, including values that
// another member wrote badly.
#include <catch2/catch.hpp>

#include "agent/cluster_view_builder.hpp"
#include "agent/dcs_values.hpp"

using namespace ha::agent;

namespace {

std::string member_json(const std::string& name, PgRole role) {
  Member m;
  m.name = name;
  m.role = role;
  m.state = "running";
  m.conn_url = "postgres://127.0.0.1:5432/postgres";
  m.api_url = "http://127.0.0.1:8008/patroni";
  m.timeline = 2;
  m.xlog_location = Lsn{0x3000060};
  return encode_member(m);
}

}  // namespace

TEST_CASE("cluster view: every key lands where decide() looks for it") {
  FailoverRequest f;
  f.leader = "b";
  f.candidate = "a";
  SyncState sync;
  sync.leader = "b";
  sync.sync_standby = {"a"};
  std::vector<DcsKeyValue> kvs = {
      {"config", R"({"ttl": 5, "loop_wait": 2, "retry_timeout": 1})", 0, 4},
      {"failover", encode_failover(f), 0, 9},
      {"history", encode_history({HistoryEntry{1, Lsn{0x3000000}, "promoted", "", "b"}}), 0, 6},
      {"initialize", "7713875402781863911", 0, 2},
      {"leader", "b", 0x77, 8},
      {"members/b", member_json("b", PgRole::primary), 0x77, 10},
      {"members/a", member_json("a", PgRole::replica), 0x78, 11},
      {"status", encode_status(Lsn{0x3000100}), 0, 12},
      {"sync", encode_sync(sync), 0, 7},
  };
  std::vector<std::string> problems;
  const auto v = build_cluster_view(kvs, DynamicConfig{}, problems);
  CHECK(problems.empty());
  REQUIRE(v.leader);
  CHECK(v.leader->holder == "b");
  CHECK(v.leader->lease == 0x77);
  CHECK(v.leader->mod_revision == 8);
  REQUIRE(v.members.size() == 2);
  CHECK(v.members[0].name == "a");  // sorted by name
  CHECK(v.members[0].mod_revision == 11);
  CHECK(v.leader_member()->role == PgRole::primary);
  REQUIRE(v.failover);
  CHECK(v.failover->candidate == "a");
  CHECK(v.failover->mod_revision == 9);
  REQUIRE(v.sync);
  CHECK(v.sync->lists("a"));
  CHECK(v.sync->mod_revision == 7);
  CHECK(v.initialize == std::optional<std::string>("7713875402781863911"));
  CHECK(v.config.ttl == std::chrono::seconds(5));
  CHECK(v.config.loop_wait == Millis(2000));
  CHECK(v.last_leader_lsn == Lsn{0x3000100});
  CHECK(v.timeline_end(1) == Lsn{0x3000000});
  CHECK(v.cluster_timeline() == 2);
}

TEST_CASE("cluster view: bad values are skipped and named; a bad config keeps the last good one") {
  DynamicConfig last;
  last.ttl = std::chrono::seconds(7);
  std::vector<DcsKeyValue> kvs = {
      {"config", R"({"ttl": "soon"})", 0, 3},
      {"members/x", "not json", 0, 4},
      {"members/y", member_json("y", PgRole::replica), 0, 5},
      {"failover", "", 0, 6},
      {"status", "{}", 0, 7},
      {"leader", "", 0, 8},
  };
  std::vector<std::string> problems;
  const auto v = build_cluster_view(kvs, last, problems);
  CHECK(v.config.ttl == std::chrono::seconds(7));
  REQUIRE(v.members.size() == 1);
  CHECK(v.members[0].name == "y");
  CHECK_FALSE(v.failover);  // an empty value is a cleared request
  CHECK_FALSE(v.last_leader_lsn);
  CHECK_FALSE(v.leader);
  REQUIRE(problems.size() == 4);
  CHECK(problems[0].rfind("config: ", 0) == 0);
  CHECK(problems[1].rfind("members/x: ", 0) == 0);
  CHECK(problems[2].rfind("status: ", 0) == 0);
  CHECK(problems[3] == "leader: empty value");
}
