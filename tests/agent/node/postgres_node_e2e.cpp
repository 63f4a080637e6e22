// PostgresNode against real PostgreSQL 15 servers: bootstrap, clone through the member's slot,
// synchronous standby names read back by observe(), failover to a new timeline, pg_rewind of
// the diverged former primary, a graceful demotion, and a kill -9 of the postmaster.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>

#include "agent/node/postgres_node.hpp"
#include "agent/postgres/admin_queries.hpp"
#include "agent/postgres/conninfo.hpp"
#include "tests/agent/postgres/pg_test_node.hpp"

using namespace ha::agent;
using namespace ha::test;
namespace pg = ha::agent::pg;

namespace {

constexpr const char* kSuperPassword = "super 'secret'";

// Runs programs for real and remembers what it ran.
class RecordingRunner final : public pg::CommandRunner {
 public:
  pg::ProcessResult run(const pg::ProcessSpec& spec) override {
    specs.push_back(spec);
    return real_.run(spec);
  }
  // The arguments of the last run of `program` (by its file name); empty when none.
  std::vector<std::string> last_args_of(const std::string& program) const {
    for (auto it = specs.rbegin(); it != specs.rend(); ++it) {
      const auto slash = it->program.rfind('/');
      if (it->program.substr(slash == std::string::npos ? 0 : slash + 1) == program) {
        return it->args;
      }
    }
    return {};
  }
  std::vector<pg::ProcessSpec> specs;

 private:
  pg::ProcessRunner real_;
};

bool has_arg_pair(const std::vector<std::string>& args, const std::string& a,
                  const std::string& b) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == a && args[i + 1] == b) return true;
  }
  return false;
}

