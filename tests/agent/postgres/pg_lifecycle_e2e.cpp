// One real PostgreSQL 15 server through PgControl and the queries: initdb, start, what it
// reports (role, timeline, WAL positions, users), the stop modes and what they leave in
// pg_control, and a kill -9 of the postmaster: detected as a crash, then recovered by a start.
#include <signal.h>

#include <catch2/catch.hpp>

#include "agent/postgres/admin_queries.hpp"
#include "agent/postgres/status_queries.hpp"
#include "tests/agent/postgres/pg_test_node.hpp"

using namespace ha::agent;
using namespace ha::agent::pg;
using namespace ha::test;

TEST_CASE("pg e2e: initdb then start and query a primary then stop it", "[e2e]") {
  PgTestRoot root;
  PgTestNode node(root, "solo");
  CHECK(node.control().data_dir_state() == DataDirState::kMissing);
  node.init();
  CHECK(node.control().data_dir_state() == DataDirState::kInitialized);
  auto programs = node.control().programs_major_version();
  REQUIRE(programs.ok());
  CHECK(*programs == 15);

  auto before = node.control().controldata();
  REQUIRE(before.ok());
  CHECK(before->state == ClusterState::kShutDown);
  CHECK(before->checksum_version == 1);
  CHECK(before->timeline == 1);

  node.start_as_primary();
  CHECK(node.control().status().state == PostmasterState::kRunning);
  auto pg_ctl_says = node.control().pg_ctl_status();
  REQUIRE(pg_ctl_says.ok());
  CHECK(*pg_ctl_says);
  const auto pid_file = node.control().status().pid_file;
  REQUIRE(pid_file);
  CHECK(pid_file->port == node.port());
  CHECK(pid_file->status == "ready");

  auto conn = node.must_connect();
  CHECK(conn.server_version() >= 150000);
  auto status = query_server_status(conn);
  INFO(status.message());
  REQUIRE(status.ok());
  CHECK_FALSE(status->in_recovery);
  CHECK(status->timeline == 1);
  REQUIRE(status->current_lsn);
  CHECK_FALSE(status->receive_lsn);
  CHECK_FALSE(status->replay_lsn);
  CHECK(status->wal_position() == status->current_lsn);
  CHECK(status->server_version_num / 10000 == 15);
  CHECK(status->system_identifier == before->system_identifier);
  CHECK_FALSE(status->postmaster_start_time.empty());
  CHECK(status->postmaster_start_epoch > 1.6e9);

  auto recovery = query_is_in_recovery(conn);
  REQUIRE(recovery.ok());
  CHECK_FALSE(*recovery);
  auto tli = query_timeline(conn);
  REQUIRE(tli.ok());
  CHECK(*tli == 1);
  auto receive = query_last_wal_receive_lsn(conn);
  REQUIRE(receive.ok());
  CHECK_FALSE(receive->has_value());

  // Writing moves the WAL position forward.
  REQUIRE(conn.query("CREATE TABLE t (id int)").ok());
  REQUIRE(conn.query("INSERT INTO t SELECT generate_series(1, 1000)").ok());
  auto after = query_current_wal_lsn(conn);
  REQUIRE(after.ok());
  REQUIRE(after->has_value());
  CHECK(**after > *status->current_lsn);

  auto hints = query_setting(conn, "wal_log_hints");
  REQUIRE(hints.ok());
  CHECK(*hints == "on");
  auto pending = query_pending_restart(conn);
  REQUIRE(pending.ok());
  CHECK(pending->empty());
  auto replication = query_replication(conn);
  REQUIRE(replication.ok());
  CHECK(replication->empty());
  auto receiver = query_wal_receiver(conn);
  REQUIRE(receiver.ok());
  CHECK_FALSE(receiver->has_value());
  auto started = query_postmaster_start_time(conn);
  REQUIRE(started.ok());
  CHECK(*started == status->postmaster_start_time);

  // Users: created with hashed passwords, usable for logins; a second run updates them.
  node.create_users();
  node.create_users();
  auto roles = node.sql(
      "SELECT rolname || ':' || rolreplication || ':' || (rolpassword LIKE 'SCRAM-SHA-256$%') "
      "FROM pg_authid WHERE rolname IN ('replicator', 'rewinder') ORDER BY 1");
  CHECK(roles == std::vector<std::string>{"replicator:true:true", "rewinder:false:true"});
  ConnectOptions as_rewinder;
  as_rewinder.conninfo = node.conninfo(kRewindUser, kRewindPassword);
  auto rewinder = PgConnection::open(as_rewinder);
  INFO(rewinder.message());
  REQUIRE(rewinder.ok());
  as_rewinder.conninfo = node.conninfo(kRewindUser, "wrong");
  auto refused = PgConnection::open(as_rewinder);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == PgErrorKind::kConnection);
  CHECK_THAT(refused.error().message, Catch::Contains("password authentication failed"));

  // A setting that needs a restart shows up as pending.
  REQUIRE(conn.query("ALTER SYSTEM SET max_connections = 40").ok());
  REQUIRE(reload_config(conn).ok());
  CHECK(wait_until(
      [&] {
        auto p = query_pending_restart(conn);
        return p.ok() && p->size() == 1 && (*p)[0].name == "max_connections";
      },
      Millis(5000)));
  REQUIRE(conn.query("ALTER SYSTEM RESET max_connections").ok());

  conn.close();
  auto stopped = node.control().stop(StopMode::kFast, Millis(30'000));
  INFO(stopped.message());
  REQUIRE(stopped.ok());
  CHECK(node.control().status().state == PostmasterState::kStopped);
  auto cd = node.control().controldata();
  REQUIRE(cd.ok());
  CHECK(cd->state == ClusterState::kShutDown);
  CHECK(cd->checkpoint_lsn >= **after);
  auto not_running = node.control().pg_ctl_status();
  REQUIRE(not_running.ok());
  CHECK_FALSE(*not_running);
}

TEST_CASE("pg e2e: stop modes - smart waits for sessions - fast is clean - immediate is not",
          "[e2e]") {
  PgTestRoot root;
  PgTestNode node(root, "stops");
  node.init();
  node.start_as_primary();

  {
    // An open session keeps a smart shutdown waiting until its deadline.
    auto session = node.must_connect();
    auto smart = node.control().stop(StopMode::kSmart, Millis(2000));
    REQUIRE_FALSE(smart.ok());
    CHECK(smart.error().kind == PgErrorKind::kTimeout);
    CHECK_THAT(smart.error().message, Catch::Contains("pg_ctl stop -m smart"));
    CHECK(node.control().status().state == PostmasterState::kRunning);
    // A fast stop ends it anyway.
    auto fast = node.control().stop(StopMode::kFast, Millis(30'000));
    INFO(fast.message());
    REQUIRE(fast.ok());
  }
  CHECK(node.control().status().state == PostmasterState::kStopped);
  auto clean = node.control().controldata();
  REQUIRE(clean.ok());
  CHECK(clean->state == ClusterState::kShutDown);

  // Smart with nobody connected is a clean stop too.
  node.start_as_primary();
  REQUIRE(node.control().stop(StopMode::kSmart, Millis(30'000)).ok());
  CHECK(node.control().status().state == PostmasterState::kStopped);

  // Immediate: no shutdown checkpoint, so pg_control still says "in production".
  node.start_as_primary();
  node.sql("CREATE TABLE kept AS SELECT 1 AS x");
  auto immediate = node.control().stop(StopMode::kImmediate, Millis(30'000));
  INFO(immediate.message());
  REQUIRE(immediate.ok());
  CHECK(node.control().status().state == PostmasterState::kStopped);
  auto unclean = node.control().controldata();
  REQUIRE(unclean.ok());
  CHECK(unclean->state == ClusterState::kInProduction);
  CHECK_FALSE(unclean->cleanly_shut_down());

  // The next start recovers; restart and reload work on the running server.
  node.start_as_primary();
  CHECK(node.sql("SELECT x FROM kept") == std::vector<std::string>{"1"});
  const int first_pid = node.postmaster_pid();
  auto restarted = node.control().restart(StopMode::kFast, StartOptions{Millis(30'000), {}});
  INFO(restarted.message());
  REQUIRE(restarted.ok());
  CHECK(node.postmaster_pid() != first_pid);
  CHECK(node.control().reload().ok());
  REQUIRE(node.control().stop(StopMode::kFast, Millis(30'000)).ok());
}

TEST_CASE("pg e2e: kill -9 of the postmaster is seen as a crash - start recovers", "[e2e]") {
  PgTestRoot root;
  PgTestNode node(root, "crashy");
  node.init();
  node.start_as_primary();
  node.sql("CREATE TABLE survivors AS SELECT generate_series(1, 100) AS id");
  const int pid = node.postmaster_pid();
  REQUIRE(pid > 0);
  const auto children = node.postmaster_children();
  CHECK_FALSE(children.empty());

  REQUIRE(::kill(pid, SIGKILL) == 0);
  CHECK(wait_until([&] { return node.control().status().state == PostmasterState::kCrashed; },
                   Millis(5000)));
  const auto st = node.control().status();
  CHECK(st.state == PostmasterState::kCrashed);
  REQUIRE(st.pid_file);
  CHECK(st.pid_file->pid == pid);
  // (pg_ctl status is not asked here: it calls a killed postmaster that init has not reaped
  // yet "running", and how fast init reaps differs between machines.)
  auto cd = node.control().controldata();
  REQUIRE(cd.ok());
  CHECK(cd->state == ClusterState::kInProduction);
  // Stopping a crashed server is a no-op, not an error.
  CHECK(node.control().stop(StopMode::kFast, Millis(5000)).ok());

  // The start waits for the dead postmaster's children, then runs crash recovery.
  auto started = node.control().start(StartOptions{Millis(30'000), std::nullopt});
  INFO(started.message());
  REQUIRE(started.ok());
  CHECK(node.control().status().state == PostmasterState::kRunning);
  CHECK(node.postmaster_pid() != pid);
  CHECK(node.sql("SELECT count(*) FROM survivors") == std::vector<std::string>{"100"});
  for (int child : children) {
    CHECK_FALSE(process_alive(child));  // none of the old children is left
  }
}
