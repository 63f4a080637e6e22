// decide() over a node's life: bootstrap (the initialize race, clone), a crashed PostgreSQL on
// the leader (restart in place, give up the lock after master_start_timeout), and rejoining a
// new leader after a timeline fork (rewind, re-clone).
#include "tests/agent/scenario.hpp"

using namespace ha::agent;
using namespace ha::agent::test;

namespace {

// node1 was the primary on timeline 1 up to 0/3000100; node2 was promoted at 0/3000060 and
// leads on timeline 2; node1's PostgreSQL is stopped.
Scenario former_primary() {
  Scenario s("node1");
  s.leader_is("node2");
  s.m("node2").role = PgRole::primary;
  s.m("node2").timeline = 2;
  s.m("node1").role = PgRole::primary;
  s.obs.dcs.history = {HistoryEntry{1, kLsn, "promoted", "2026-05-01T09:59:00+00:00", "node2"}};
  s.obs.pg.state = PgState::stopped;
  s.obs.pg.write_lsn = Lsn{0x3000100};
  s.obs.pg.replication.clear();
  return s;
}

Scenario empty_node(const std::string& me) {
  Scenario s(me);
  s.obs.pg = LocalPostgres{};
  s.obs.pg.data_dir_empty = true;
  return s;
}

}  // namespace

TEST_CASE("rejoin: a former primary whose WAL went past the fork is rewound") {
  auto s = former_primary();
  expect(s, {"Rewind(node2)", "UpdateMemberKey(node1)"},
         {"timeline fork: my timeline 1 went on to 0/3000100, past 0/3000060",
          "rewinding from node2"});
}

TEST_CASE("rejoin: rewind impossible (no wal_log_hints or checksums) -> re-clone") {
  auto s = former_primary();
  s.obs.pg.rewind_possible = false;
  expect(s, {"Reinitialize(node2)", "UpdateMemberKey(node1)"},
         {"pg_rewind is not possible here", "re-cloning from node2"});
}

TEST_CASE("rejoin: pg_rewind failed before -> re-clone") {
  auto s = former_primary();
  s.obs.memory.rewind_failed = true;
  expect(s, {"Reinitialize(node2)", "UpdateMemberKey(node1)"}, {"pg_rewind failed"});
}

TEST_CASE("rejoin: rewind impossible and data removal not allowed -> no action, says what to do") {
  auto s = former_primary();
  s.obs.self.use_pg_rewind = false;
  s.obs.self.remove_data_directory_on_rewind_failure = false;
  expect(s, {"UpdateMemberKey(node1)"}, {"use_pg_rewind is off", "run hactl reinit"});
}

TEST_CASE("rejoin: WAL not past the fork point -> simply follow the new leader") {
  auto s = former_primary();
  s.obs.pg.write_lsn = kLsn;
  expect(s, {"StartAsReplica(node2)", "UpdateMemberKey(node1)"}, {"replica of the leader node2"});
}

TEST_CASE("rejoin: a former primary stopped uncleanly is rewound even if its checkpoint is before the fork") {
  // Its agent died and the fence guard stopped it: the control file only knows the last
  // checkpoint, and writes acknowledged after it may lie past the fork point.
  auto s = former_primary();
  s.obs.pg.role = PgRole::primary;
  s.obs.pg.write_lsn = Lsn{0x3000000};
  s.obs.pg.wal_end_unknown = true;
  expect(s, {"Rewind(node2)", "UpdateMemberKey(node1)"},
         {"stopped uncleanly, so my WAL may go past where node2's timeline 2 forked",
          "rewinding from node2"});
}

TEST_CASE("rejoin: a replica on the old timeline stopped uncleanly simply follows") {
  auto s = former_primary();
  s.m("node1").role = PgRole::replica;
  s.obs.pg.role = PgRole::replica;
  s.obs.pg.write_lsn = Lsn{0x3000000};
  s.obs.pg.wal_end_unknown = true;
  expect(s, {"StartAsReplica(node2)", "UpdateMemberKey(node1)"}, {"replica of the leader node2"});
}

TEST_CASE("rejoin: a replica still starting towards another upstream is re-pointed at the leader") {
  Scenario s("node1");
  s.leader_is("node2");
  s.obs.pg.state = PgState::starting;
  s.obs.pg.role = PgRole::unknown;
  s.obs.pg.following = "node3";
  expect(s, {"FollowNewLeader(node2)", "UpdateMemberKey(node1)"},
         {"starting as a replica of node3, but node2 leads now; re-pointing it"});
  s.obs.pg.following = "node2";
  expect(s, {"UpdateMemberKey(node1)"}, {"PostgreSQL is starting; following node2 once it settles"});
}