// One member: its config and PostgresNode; the destructor stops whatever it left running.
struct TestMember {
  TestMember(const PgTestRoot& root, const std::string& name) {
    config.scope = "node-e2e";
    config.name = name;
    config.postgresql.data_dir = root.path() + "/" + name;
    config.postgresql.bin_dir = pg_bin_dir();
    port = free_port();
    config.postgresql.listen = HostPort{"127.0.0.1", port};
    config.postgresql.connect_address = HostPort{"127.0.0.1", port};
    config.postgresql.authentication.superuser = {kSuperuser, kSuperPassword};
    config.postgresql.authentication.replication = {kReplUser, kReplPassword};
    config.postgresql.authentication.rewind = Credentials{kRewindUser, kRewindPassword};
    config.postgresql.parameters = {{"fsync", false},
                                    {"max_connections", 30},
                                    {"shared_buffers", "16MB"},
                                    {"wal_keep_size", "64MB"},
                                    {"wal_receiver_status_interval", "1s"},
                                    {"wal_retrieve_retry_interval", "500ms"},
                                    {"unix_socket_directories", root.path()},
                                    {"log_min_messages", "warning"}};
    config.bootstrap.initdb = {"--locale=C", "--no-sync"};
    node = std::make_unique<PostgresNode>(config, runner, pg_run_as());
    DynamicConfig dynamic;
    dynamic.retry_timeout = Millis(3000);  // a shared 2-core machine
    node->set_dynamic_config(dynamic);
  }
  ~TestMember() {
    auto& control = node->control();
    if (control.status().state == pg::PostmasterState::kRunning &&
        !control.stop(pg::StopMode::kImmediate, Millis(10'000)).ok()) {
      (void)control.kill_postmaster(Millis(5000));
    }
  }

  std::string conn_url() const {
    return "postgres://127.0.0.1:" + std::to_string(port) + "/postgres";
  }

  LocalPostgres observe() {
    auto pg = node->observe(SteadyClock::now());
    UNSCOPED_INFO(config.name << " observed: " << to_string(pg.state) << " " << to_string(pg.role)
                              << " tl " << pg.timeline << " following '" << pg.following
                              << "' streaming " << pg.streaming
                              << " error: " << node->last_observe_error());
    return pg;
  }

  pg::PgConnection connect() const {
    pg::ConnParams p;
    p.host = "127.0.0.1";
    p.port = port;
    p.user = kSuperuser;
    p.password = kSuperPassword;
    p.dbname = "postgres";
    pg::ConnectOptions o;
    o.conninfo = pg::to_conninfo(p);
    o.connect_timeout = Millis(5000);
    o.statement_timeout = Millis(10'000);
    auto c = pg::PgConnection::open(o);
    INFO(c.message());
    REQUIRE(c.ok());
    return std::move(c).value();
  }

  pg::PgResult<pg::QueryResult> sql(const std::string& statement) const {
    auto c = connect();
    return c.query(statement);
  }

  bool has_slot(const std::string& name, bool must_be_active) const {
    auto c = connect();
    auto slots = pg::list_replication_slots(c);
    if (!slots) return false;
    for (const auto& s : *slots) {
      if (s.name == name) return !must_be_active || s.active;
    }
    return false;
  }

  RecordingRunner runner;
  AgentConfig config;
  std::uint16_t port = 0;
  std::unique_ptr<PostgresNode> node;
};

#define REQUIRE_OK(expr)                      \
  do {                                        \
    auto status_ = (expr);                    \
    INFO(#expr << ": " << status_.message()); \
    REQUIRE(status_.ok());                    \
  } while (false)

bool streams_from(TestMember& replica, const std::string& leader) {
  const auto pg = replica.observe();
  return pg.is_running_replica() && pg.streaming && pg.following == leader;
}

bool lists_streaming(TestMember& primary, const std::string& member) {
  const auto pg = primary.observe();
  const auto* row = pg.replication_of(member);
  return pg.is_running_primary() && row != nullptr && row->state == "streaming";
}

}  // namespace

TEST_CASE("node e2e: bootstrap, clone, sync standbys, failover, rewind, graceful demotion",
          "[e2e]") {
  PgTestRoot root;
  TestMember n1(root, "node1");
  TestMember n2(root, "node2");

  CHECK(n1.observe().data_dir_empty);
  REQUIRE_OK(n1.node->bootstrap());
  const auto p1 = n1.observe();
  CHECK_FALSE(p1.data_dir_empty);
  REQUIRE(p1.state == PgState::running);
  CHECK(p1.role == PgRole::primary);
  CHECK(p1.timeline == 1);
  CHECK_FALSE(p1.timeline_start.has_value());
  CHECK(p1.rewind_possible);
  CHECK_FALSE(p1.down_since.has_value());
  CHECK(p1.write_lsn.value > 0);
  REQUIRE_FALSE(p1.system_identifier.empty());
  {
    auto cd = n1.node->control().controldata();
    REQUIRE(cd.ok());
    CHECK(p1.system_identifier == std::to_string(cd->system_identifier));
  }
  CHECK(n1.node->facts().server_version_num / 10000 == 15);
  CHECK_FALSE(n1.node->facts().postmaster_start_time.empty());
  REQUIRE(n1.sql("CREATE TABLE items (id int PRIMARY KEY, origin text)").ok());
  REQUIRE(n1.sql("INSERT INTO items VALUES (1, 'node1')").ok());

  // The leader keeps the slots: one for node2 (none for itself).
  REQUIRE_OK(n1.node->sync_replication_slots({"node1", "node2"}));
  CHECK(n1.has_slot("node2", false));
  CHECK_FALSE(n1.has_slot("node1", false));
  // A slot of a member that left is dropped; other slots stay.
  REQUIRE(n1.sql("SELECT pg_create_physical_replication_slot('gone_member')").ok());
  REQUIRE_OK(n1.node->sync_replication_slots({"node1", "node2"}));
  CHECK_FALSE(n1.has_slot("gone_member", false));
  CHECK(n1.has_slot("node2", false));

  // Clone: a streaming replica following node1, listed by member name, through its slot.
  REQUIRE_OK(n2.node->clone_from("node1", n1.conn_url()));
  // pg_basebackup streamed through node2's slot, which the leader had made (not -C).
  const auto basebackup = n2.runner.last_args_of("pg_basebackup");
  CHECK(has_arg_pair(basebackup, "-S", "node2"));
  CHECK(std::find(basebackup.begin(), basebackup.end(), "-C") == basebackup.end());
  REQUIRE(wait_until([&] { return streams_from(n2, "node1"); }, Millis(30'000)));
  const auto p2 = n2.observe();
  CHECK(p2.system_identifier == p1.system_identifier);
  CHECK(p2.timeline == 1);
  CHECK(p2.replay_lsn.value > 0);
  CHECK(p2.wal_position() >= p2.replay_lsn);
  REQUIRE(wait_until([&] { return lists_streaming(n1, "node2"); }, Millis(30'000)));
  CHECK(n1.has_slot("node2", true));

  // Synchronous standby names round-trip through observe().
  REQUIRE_OK(n1.node->set_sync_standbys({"node2"}, 1, false));
  REQUIRE(wait_until(
      [&] {
        const auto pg = n1.observe();
        const auto* row = pg.replication_of("node2");
        return pg.synchronous_standby_names == std::vector<std::string>{"node2"} &&
               !pg.synchronous_strict_placeholder && row != nullptr && row->sync_state == "sync";
      },
      Millis(15'000)));
  REQUIRE(n1.sql("INSERT INTO items VALUES (2, 'node1, sync')").ok());
  REQUIRE_OK(n1.node->set_sync_standbys({}, 1, true));
  REQUIRE(wait_until(
      [&] {
        const auto pg = n1.observe();
        return pg.synchronous_standby_names.empty() && pg.synchronous_strict_placeholder;
      },
      Millis(15'000)));
  REQUIRE_OK(n1.node->set_sync_standbys({}, 0, false));
  REQUIRE(wait_until(
      [&] {
        const auto pg = n1.observe();
        return pg.synchronous_standby_names.empty() && !pg.synchronous_strict_placeholder;
      },
      Millis(15'000)));
  REQUIRE(wait_until(
      [&] {
        auto r = n2.sql("SELECT count(*) FROM items");
        return r.ok() && r->rows[0][0] == "2";
      },
      Millis(15'000)));

  // Failover: node1 stops at once, node2 is promoted onto timeline 2.
  REQUIRE_OK(n1.node->stop(pg::StopMode::kImmediate));
  {
    const auto stopped = n1.observe();
    CHECK(stopped.state == PgState::stopped);
    CHECK(stopped.role == PgRole::primary);  // "in production" in its control file
    CHECK(stopped.timeline == 1);
    CHECK(stopped.write_lsn.value > 0);
    CHECK_FALSE(stopped.down_since.has_value());  // stopped on purpose
  }
  REQUIRE_OK(n2.node->promote());
  const auto promoted = n2.observe();
  REQUIRE(promoted.is_running_primary());
  CHECK(promoted.timeline == 2);
  REQUIRE(promoted.timeline_start.has_value());
  CHECK(promoted.timeline_start->value > 0);
  CHECK(*promoted.timeline_start <= promoted.write_lsn);
  CHECK(promoted.following.empty());
  REQUIRE(n2.sql("INSERT INTO items VALUES (3, 'node2')").ok());

  // node1 comes back as a primary on its own and writes: its timeline 1 diverges.
  REQUIRE_OK(n1.node->restart());
  REQUIRE(n1.observe().is_running_primary());
  REQUIRE(n1.sql("INSERT INTO items VALUES (100, 'node1, diverged')").ok());
  // ... and then crashes: pg_rewind recovers the unclean data directory itself.
  REQUIRE_OK(n1.node->control().kill_postmaster(Millis(10'000)));
  CHECK(n1.observe().state == PgState::crashed);

  // pg_rewind from node2 (of the crashed node1): node1 streams from it on timeline 2 and lost its
  // diverged row.
  REQUIRE_OK(n2.node->sync_replication_slots({"node1", "node2"}));
  REQUIRE_OK(n1.node->rewind("node2", n2.conn_url()));
  REQUIRE(wait_until([&] { return streams_from(n1, "node2"); }, Millis(30'000)));
  CHECK(n1.observe().timeline == 2);
  REQUIRE(wait_until([&] { return lists_streaming(n2, "node1"); }, Millis(30'000)));
  CHECK(n2.has_slot("node1", true));
  REQUIRE(wait_until(
      [&] {
        auto r = n1.sql("SELECT string_agg(id::text, ',' ORDER BY id) FROM items");
        return r.ok() && r->rows[0][0] == "1,2,3";
      },
      Millis(15'000)));

  // Reinitialize: node1's data directory is replaced by a new clone of node2.
  CHECK_FALSE(n1.sql("CREATE TABLE on_a_replica (x int)").ok());  // read-only
  REQUIRE_OK(n1.node->reinitialize("node2", n2.conn_url()));
  REQUIRE(wait_until([&] { return streams_from(n1, "node2"); }, Millis(30'000)));
  CHECK(n1.observe().system_identifier == p1.system_identifier);
  CHECK(n1.observe().timeline == 2);

  // Graceful demotion of node2: read-only, without an upstream.
  REQUIRE_OK(n2.node->demote(DemoteMode::graceful));
  const auto demoted = n2.observe();
  CHECK(demoted.is_running_replica());
  CHECK(demoted.following.empty());
  CHECK_FALSE(demoted.streaming);
  auto write = n2.sql("INSERT INTO items VALUES (4, 'node2, demoted')");
  REQUIRE_FALSE(write.ok());
  CHECK(write.error().sqlstate == "25006");  // read_only_sql_transaction

  // node1 (which streamed everything node2 wrote, its shutdown checkpoint included) is
  // promoted; the running node2 is re-pointed at it by follow(): a reload, no restart.
  REQUIRE_OK(n1.node->promote());
  REQUIRE(n1.observe().is_running_primary());
  CHECK(n1.observe().timeline == 3);
  REQUIRE_OK(n1.node->sync_replication_slots({"node1", "node2"}));
  const auto start_before = n2.node->facts().postmaster_start_time;
  REQUIRE_OK(n2.node->follow("node1", n1.conn_url()));
  REQUIRE(wait_until([&] { return streams_from(n2, "node1"); }, Millis(30'000)));
  CHECK(n2.observe().timeline == 3);
  CHECK(n2.node->facts().postmaster_start_time == start_before);
  REQUIRE(wait_until([&] { return lists_streaming(n1, "node2"); }, Millis(30'000)));
}

TEST_CASE("node e2e: a killed postmaster shows as crashed and restart brings it back", "[e2e]") {
  PgTestRoot root;
  TestMember n1(root, "node1");
  REQUIRE_OK(n1.node->bootstrap());
  REQUIRE(n1.observe().is_running_primary());
  const auto pm = n1.node->control().status();
  REQUIRE(pm.pid_file.has_value());
  const int pid = pm.pid_file->pid;
  REQUIRE(::kill(pid, SIGKILL) == 0);
  REQUIRE(wait_until([&] { return !process_alive(pid); }, Millis(10'000)));

  const auto crashed = n1.observe();
  CHECK(crashed.state == PgState::crashed);
  CHECK(crashed.role == PgRole::primary);
  REQUIRE(crashed.down_since.has_value());
  CHECK(n1.observe().down_since == crashed.down_since);  // the first time it was seen down

  REQUIRE_OK(n1.node->restart());
  const auto back = n1.observe();
  CHECK(back.is_running_primary());
  CHECK(back.timeline == 1);
  CHECK_FALSE(back.down_since.has_value());
  CHECK(n1.sql("SELECT 1").ok());

  // A dynamic parameter that needs a restart: pending after reload(), applied by restart().
  DynamicConfig dynamic;
  dynamic.retry_timeout = Millis(3000);
  dynamic.postgresql.parameters = {{"max_wal_senders", 7}, {"work_mem", "5MB"}};
  n1.node->set_dynamic_config(dynamic);
  REQUIRE_OK(n1.node->reload());
  REQUIRE(wait_until([&] { return n1.observe().pending_restart; }, Millis(10'000)));
  {
    auto r = n1.sql("SELECT current_setting('work_mem')");
    REQUIRE(r.ok());
    CHECK(r->rows[0][0] == "5MB");  // applied by the reload
  }
  REQUIRE_OK(n1.node->restart());
  const auto restarted = n1.observe();
  CHECK(restarted.is_running_primary());
  CHECK_FALSE(restarted.pending_restart);
  auto senders = n1.sql("SELECT current_setting('max_wal_senders')");
  REQUIRE(senders.ok());
  CHECK(senders->rows[0][0] == "7");

  // stop(): stopped on purpose, so not "down".
  REQUIRE_OK(n1.node->stop(ha::agent::pg::StopMode::kFast));
  const auto stopped = n1.observe();
  CHECK(stopped.state == PgState::stopped);
  CHECK(stopped.role == PgRole::primary);
  CHECK_FALSE(stopped.down_since.has_value());
  CHECK_FALSE(stopped.system_identifier.empty());
}
