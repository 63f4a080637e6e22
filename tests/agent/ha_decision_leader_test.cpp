// decide() for a leader (refresh, fencing when the DCS is gone, a stolen lock) and for a
// replica following it (re-pointing, DCS outage, waiting for the leader's address).
#include "tests/agent/scenario.hpp"

using namespace ha::agent;
using namespace ha::agent::test;

TEST_CASE("leader: healthy, refreshes its lock with the current position") {
  Scenario s("node1");
  const auto d = expect(s, {"RefreshLeaderLock(0/3000060)", "UpdateMemberKey(node1)"},
                        {"I am the leader with the lock (lsn 0/3000060)"});
  CHECK_FALSE(d.recheck_in);
  const auto* key = d.find<UpdateMemberKey>();
  REQUIRE(key);
  CHECK(key->member.role == PgRole::primary);
  CHECK(key->member.xlog_location == kLsn);
}

TEST_CASE("leader: DCS unreachable within the lock budget keeps the primary") {
  Scenario s("node1");
  s.dcs_down_for(ms(1200)).refreshed_ago(ms(1500));
  const auto d = expect(
      s, {},
      {"DCS unreachable for 1.2 s", "last lock refresh 1.5 s ago", "1 s left", "staying primary"});
  REQUIRE(d.recheck_in);
  CHECK(*d.recheck_in == ms(1000));
}

TEST_CASE("leader: a silent DCS leader failure (2 s election) does not demote with the defaults") {
  // The last keep-alive was answered 250 ms before the DCS leader froze; 2 s later there is
  // still 0.25 s left, and the decision asks to be woken before the deadline.
  Scenario s("node1");
  s.dcs_down_for(ms(2000)).refreshed_ago(ms(2250));
  const auto d = expect(s, {}, {"0.25 s left", "staying primary"});
  REQUIRE(d.recheck_in);
  CHECK(*d.recheck_in == ms(250));
}

TEST_CASE("leader: DCS unreachable beyond the budget demotes before the lock can expire") {
  Scenario s("node1");
  s.dcs_down_for(ms(2400)).refreshed_ago(ms(2500));
  expect(s, {"Demote(offline)"},
         {"last lock refresh 2.5 s ago + safety margin 0.5 s >= ttl 3 s", "fencing"});
}

TEST_CASE("leader: the budget uses the lease's own TTL when the loop knows it") {
  Scenario s("node1");
  s.obs.memory.lock_ttl = ms(5000);
  s.dcs_down_for(ms(2400)).refreshed_ago(ms(2500));
  expect(s, {}, {"2 s left", "ttl 5 s"});
}

TEST_CASE("leader: DCS unreachable before any confirmed refresh demotes at once") {
  Scenario s("node1");
  s.obs.memory.last_lock_refresh.reset();
  s.dcs_down_for(ms(100));
  expect(s, {"Demote(offline)"}, {"never confirmed"});
}

TEST_CASE("leader: reads work but refreshes do not (cut-off DCS member) -> fencing") {
  Scenario s("node1");
  s.refreshed_ago(ms(2600));
  expect(s, {"Demote(offline)"}, {"lock not confirmed for 2.6 s", "fencing"});
}

TEST_CASE("leader: lock stolen (another member holds it) -> immediate demotion") {
  Scenario s("node1");
  s.leader_is("node2");
  expect(s, {"Demote(immediate)", "UpdateMemberKey(node1)"},
         {"held by node2", "demoting immediately"});
}

TEST_CASE("leader: holds the lock while PostgreSQL is a replica -> promote") {
  Scenario s("node2");
  s.leader_is("node2");
  expect(s, {"RefreshLeaderLock(0/3000060)", "Promote", "UpdateMemberKey(node2)"},
         {"runs as a replica; promoting"});
}

TEST_CASE("leader: writes the initialize key and the history entry of its promotion") {
  Scenario s("node1");
  s.obs.dcs.initialize = "";
  s.obs.pg.timeline = 2;
  s.obs.pg.timeline_start = Lsn{0x3000000};
  s.m("node1").timeline = 2;
  const auto d = expect(s,
                        {"RefreshLeaderLock(0/3000060)", "SetInitializeKey(7300000000000000001)",
                         "WriteHistory(1, 0/3000000)", "UpdateMemberKey(node1)"},
                        {"recording system identifier", "recording timeline 1"});
  const auto* h = d.find<WriteHistory>();
  REQUIRE(h);
  CHECK(h->entry.new_leader == "node1");
  CHECK(h->entry.timestamp == "2026-05-01T10:00:00+00:00");
}

TEST_CASE("replica: follows the leader it streams from") {
  Scenario s("node2");
  const auto d = expect(s, {"UpdateMemberKey(node2)"}, {"following the leader node1 (streaming)"});
  const auto* key = d.find<UpdateMemberKey>();
  REQUIRE(key);
  CHECK(key->member.replication_state == "streaming");
  CHECK(key->member.lag == 0u);
}

TEST_CASE("replica: leader changed -> re-point replication") {
  Scenario s("node2");
  s.leader_is("node3");
  expect(s, {"FollowNewLeader(node3)", "UpdateMemberKey(node2)"},
         {"leader changed from node1 to node3", "re-pointing"});
}

TEST_CASE("replica: DCS down -> stays a replica, never promotes") {
  Scenario s("node2");
  s.without_leader();  // even a vanished leader must not tempt it without the DCS
  s.dcs_down_for(ms(5000));
  expect(s, {}, {"DCS unreachable for 5 s", "staying a replica"});
}

TEST_CASE("replica: PostgreSQL stopped -> start it as a replica of the leader") {
  Scenario s("node2");
  s.obs.pg.state = PgState::stopped;
  s.obs.pg.streaming = false;
  expect(s, {"StartAsReplica(node1)", "UpdateMemberKey(node2)"},
         {"starting it as a replica of the leader node1"});
}

TEST_CASE("replica: the leader has not published its member key yet -> wait") {
  Scenario s("node2");
  s.leader_is("node4");
  expect(s, {"UpdateMemberKey(node2)"}, {"node4 has not published its address yet"});
}

TEST_CASE("fencing_deadline: last confirmed refresh + lock TTL - safety margin") {
  Scenario s("node1");
  s.refreshed_ago(ms(1000));
  REQUIRE(fencing_deadline(s.obs));
  CHECK(*fencing_deadline(s.obs) == s.now.steady + ms(1500));
  s.obs.self.safety_margin = ms(1000);
  s.obs.memory.lock_ttl = ms(10000);
  CHECK(*fencing_deadline(s.obs) == s.now.steady + ms(8000));
  s.obs.memory.last_lock_refresh.reset();
  CHECK_FALSE(fencing_deadline(s.obs));
}
