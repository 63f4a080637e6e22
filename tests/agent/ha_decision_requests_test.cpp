// decide() for requests: planned switchover (leader and candidate side, named or best,
// scheduled), manual failover, and pause (maintenance mode).
#include "tests/agent/scenario.hpp"

using namespace ha::agent;
using namespace ha::agent::test;

namespace {
const std::vector<std::string> kStepDown = {"RefreshLeaderLock(0/3000060)", "Demote(graceful)",
                                            "ReleaseLeaderLock(publish last lsn)",
                                            "UpdateMemberKey(node1)"};
}

TEST_CASE("switchover, leader side: to a named healthy candidate -> graceful demotion") {
  Scenario s("node1");
  s.request("node1", "node2");
  expect(s, kStepDown,
         {"switchover to node2 requested; node2 is streaming, 0 B behind", "demoting gracefully",
          "releasing the lock for node2"});
}

TEST_CASE("switchover, leader side: without a candidate the best replica is chosen") {
  Scenario s("node1");
  s.request("node1", "");
  s.obs.pg.replication[0].flush_lsn = Lsn{0x3000000};  // node2 is 96 bytes behind
  expect(s, kStepDown, {"node3 is streaming, 0 B behind, the best candidate", "for node3"});
}

TEST_CASE("switchover, leader side: a candidate that is not streaming is refused with the reason") {
  Scenario s("node1");
  s.request("node1", "node2");
  s.obs.pg.replication.erase(s.obs.pg.replication.begin());
  expect(s, {"RefreshLeaderLock(0/3000060)", "ClearFailoverKey", "UpdateMemberKey(node1)"},
         {"switchover to node2 refused: node2 is not streaming from me (replication state: "
          "none)",
          "clearing the request"});
}

TEST_CASE("switchover, leader side: a nofailover or lagging candidate is refused") {
  Scenario s("node1");
  s.request("node1", "node2");
  s.m("node2").tags.nofailover = true;
  expect(s, {"RefreshLeaderLock(0/3000060)", "ClearFailoverKey", "UpdateMemberKey(node1)"},
         {"refused: node2 is tagged nofailover"});

  Scenario t("node1");
  t.request("node1", "node3");
  t.obs.pg.write_lsn = Lsn{kLsn.value + 3 * 1024 * 1024};
  expect(t, {"RefreshLeaderLock(0/3300060)", "ClearFailoverKey", "UpdateMemberKey(node1)"},
         {"refused: node3 is 3 MiB behind (maximum_lag_on_failover 1 MiB)"});
}

TEST_CASE("switchover, leader side: no healthy replica at all -> refused, naming each problem") {
  Scenario s("node1");
  s.request("node1", "");
  s.obs.pg.replication.clear();
  s.m("node3").tags.nofailover = true;
  expect(s, {"RefreshLeaderLock(0/3000060)", "ClearFailoverKey", "UpdateMemberKey(node1)"},
         {"no replica is healthy enough", "node2 is not streaming from me",
          "node3 is tagged nofailover"});
}

TEST_CASE("switchover, leader side: scheduled in the future -> wait until then") {
  Scenario s("node1");
  s.request("node1", "node2");
  s.obs.dcs.failover->scheduled_at = *parse_iso_time("2026-05-01T10:05:00+00:00");
  const auto d = expect(s, {"RefreshLeaderLock(0/3000060)", "UpdateMemberKey(node1)"},
                        {"switchover to node2 scheduled at 2026-05-01T10:05:00+00:00 (in 300 s)"});
  REQUIRE(d.recheck_in);
  CHECK(*d.recheck_in == ms(1000));
}

TEST_CASE("switchover, leader side: at the scheduled time it steps down") {
  Scenario s("node1");
  s.request("node1", "node2");
  s.obs.dcs.failover->scheduled_at = *parse_iso_time("2026-05-01T11:59:59+02:00");
  expect(s, kStepDown, {"switchover to node2 requested"});
}

TEST_CASE("switchover, candidate side: the leader still holds the lock -> wait") {
  Scenario s("node2");
  s.request("node1", "node2");
  expect(s, {"UpdateMemberKey(node2)"},
         {"following the leader node1", "I am the switchover candidate"});
}

TEST_CASE("switchover, candidate side: lock released and everything replayed -> take it") {
  Scenario s("node2");
  s.without_leader();
  s.request("node1", "node2");
  expect(s, {"AcquireLeaderLock", "Promote", "ClearFailoverKey", "UpdateMemberKey(node2)"},
         {"switchover to me: replayed everything up to 0/3000060; taking the lock"});
}

TEST_CASE("switchover, candidate side: not yet replayed the leader's last position -> wait") {
  Scenario s("node2");
  s.without_leader();
  s.request("node1", "node2");
  s.obs.dcs.last_leader_lsn = Lsn{0x3000100};
  const auto d = expect(s, {"UpdateMemberKey(node2)"},
                        {"waiting to replay up to 0/3000100 (replayed 0/3000060)"});
  REQUIRE(d.recheck_in);
  CHECK(*d.recheck_in == ms(100));
}

TEST_CASE("switchover: other replicas wait for the named candidate while it answers") {
  Scenario s("node3");
  s.without_leader();
  s.request("node1", "node2");
  s.answers();
  expect(s, {"UpdateMemberKey(node3)"}, {"waiting for node2 to take the lock"});
}

