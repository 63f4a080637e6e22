// decide() when there is no leader: who races for the lock (healthiest WAL position, lag
// limit, nofailover, failover_priority, name tie-break, unreachable peers, a live primary).
#include "tests/agent/scenario.hpp"

using namespace ha::agent;
using namespace ha::agent::test;

TEST_CASE("no leader: asks the other members for their positions before racing") {
  Scenario s("node2");
  s.without_leader();
  expect(s, {"ProbeMembers(node3)", "UpdateMemberKey(node2)"},
         {"no leader", "asking node3 for their WAL positions"});
}

TEST_CASE("no leader: the healthiest replica takes the lock and promotes") {
  Scenario s("node2");
  s.without_leader();
  s.m("node3").xlog_location = Lsn{0x3000000};
  s.answers();
  expect(s, {"AcquireLeaderLock", "Promote", "UpdateMemberKey(node2)"},
         {"no leader; I am the healthiest (lsn 0/3000060); taking the lock"});
}

TEST_CASE("no leader: a more advanced replica elsewhere -> wait for it") {
  Scenario s("node2");
  s.without_leader();
  s.answers();
  s.answer("node3").wal_position = Lsn{0x3000100};
  expect(s, {"UpdateMemberKey(node2)"},
         {"not racing", "node3 is ahead (lsn 0/3000100 vs my 0/3000060)"});
}

TEST_CASE("no leader: lag beyond maximum_lag_on_failover -> do not race") {
  Scenario s("node2");
  s.without_leader();
  s.obs.dcs.last_leader_lsn = Lsn{kLsn.value + 2 * 1024 * 1024};
  expect(s, {"UpdateMemberKey(node2)"},
         {"not racing", "2 MiB behind the last leader position 0/3200060",
          "maximum_lag_on_failover 1 MiB"});
}

TEST_CASE("no leader: a nofailover replica never races, even as the only one") {
  Scenario s("node2");
  s.without_leader();
  s.obs.self.tags.nofailover = true;
  s.answers();
  s.answer("node3").running = false;
  expect(s, {"UpdateMemberKey(node2)"}, {"not racing: I am tagged nofailover"});
}

TEST_CASE("no leader: failover_priority breaks a tie in WAL position") {
  Scenario s("node2");
  s.without_leader();
  s.answers();
  s.answer("node3").tags.failover_priority = 2;
  expect(s, {"UpdateMemberKey(node2)"},
         {"node3 has the same lsn 0/3000060 and a higher failover_priority (2 > 1)"});

  Scenario t("node3");
  t.without_leader();
  t.obs.self.tags.failover_priority = 2;
  t.answers();
  expect(t, {"AcquireLeaderLock", "Promote", "UpdateMemberKey(node3)"},
         {"I am the healthiest (lsn 0/3000060)"});
}

TEST_CASE("no leader: WAL position beats failover_priority") {
  Scenario s("node2");
  s.without_leader();
  s.answers();
  s.answer("node3").tags.failover_priority = 9;
  s.answer("node3").wal_position = Lsn{0x3000000};
  expect(s, {"AcquireLeaderLock", "Promote", "UpdateMemberKey(node2)"}, {"I am the healthiest"});
}

TEST_CASE("no leader: all replicas equal -> the name that sorts first wins, deterministically") {
  Scenario first("node2");
  first.without_leader();
  first.answers();
  expect(first, {"AcquireLeaderLock", "Promote", "UpdateMemberKey(node2)"},
         {"I am the healthiest (lsn 0/3000060)"});

  Scenario second("node3");
  second.without_leader();
  second.answers();
  expect(second, {"UpdateMemberKey(node3)"},
         {"node2 has the same lsn 0/3000060 and failover_priority 1, and its name sorts first"});
}

TEST_CASE("no leader: a member whose API does not answer does not block the race (as Patroni)") {
  Scenario s("node3");
  s.without_leader();
  s.answers();
  s.answer("node2").reachable = false;  // its host may be the one that died
  expect(s, {"AcquireLeaderLock", "Promote", "UpdateMemberKey(node3)"},
         {"I am the healthiest (lsn 0/3000060; no answer from node2)"});
}

TEST_CASE("no leader: a member that still answers as a running primary blocks the race") {
  Scenario s("node2");
  s.without_leader();
  s.obs.dcs.members.push_back(make_member("node1", PgRole::primary, kLsn));
  s.answers();
  expect(s, {"UpdateMemberKey(node2)"}, {"node1 still answers as a running primary"});
}

TEST_CASE("no leader: a nofailover member ahead of me does not block me") {
  Scenario s("node2");
  s.without_leader();
  s.answers();
  s.answer("node3").wal_position = Lsn{0x3000100};
  s.answer("node3").tags.nofailover = true;
  expect(s, {"AcquireLeaderLock", "Promote", "UpdateMemberKey(node2)"}, {"I am the healthiest"});
}

TEST_CASE("no leader: a replica on an older timeline does not race (check_timeline)") {
  Scenario s("node2");
  s.without_leader();
  s.obs.dcs.history = {HistoryEntry{1, Lsn{0x2000000}, "promoted", "", "node1"}};
  expect(s, {"UpdateMemberKey(node2)"},
         {"my timeline 1 is behind the cluster's 2 (check_timeline)"});
}

TEST_CASE("no leader: watchdog required but unusable -> do not race") {
  Scenario s("node2");
  s.without_leader();
  s.obs.self.watchdog = WatchdogMode::required;
  s.obs.self.watchdog_usable = false;
  expect(s, {"UpdateMemberKey(node2)"}, {"watchdog mode is required"});
}

TEST_CASE("no leader: PostgreSQL stopped -> start it read-only without an upstream") {
  Scenario s("node2");
  s.without_leader();
  s.obs.pg.state = PgState::stopped;
  expect(s, {"StartAsReplica()", "UpdateMemberKey(node2)"}, {"without an upstream"});
}

TEST_CASE("no leader: a primary whose key expired takes it back") {
  Scenario s("node1");
  s.obs.dcs.leader.reset();
  expect(s, {"AcquireLeaderLock", "UpdateMemberKey(node1)"},
         {"no leader key, but I run as the primary (timeline 1, lsn 0/3000060)",
          "taking the lock back"});
}

TEST_CASE("no leader: a primary behind the cluster's timeline demotes instead") {
  Scenario s("node1");
  s.obs.dcs.leader.reset();
  s.obs.dcs.history = {HistoryEntry{1, Lsn{0x3000000}, "promoted", "", "node2"}};
  expect(s, {"Demote(immediate)", "UpdateMemberKey(node1)"},
         {"my timeline 1 is behind the cluster's 2"});
}

TEST_CASE("no leader: the loser of the race follows the winner on the next loop") {
  Scenario s("node3");
  s.without_leader();
  s.leader_is("node2");  // node2's create-if-absent won
  s.m("node2").role = PgRole::primary;
  expect(s, {"FollowNewLeader(node2)", "UpdateMemberKey(node3)"},
         {"leader changed from node1 to node2"});
}

TEST_CASE("decide() is a function of its input: the same observation, the same decision") {
  Scenario s("node2");
  s.without_leader();
  s.answers();
  const auto a = s.decide();
  const auto b = s.decide();
  CHECK(a.describe() == b.describe());
  CHECK(a.describe() ==
        "[AcquireLeaderLock, Promote, UpdateMemberKey(node2)] no leader; I am the healthiest (lsn "
        "0/3000060); taking the lock");
}
