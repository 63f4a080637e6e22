// What goes wrong, reported as values with clear messages: a wrong bin_dir, a port already in
// use, a server that is not there or does not answer, statement and client deadlines, SQL
// errors, promoting a primary, and refusals to touch the data directory of a running server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "agent/postgres/status_queries.hpp"
#include "tests/agent/postgres/pg_test_node.hpp"

using namespace ha::agent::pg;
using namespace ha::test;
using Clock = std::chrono::steady_clock;

TEST_CASE("pg e2e: a wrong bin_dir names the path", "[e2e]") {
  PgTestRoot root;
  ProcessRunner runner;
  const std::string bad_bin = root.path() + "/no/such/bin";
  PgControl pg(PgControlOptions{bad_bin, root.path() + "/data", pg_run_as(), "", Millis(5000)},
               runner);
  auto init = pg.initdb({});
  REQUIRE_FALSE(init.ok());
  CHECK_THAT(init.error().message, Catch::Contains(bad_bin));
  CHECK_THAT(init.error().message, Catch::Contains("bin_dir"));

  // A bin_dir that exists but lacks the programs (say, the client-only package).
  PgControl empty_bin(
      PgControlOptions{root.path(), root.path() + "/data", pg_run_as(), "", Millis(5000)}, runner);
  auto ver = empty_bin.programs_major_version();
  REQUIRE_FALSE(ver.ok());
  CHECK_THAT(ver.error().message, Catch::Contains(root.path() + "/pg_ctl"));
}

TEST_CASE("pg e2e: a port in use makes start fail with the server's reason", "[e2e]") {
  PgTestRoot root;
  PgTestNode first(root, "first");
  PgTestNode second(root, "second");
  first.init();
  first.start_as_primary();
  second.init();
  second.set_port(first.port());
  REQUIRE(second.control().write_config(second.settings(), PgTestNode::hba()).ok());
  auto s = second.control().start(StartOptions{Millis(20'000), std::nullopt});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().kind == PgErrorKind::kCommand);
  CHECK_THAT(s.error().message, Catch::Contains("pg_ctl start"));
  CHECK_THAT(s.error().message, Catch::Contains("Address already in use"));
  CHECK_THAT(s.error().message, Catch::Contains(second.log_file()));
  CHECK(second.control().status().state != PostmasterState::kRunning);
  // The first server is untouched; a start of a running server is refused.
  CHECK(first.sql("SELECT 1") == std::vector<std::string>{"1"});
  auto twice = first.control().start({});
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().kind == PgErrorKind::kState);
  CHECK_THAT(twice.error().message, Catch::Contains("already running"));

  // -o -p overrides the port of the settings file for one start.
  const auto other = free_port();
  auto moved = second.control().start(StartOptions{Millis(20'000), other});
  INFO(moved.message());
  REQUIRE(moved.ok());
  REQUIRE(second.control().status().pid_file);
  CHECK(second.control().status().pid_file->port == other);

  // Refusals while running: rewind, remove, move aside, initdb, clone.
  auto rewind = first.control().rewind(RewindOptions{second.conninfo(), "", {}, Millis(5000)});
  REQUIRE_FALSE(rewind.ok());
  CHECK(rewind.error().kind == PgErrorKind::kState);
  CHECK_THAT(rewind.error().message, Catch::Contains("running"));
  CHECK(first.control().remove_data_dir().error().kind == PgErrorKind::kState);
  CHECK_FALSE(first.control().move_data_dir_aside("x").ok());
  CHECK(first.control().data_dir_state() == DataDirState::kInitialized);
  auto promote = first.control().promote(Millis(5000));
  REQUIRE_FALSE(promote.ok());
  CHECK(promote.error().kind == PgErrorKind::kState);
  CHECK_THAT(promote.error().message, Catch::Contains("not in standby mode"));
}

TEST_CASE("pg e2e: connection and query failures are values with clear messages", "[e2e]") {
  PgTestRoot root;
  PgTestNode node(root, "queries");

  // Nobody listens on the port yet.
  ConnectOptions o;
  o.conninfo = node.conninfo();
  o.connect_timeout = Millis(2000);
  auto refused = PgConnection::open(o);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == PgErrorKind::kConnection);
  CHECK_THAT(refused.error().message, Catch::Contains("Connection refused"));
  CHECK_THAT(refused.error().message, Catch::Contains(std::to_string(node.port())));

  // Something accepts TCP connections but never answers: the connect deadline holds.
  const int silent = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(silent >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  REQUIRE(::bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(silent, 8) == 0);
  REQUIRE(::getsockname(silent, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  o.conninfo = "host=127.0.0.1 port=" + std::to_string(ntohs(addr.sin_port)) + " user=postgres";
  o.connect_timeout = Millis(300);
  const auto start = Clock::now();
  auto hung = PgConnection::open(o);
  const auto took = Clock::now() - start;
  ::close(silent);
  REQUIRE_FALSE(hung.ok());
  CHECK(hung.error().kind == PgErrorKind::kTimeout);
  CHECK_THAT(hung.error().message, Catch::Contains("no answer within 0.3 s"));
  CHECK(took >= Millis(300));
  CHECK(took < Millis(1500));

  o.conninfo = "host=127.0.0.1 port=notaport";
  auto garbage = PgConnection::open(o);
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().kind == PgErrorKind::kConnection);

  node.init();
  node.start_as_primary();

  // The server cancels a statement at statement_timeout; the connection stays usable.
  auto conn_r = node.connect(Millis(200));
  REQUIRE(conn_r.ok());
  auto& conn = *conn_r;
  auto slow = conn.query("SELECT pg_sleep(5)");
  REQUIRE_FALSE(slow.ok());
  CHECK(slow.error().kind == PgErrorKind::kTimeout);
  CHECK(slow.error().sqlstate == "57014");
  CHECK_THAT(slow.error().message, Catch::Contains("statement timeout"));
  CHECK(conn.ok());
  auto one = conn.query("SELECT 1");
  REQUIRE(one.ok());
  CHECK(one->rows.at(0).at(0) == "1");

  // SQL errors carry the SQLSTATE and the statement.
  auto missing = conn.query("SELECT * FROM no_such_table");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == PgErrorKind::kQuery);
  CHECK(missing.error().sqlstate == "42P01");
  CHECK_THAT(missing.error().message, Catch::Contains("no_such_table"));
  CHECK(conn.ok());

  // The client deadline holds even when the server would wait longer; the connection is then
  // closed, and further calls say so instead of hanging.
  REQUIRE(conn.set_statement_timeout(Millis(10'000)).ok());
  const auto t0 = Clock::now();
  auto cut = conn.query("SELECT pg_sleep(5)", {}, Millis(300));
  CHECK(Clock::now() - t0 < Millis(2000));
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().kind == PgErrorKind::kTimeout);
  CHECK_THAT(cut.error().message, Catch::Contains("did not answer"));
  CHECK_FALSE(conn.ok());
  auto after = conn.query("SELECT 1");
  REQUIRE_FALSE(after.ok());
  CHECK(after.error().kind == PgErrorKind::kConnection);
  CHECK_THAT(after.error().message, Catch::Contains("reconnect"));

  // A server that goes away under an open connection.
  auto doomed = node.must_connect();
  REQUIRE(node.control().stop(StopMode::kImmediate, Millis(30'000)).ok());
  auto lost = query_is_in_recovery(doomed);
  REQUIRE_FALSE(lost.ok());
  CHECK(lost.error().kind == PgErrorKind::kConnection);
}