TEST_CASE("rejoin: after a failed pg_rewind a stopped node is re-cloned, never started") {
  auto s = former_primary();
  s.obs.pg.write_lsn = kLsn;  // looks as if no rewind were needed
  s.obs.memory.rewind_failed = true;
  expect(s, {"Reinitialize(node2)", "UpdateMemberKey(node1)"},
         {"the last pg_rewind failed, so my data directory cannot be trusted; re-cloning"});
  s.obs.self.remove_data_directory_on_rewind_failure = false;
  expect(s, {"UpdateMemberKey(node1)"}, {"not starting PostgreSQL; run hactl reinit"});
  // Without a leader it waits rather than starting a half-rewound server.
  auto t = former_primary();
  t.obs.memory.rewind_failed = true;
  t.obs.dcs.leader.reset();
  t.obs.dcs.failover.reset();
  expect(t, {"UpdateMemberKey(node1)"}, {"waiting for a leader to re-clone from"});
}

TEST_CASE("rejoin: a replica started without an upstream, still starting, is pointed at the leader") {
  Scenario s("node1");
  s.leader_is("node2");
  s.obs.pg.state = PgState::starting;
  s.obs.pg.role = PgRole::replica;
  s.obs.pg.following.clear();
  expect(s, {"FollowNewLeader(node2)", "UpdateMemberKey(node1)"},
         {"starting as a replica of no one, but node2 leads now"});
}

TEST_CASE("rejoin: fork point unknown (no history entry) -> rewind to be safe") {
  auto s = former_primary();
  s.obs.dcs.history.clear();
  expect(s, {"Rewind(node2)", "UpdateMemberKey(node1)"}, {"where it forked is unknown"});
}

TEST_CASE("rejoin: a running replica that cannot stream because it forked is rewound") {
  Scenario s("node3");
  s.leader_is("node2");
  s.m("node2").timeline = 2;
  s.obs.dcs.history = {HistoryEntry{1, Lsn{0x3000000}, "promoted", "", "node2"}};
  s.obs.pg.streaming = false;
  s.obs.pg.following = "node2";
  expect(s, {"Rewind(node2)", "UpdateMemberKey(node3)"}, {"timeline fork"});
}

TEST_CASE("leader crash: PostgreSQL crashed -> restart in place, keep the lock") {
  Scenario s("node1");
  s.obs.pg.state = PgState::crashed;
  s.obs.pg.down_since = s.now.steady - ms(400);
  const auto d =
      expect(s, {"RefreshLeaderLock(0/3000060)", "RestartPostgres", "UpdateMemberKey(node1)"},
             {"PostgreSQL crashed (0.4 s ago); restarting it in place", "master_start_timeout 30 s",
              "keeping the lock"});
  REQUIRE(d.recheck_in);
  CHECK(*d.recheck_in == ms(1000));
}

TEST_CASE("leader crash: crash recovery under way -> keep the lock and wait") {
  Scenario s("node1");
  s.obs.pg.state = PgState::starting;
  s.obs.pg.down_since = s.now.steady - ms(12000);
  expect(s, {"RefreshLeaderLock(0/3000060)", "UpdateMemberKey(node1)"},
         {"PostgreSQL is starting (down 12 s of master_start_timeout 30 s)"});
}

TEST_CASE("leader crash: down beyond master_start_timeout -> release the lock for a replica") {
  Scenario s("node1");
  s.obs.pg.state = PgState::start_failed;
  s.obs.pg.down_since = s.now.steady - ms(31000);
  expect(s, {"ReleaseLeaderLock", "UpdateMemberKey(node1)"},
         {"down 31 s, beyond master_start_timeout 30 s", "releasing the lock", "(node2)"});

  Scenario t("node1");
  t.obs.pg.state = PgState::starting;
  t.obs.pg.down_since = t.now.steady - ms(31000);
  expect(t, {"Demote(immediate)", "ReleaseLeaderLock", "UpdateMemberKey(node1)"},
         {"PostgreSQL is starting and has been down 31 s"});
}

TEST_CASE("leader crash: master_start_timeout 0 hands over at once") {
  Scenario s("node1");
  s.obs.dcs.config.master_start_timeout = ms(0);
  s.obs.pg.state = PgState::crashed;
  s.obs.pg.down_since = s.now.steady;
  expect(s, {"ReleaseLeaderLock", "UpdateMemberKey(node1)"}, {"beyond master_start_timeout 0 s"});
}

