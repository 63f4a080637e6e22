// decide() in synchronous mode: only a listed synchronous standby may take the lock, and the
// leader keeps synchronous_standby_names and the /sync key in the safe order; strict mode.
#include "tests/agent/scenario.hpp"

using namespace ha::agent;
using namespace ha::agent::test;

TEST_CASE("sync: after a failure only the synchronous standby takes the lock") {
  Scenario s("node2");
  s.synchronous({"node2"}).without_leader();
  s.answers();
  expect(s,
         {"AcquireLeaderLock", "WriteSyncKey(node2: [])", "SetSyncStandbys(0 [])", "Promote",
          "UpdateMemberKey(node2)"},
         {"I am the healthiest"});
}

TEST_CASE("sync: an asynchronous replica refuses, even when it is ahead") {
  Scenario s("node3");
  s.synchronous({"node2"}).without_leader();
  s.obs.pg.receive_lsn = Lsn{0x3000100};
  s.answers();
  expect(s, {"UpdateMemberKey(node3)"},
         {"not racing: synchronous mode and I am not a synchronous standby (sync standbys: "
          "node2)"});
}

TEST_CASE("sync: the synchronous standby is not blocked by an asynchronous one ahead of it") {
  Scenario s("node2");
  s.synchronous({"node2"}).without_leader();
  s.answers();
  s.answer("node3").wal_position = Lsn{0x3000100};
  expect(s,
         {"AcquireLeaderLock", "WriteSyncKey(node2: [])", "SetSyncStandbys(0 [])", "Promote",
          "UpdateMemberKey(node2)"},
         {"I am the healthiest (lsn 0/3000060)"});
}

TEST_CASE("sync: without a sync key nobody is known synchronous, so nobody races") {
  Scenario s("node2");
  s.synchronous({}).without_leader();
  s.obs.dcs.sync.reset();
  expect(s, {"UpdateMemberKey(node2)"}, {"no member is known to be synchronous"});
}

TEST_CASE("sync, strict: the new leader starts with commits waiting for a standby") {
  Scenario s("node2");
  s.synchronous({"node2"}, true).without_leader();
  s.answers();
  expect(s,
         {"AcquireLeaderLock", "WriteSyncKey(node2: [])", "SetSyncStandbys(0 [] strict)", "Promote",
          "UpdateMemberKey(node2)"},
         {"taking the lock"});
}

TEST_CASE(
    "sync, leader: picks a standby in PostgreSQL first, lists it in the key only once "
    "synchronous") {
  Scenario s("node1");
  s.synchronous({});
  expect(s,
         {"RefreshLeaderLock(0/3000060)", "SetSyncStandbys(1 [node2])", "UpdateMemberKey(node1)"},
         {"synchronous standbys: node2 (sync key: none)"});

  Scenario t("node1");
  t.synchronous({});
  t.obs.pg.synchronous_standby_names = {"node2"};
  t.obs.pg.replication[0].sync_state = "sync";
  expect(t,
         {"RefreshLeaderLock(0/3000060)", "WriteSyncKey(node1: [node2])", "UpdateMemberKey(node1)"},
         {"synchronous standbys: node2"});
}

TEST_CASE("sync, leader: a standby that left is removed from the key before PostgreSQL") {
  Scenario s("node1");
  s.synchronous({"node2"});
  s.obs.pg.synchronous_standby_names = {"node2"};
  s.obs.pg.replication.erase(s.obs.pg.replication.begin());  // node2 disconnected
  const auto d = expect(s,
                        {"RefreshLeaderLock(0/3000060)", "WriteSyncKey(node1: [])",
                         "SetSyncStandbys(1 [node3])", "UpdateMemberKey(node1)"},
                        {"synchronous standbys: node3 (sync key: none)"});
  CHECK(d.find<WriteSyncKey>()->expected_revision == 55);
}

TEST_CASE("sync, leader: nosync members are never chosen; nothing left -> asynchronous") {
  Scenario s("node1");
  s.synchronous({});
  s.m("node2").tags.nosync = true;
  s.m("node3").tags.nosync = true;
  expect(s, {"RefreshLeaderLock(0/3000060)", "UpdateMemberKey(node1)"},
         {"running asynchronously", "no automatic failover until one is back"});
}

TEST_CASE("sync, leader, strict: no standby -> a placeholder makes commits wait") {
  Scenario s("node1");
  s.synchronous({}, true);
  s.obs.pg.replication.clear();
  expect(s,
         {"RefreshLeaderLock(0/3000060)", "SetSyncStandbys(0 [] strict)", "UpdateMemberKey(node1)"},
         {"strict synchronous mode", "commits wait"});
}

TEST_CASE("sync, leader: synchronous_node_count 2 keeps the current standby first") {
  Scenario s("node1");
  s.synchronous({"node3"});
  s.obs.dcs.config.synchronous_node_count = 2;
  s.obs.pg.synchronous_standby_names = {"node3"};
  s.obs.pg.replication[1].sync_state = "sync";
  s.obs.pg.replication[0].flush_lsn = Lsn{0x3000000};
  expect(s,
         {"RefreshLeaderLock(0/3000060)", "SetSyncStandbys(2 [node3,node2])",
          "UpdateMemberKey(node1)"},
         {"synchronous standbys: node3, node2 (sync key: node3)"});
}

TEST_CASE("sync off: leftovers are cleared from PostgreSQL and the DCS") {
  Scenario s("node1");
  s.synchronous({"node2"});
  s.obs.dcs.config.synchronous_mode = false;
  s.obs.pg.synchronous_standby_names = {"node2"};
  expect(s,
         {"RefreshLeaderLock(0/3000060)", "SetSyncStandbys(0 [])", "DeleteSyncKey",
          "UpdateMemberKey(node1)"},
         {"synchronous mode is off"});
}
