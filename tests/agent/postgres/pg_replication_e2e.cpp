// Replication with real PostgreSQL 15 servers: a clone with pg_basebackup that streams through
// its slot, synchronous_standby_names through ALTER SYSTEM, promotion to a new timeline, and
// the former primary — after writing on its own, diverged timeline — detected as forked,
// rewound with pg_rewind, and streaming from the new primary with the new primary's rows.
#include <catch2/catch.hpp>

#include "agent/postgres/admin_queries.hpp"
#include "agent/postgres/replication_commands.hpp"
#include "agent/postgres/status_queries.hpp"
#include "agent/postgres/timeline_history.hpp"
#include "tests/agent/postgres/pg_test_node.hpp"

using namespace ha::agent;
using namespace ha::agent::pg;
using namespace ha::test;

namespace {

// A primary with the test users, and a table `items`.
void start_primary(PgTestNode& primary) {
  primary.init();
  primary.start_as_primary();
  primary.create_users();
  primary.sql("CREATE TABLE items (id int PRIMARY KEY, origin text)");
}

void clone_replica(PgTestNode& replica, const PgTestNode& primary, const std::string& slot) {
  CloneOptions o;
  o.source_conninfo = primary.conninfo(kReplUser, "", replica.name());
  o.password = kReplPassword;
  o.slot = slot;
  o.timeout = Millis(120'000);
  auto cloned = replica.control().clone(o);
  INFO(cloned.message());
  REQUIRE(cloned.ok());
}

// The primary lists `name` as streaming in pg_stat_replication.
bool streams_to(const PgTestNode& primary, const std::string& name) {
  auto conn = primary.connect();
  if (!conn) return false;
  auto rows = query_replication(*conn);
  if (!rows) return false;
  for (const auto& r : *rows) {
    if (r.application_name == name && r.state == "streaming") return true;
  }
  return false;
}

bool has_row(const PgTestNode& node, int id) {
  auto conn = node.connect();
  if (!conn) return false;
  auto r = conn->query("SELECT origin FROM items WHERE id = $1", {std::to_string(id)});
  return r.ok() && r->rows.size() == 1;
}

std::string sync_state_of(const PgTestNode& primary, const std::string& name) {
  auto conn = primary.connect();
  if (!conn) return "";
  auto rows = query_replication(*conn);
  if (!rows) return "";
  for (const auto& r : *rows) {
    if (r.application_name == name) return r.sync_state;
  }
  return "";
}

}  // namespace

TEST_CASE("pg e2e: a clone streams through its slot and can be made synchronous", "[e2e]") {
  PgTestRoot root;
  PgTestNode primary(root, "primary");
  PgTestNode replica(root, "replica1");
  start_primary(primary);

  {
    auto conn = primary.must_connect();
    auto created = create_physical_slot(conn, "replica1");
    INFO(created.message());
    REQUIRE(created.ok());
    CHECK(*created);
    auto again = create_physical_slot(conn, "replica1");
    REQUIRE(again.ok());
    CHECK_FALSE(*again);
    auto bad = create_physical_slot(conn, "Bad-Name");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == PgErrorKind::kInvalid);
    auto slots = list_replication_slots(conn);
    REQUIRE(slots.ok());
    REQUIRE(slots->size() == 1);
    CHECK((*slots)[0].name == "replica1");
    CHECK((*slots)[0].type == "physical");
    CHECK_FALSE((*slots)[0].active);
    CHECK((*slots)[0].restart_lsn.has_value());  // reserved at creation
  }

  clone_replica(replica, primary, "replica1");
  CHECK(replica.control().data_dir_state() == DataDirState::kInitialized);
  CHECK_FALSE(data_file_exists(replica.data_dir(), "standby.signal"));  // no -R
  replica.start_as_standby_of(primary, "replica1");