TEST_CASE("leader crash: beyond the timeout but no replica could take over -> keep trying") {
  Scenario s("node1");
  s.obs.pg.state = PgState::crashed;
  s.obs.pg.down_since = s.now.steady - ms(60000);
  s.m("node2").state = "stopped";
  s.m("node3").tags.nofailover = true;
  expect(s, {"RefreshLeaderLock(0/3000060)", "RestartPostgres", "UpdateMemberKey(node1)"},
         {"no replica could take over", "starting it again"});
}

TEST_CASE("bootstrap: no initialize key -> race for it") {
  auto s = empty_node("node1");
  s.obs.dcs = ClusterView{};
  expect(s, {"ClaimInitializeKey", "UpdateMemberKey(node1)"},
         {"no cluster yet (no initialize key); racing to bootstrap it"});
}

TEST_CASE("bootstrap: won the initialize key -> initdb") {
  auto s = empty_node("node1");
  s.obs.dcs = ClusterView{};
  s.obs.dcs.initialize = "";
  s.obs.memory.claimed_initialize = true;
  expect(s, {"Bootstrap", "UpdateMemberKey(node1)"}, {"won the initialize race", "initdb"});
}

TEST_CASE("bootstrap: after initdb the winner takes the lock and records the system identifier") {
  Scenario s("node1");
  s.obs.dcs.leader.reset();
  s.obs.dcs.initialize = "";
  s.obs.dcs.members.resize(1);
  s.obs.dcs.last_leader_lsn.reset();
  s.obs.memory.claimed_initialize = true;
  s.obs.memory.last_lock_refresh.reset();
  expect(s,
         {"AcquireLeaderLock", "SetInitializeKey(7300000000000000001)", "UpdateMemberKey(node1)"},
         {"bootstrapped a new cluster (system identifier 7300000000000000001); taking the lock"});
}

TEST_CASE("bootstrap: lost the race, no leader yet -> wait") {
  auto s = empty_node("node2");
  s.obs.dcs.leader.reset();
  s.obs.dcs.members.clear();
  s.obs.dcs.initialize = "";
  expect(s, {"UpdateMemberKey(node2)"}, {"another member is bootstrapping the cluster"});
}

TEST_CASE("bootstrap: lost the race, leader up -> clone from it (or from a clonefrom member)") {
  auto s = empty_node("node3");
  const auto d = expect(s, {"CloneFrom(node1)", "UpdateMemberKey(node3)"},
                        {"cloning from node1 (the leader)"});
  CHECK(d.find<CloneFrom>()->conn_url == "postgres://node1:5432/postgres");

  auto t = empty_node("node3");
  t.m("node2").tags.clonefrom = true;
  expect(t, {"CloneFrom(node2)", "UpdateMemberKey(node3)"}, {"cloning from node2 (clonefrom)"});
}

TEST_CASE("bootstrap: the member that bootstrapped long ago, its data directory empty again, clones") {
  // A rewind and a re-clone failed (the leader died meanwhile) and left the directory empty:
  // the cluster exists (the initialize key holds its system identifier), so no new initdb.
  auto s = empty_node("node1");
  s.obs.memory.claimed_initialize = true;
  s.obs.dcs.leader.reset();
  s.obs.dcs.initialize = "7300000000000000001";
  expect(s, {"UpdateMemberKey(node1)"}, {"the cluster has no running leader to clone from"});
  auto t = empty_node("node1");
  t.obs.memory.claimed_initialize = true;
  t.leader_is("node2");
  t.obs.dcs.initialize = "7300000000000000001";
  expect(t, {"CloneFrom(node2)", "UpdateMemberKey(node1)"}, {"cloning from node2 (the leader)"});
}

TEST_CASE("bootstrap: our initdb failed -> give the initialize key back") {
  auto s = empty_node("node1");
  s.obs.dcs = ClusterView{};
  s.obs.dcs.initialize = "";
  s.obs.memory.claimed_initialize = true;
  s.obs.memory.bootstrap_failed = true;
  expect(s, {"DeleteInitializeKey", "UpdateMemberKey(node1)"}, {"bootstrap failed"});
}

TEST_CASE("a data directory of another cluster -> refuse to act at all") {
  Scenario s("node2");
  s.obs.pg.system_identifier = "7399999999999999999";
  expect(s, {},
         {"system identifier 7399999999999999999 differs from the cluster's "
          "7300000000000000001",
          "refusing to act"});
}