TEST_CASE("switchover to the best: the former leader does not race") {
  Scenario s("node1");
  s.obs.dcs.leader.reset();
  s.obs.pg.role = PgRole::replica;  // restarted as a replica after its graceful demotion
  s.obs.pg.receive_lsn = kLsn;
  s.obs.pg.replay_lsn = kLsn;
  s.request("node1", "");
  expect(s, {"UpdateMemberKey(node1)"}, {"a switchover away from me is in progress; not racing"});
}

TEST_CASE("switchover: the new leader clears the completed request") {
  Scenario s("node2");
  s.leader_is("node2");
  s.obs.pg.role = PgRole::primary;
  s.obs.pg.write_lsn = kLsn;
  s.request("node1", "node2");
  expect(s, {"RefreshLeaderLock(0/3000060)", "ClearFailoverKey", "UpdateMemberKey(node2)"},
         {"the switchover to me is complete"});
}

TEST_CASE("switchover: a request naming another member as leader is cleared by the leader") {
  Scenario s("node1");
  s.request("node3", "node2");
  expect(s, {"RefreshLeaderLock(0/3000060)", "ClearFailoverKey", "UpdateMemberKey(node1)"},
         {"names node3 as the leader, but I am"});
}

TEST_CASE("failover: manual failover to me with no leader, even when not the healthiest") {
  Scenario s("node3");
  s.without_leader();
  s.request("", "node3");
  s.obs.pg.receive_lsn = Lsn{0x3000000};
  s.obs.pg.replay_lsn = Lsn{0x3000000};  // node2 is ahead
  expect(s, {"AcquireLeaderLock", "Promote", "ClearFailoverKey", "UpdateMemberKey(node3)"},
         {"manual failover to me with no leader (lsn 0/3000000)",
          "without the healthiest-member check"});
}

TEST_CASE("failover: to a nofailover candidate is refused, by the others and by itself") {
  Scenario s("node2");
  s.without_leader();
  s.request("", "node3");
  s.m("node3").tags.nofailover = true;
  expect(s, {"ClearFailoverKey", "UpdateMemberKey(node2)"},
         {"manual failover to node3 refused: node3 is tagged nofailover"});

  Scenario t("node3");
  t.without_leader();
  t.request("", "node3");
  t.obs.self.tags.nofailover = true;
  expect(t, {"ClearFailoverKey", "UpdateMemberKey(node3)"},
         {"manual failover to me refused: I am tagged nofailover"});
}

TEST_CASE("failover: to a member that does not exist is cleared") {
  Scenario s("node2");
  s.without_leader();
  s.request("", "node9");
  expect(s, {"ClearFailoverKey", "UpdateMemberKey(node2)"}, {"node9 is not a member"});
}

TEST_CASE("failover: a candidate that does not answer -> the others race normally") {
  Scenario s("node2");
  s.without_leader();
  s.request("", "node3");
  s.answers();
  s.answer("node3").reachable = false;
  expect(s, {"AcquireLeaderLock", "Promote", "ClearFailoverKey", "UpdateMemberKey(node2)"},
         {"the manual failover candidate node3 does not answer", "I am the healthiest"});
}

TEST_CASE("paused: the leader only refreshes its keys") {
  Scenario s("node1");
  s.obs.dcs.config.pause = true;
  expect(s, {"RefreshLeaderLock(0/3000060)", "UpdateMemberKey(node1)"},
         {"paused (maintenance mode): refreshing the lock only"});
}

TEST_CASE("paused: no leader -> still no automatic failover") {
  Scenario s("node2");
  s.without_leader();
  s.obs.dcs.config.pause = true;
  s.answers();
  expect(s, {"UpdateMemberKey(node2)"}, {"paused", "no automatic failover"});
}

TEST_CASE("paused: a primary without the lock is not demoted, a stopped one not started") {
  Scenario s("node1");
  s.obs.dcs.config.pause = true;
  s.leader_is("node2");
  expect(s, {"UpdateMemberKey(node1)"}, {"paused", "not demoting"});

  Scenario t("node3");
  t.obs.dcs.config.pause = true;
  t.obs.pg.state = PgState::stopped;
  expect(t, {"UpdateMemberKey(node3)"}, {"paused", "stays so"});
}

TEST_CASE("paused: a crashed leader is not restarted, the lock is kept") {
  Scenario s("node1");
  s.obs.dcs.config.pause = true;
  s.obs.pg.state = PgState::crashed;
  expect(s, {"RefreshLeaderLock(0/3000060)", "UpdateMemberKey(node1)"},
         {"paused", "PostgreSQL is crashed and stays so"});
}

TEST_CASE("paused: DCS unreachable does not demote (as Patroni)") {
  Scenario s("node1");
  s.obs.dcs.config.pause = true;
  s.dcs_down_for(ms(9000)).refreshed_ago(ms(9000));
  expect(s, {}, {"DCS unreachable for 9 s", "paused"});
}

TEST_CASE("paused: a manual failover to a named member still works") {
  Scenario s("node2");
  s.without_leader();
  s.obs.dcs.config.pause = true;
  s.request("", "node2");
  expect(s, {"AcquireLeaderLock", "Promote", "ClearFailoverKey", "UpdateMemberKey(node2)"},
         {"manual failover to me"});
}

TEST_CASE("paused: a switchover needs a named candidate") {
  Scenario s("node1");
  s.obs.dcs.config.pause = true;
  s.request("node1", "");
  expect(s, {"RefreshLeaderLock(0/3000060)", "ClearFailoverKey", "UpdateMemberKey(node1)"},
         {"needs a named candidate"});
  Scenario t("node1");
  t.obs.dcs.config.pause = true;
  t.request("node1", "node2");
  expect(t, kStepDown, {"switchover to node2 requested"});
}