  CHECK(wait_until([&] { return streams_to(primary, "replica1"); }, Millis(20'000)));
  {
    auto conn = primary.must_connect();
    auto slots = list_replication_slots(conn);
    REQUIRE(slots.ok());
    REQUIRE(slots->size() == 1);
    CHECK((*slots)[0].active);
  }

  primary.sql("INSERT INTO items VALUES (1, 'primary')");
  CHECK(wait_until([&] { return has_row(replica, 1); }, Millis(20'000)));

  auto rconn = replica.must_connect();
  auto status = query_server_status(rconn);
  INFO(status.message());
  REQUIRE(status.ok());
  CHECK(status->in_recovery);
  CHECK(status->timeline == 1);
  CHECK_FALSE(status->current_lsn);
  REQUIRE(status->receive_lsn);
  REQUIRE(status->replay_lsn);
  CHECK(status->wal_position() >= status->replay_lsn);
  auto receiver = query_wal_receiver(rconn);
  INFO(receiver.message());
  REQUIRE(receiver.ok());
  REQUIRE(receiver->has_value());
  CHECK((*receiver)->status == "streaming");
  CHECK((*receiver)->sender_port == primary.port());
  CHECK((*receiver)->sender_host == "127.0.0.1");
  CHECK((*receiver)->slot_name == "replica1");
  CHECK((*receiver)->received_tli == 1);
  CHECK_THAT((*receiver)->conninfo, !Catch::Contains(kReplPassword));
  auto cd = replica.control().controldata();
  REQUIRE(cd.ok());
  CHECK(cd->state == ClusterState::kInArchiveRecovery);
  auto writable = rconn.query("INSERT INTO items VALUES (2, 'replica')");
  REQUIRE_FALSE(writable.ok());
  CHECK(writable.error().sqlstate == "25006");  // read-only transaction

  // Synchronous replication through ALTER SYSTEM + reload, and back.
  {
    auto conn = primary.must_connect();
    REQUIRE(set_synchronous_standby_names(conn, "FIRST 1 (replica1)").ok());
    CHECK(wait_until([&] { return sync_state_of(primary, "replica1") == "sync"; }, Millis(10'000)));
    auto shown = query_setting(conn, "synchronous_standby_names");
    REQUIRE(shown.ok());
    CHECK(*shown == "FIRST 1 (replica1)");
    REQUIRE(conn.query("INSERT INTO items VALUES (3, 'sync')").ok());  // acknowledged
    REQUIRE(set_synchronous_standby_names(conn, "").ok());
    CHECK(
        wait_until([&] { return sync_state_of(primary, "replica1") == "async"; }, Millis(10'000)));
  }

  // An active slot cannot be dropped; once its standby is gone it can.
  {
    auto conn = primary.must_connect();
    auto busy = drop_replication_slot(conn, "replica1");
    REQUIRE_FALSE(busy.ok());
    CHECK(busy.error().kind == PgErrorKind::kQuery);
    CHECK_THAT(busy.error().message, Catch::Contains("replica1"));
    REQUIRE(replica.control().stop(StopMode::kFast, Millis(30'000)).ok());
    CHECK(wait_until(
        [&] {
          auto dropped = drop_replication_slot(conn, "replica1");
          return dropped.ok() && *dropped;
        },
        Millis(10'000)));
    auto gone = drop_replication_slot(conn, "replica1");
    REQUIRE(gone.ok());
    CHECK_FALSE(*gone);
  }
  auto rcd = replica.control().controldata();
  REQUIRE(rcd.ok());
  CHECK(rcd->state == ClusterState::kShutDownInRecovery);
}

TEST_CASE("pg e2e: promote a replica then rewind the diverged old primary to follow it", "[e2e]") {
  PgTestRoot root;
  PgTestNode a(root, "node_a");
  PgTestNode b(root, "node_b");
  start_primary(a);
  {
    auto conn = a.must_connect();
    REQUIRE(create_physical_slot(conn, "node_b").ok());
  }
  clone_replica(b, a, "node_b");
  b.start_as_standby_of(a, "node_b");
  a.sql("INSERT INTO items VALUES (1, 'before split')");
  CHECK(wait_until([&] { return has_row(b, 1); }, Millis(20'000)));

  // Promote B: timeline 1 -> 2, out of recovery, writable.
  auto promoted = b.control().promote(Millis(30'000));
  INFO(promoted.message());
  REQUIRE(promoted.ok());
  CHECK_FALSE(data_file_exists(b.data_dir(), "standby.signal"));
  {
    auto conn = b.must_connect();
    auto st = query_server_status(conn);
    REQUIRE(st.ok());
    CHECK_FALSE(st->in_recovery);
    CHECK(st->timeline == 2);
    // The new timeline reaches pg_control only with a checkpoint; pg_rewind reads it there.
    REQUIRE(checkpoint(conn, Millis(30'000)).ok());
    REQUIRE(conn.query("INSERT INTO items VALUES (10, 'new primary')").ok());
  }
  auto promote_again = b.control().promote(Millis(5000));
  REQUIRE_FALSE(promote_again.ok());
  CHECK(promote_again.error().kind == PgErrorKind::kState);

  // A goes on writing on timeline 1: the timelines fork.
  a.sql("INSERT INTO items SELECT g, 'old primary' FROM generate_series(100, 1100) g");
  REQUIRE(a.control().stop(StopMode::kFast, Millis(30'000)).ok());

  // The fork check, as the agent does it: A's pg_control against B's timeline history.
  auto a_control = a.control().controldata();
  REQUIRE(a_control.ok());
  CHECK(a_control->timeline == 1);
  ConnectOptions repl;
  repl.conninfo = b.conninfo(kReplUser, kReplPassword);
  repl.replication = true;
  auto rconn = PgConnection::open(repl);
  INFO(rconn.message());
  REQUIRE(rconn.ok());
  auto identity = identify_system(*rconn);
  INFO(identity.message());
  REQUIRE(identity.ok());
  CHECK(identity->timeline == 2);
  CHECK(identity->system_identifier == a_control->system_identifier);
  auto history = fetch_timeline_history(*rconn, identity->timeline);
  INFO(history.message());
  REQUIRE(history.ok());
  REQUIRE(history->size() == 1);
  CHECK((*history)[0].timeline == 1);
  const auto fork = check_fork(a_control->timeline, last_record_if_clean_primary(*a_control),
                               identity->timeline, *history);
  INFO(fork.reason);
  CHECK(fork.verdict == ForkVerdict::kForked);

  // Rewind A from B as the rewind user, then follow B.
  RewindOptions ro;
  ro.source_conninfo = b.conninfo(kRewindUser);
  ro.password = kRewindPassword;
  ro.timeout = Millis(120'000);
  auto rewound = a.control().rewind(ro);
  INFO(rewound.message());
  REQUIRE(rewound.ok());
  CHECK(rewound->rewound);
  CHECK_THAT(rewound->output, Catch::Contains("diverged"));
  {
    auto conn = b.must_connect();
    REQUIRE(create_physical_slot(conn, "node_a").ok());
  }
  a.start_as_standby_of(b, "node_a");
  CHECK(wait_until([&] { return streams_to(b, "node_a"); }, Millis(20'000)));
  b.sql("INSERT INTO items VALUES (11, 'after rejoin')");
  CHECK(wait_until([&] { return has_row(a, 11); }, Millis(20'000)));
  CHECK(has_row(a, 10));
  CHECK_FALSE(has_row(a, 100));  // the diverged rows are gone
  auto st = a.must_connect();
  auto a_status = query_server_status(st);
  REQUIRE(a_status.ok());
  CHECK(a_status->in_recovery);
  CHECK(a_status->timeline == 2);

  // Once following, A's WAL is a prefix of B's history again. (A checkpoint on B, replayed by
  // A, gives A a restartpoint on timeline 2 when it stops.)
  {
    auto conn = b.must_connect();
    REQUIRE(checkpoint(conn, Millis(30'000)).ok());
    auto target = query_current_wal_lsn(conn);
    REQUIRE(target.ok());
    REQUIRE(target->has_value());
    CHECK(wait_until(
        [&] {
          auto replayed = query_last_wal_replay_lsn(st);
          return replayed.ok() && replayed->has_value() && **replayed >= **target;
        },
        Millis(20'000)));
  }
  st.close();
  REQUIRE(a.control().stop(StopMode::kFast, Millis(30'000)).ok());
  auto again = a.control().controldata();
  REQUIRE(again.ok());
  CHECK(again->timeline == 2);
  auto second = a.control().rewind(ro);
  INFO(second.message());
  REQUIRE(second.ok());
  CHECK_FALSE(second->rewound);
}
