// The pure helpers of agent/node: synchronous_standby_names written and read back, conn_url
// taken apart, and what the agent's config turns into (parameters, pg_hba defaults, the local
// connection).
#include "agent/node/node_settings.hpp"

#include <catch2/catch.hpp>

#include "agent/node/sync_standby_names.hpp"

using namespace ha::agent;
using namespace ha::agent::node;

TEST_CASE("sync standby names: rendered with quotes and parsed back", "[unit]") {
  const auto text = render_sync_standby_names({"node2", "Node \"3\""}, 1, false);
  CHECK(text == R"(FIRST 1 ("node2","Node ""3"""))");
  const auto back = parse_sync_standby_names(text);
  CHECK(back.names == std::vector<std::string>{"node2", "Node \"3\""});
  CHECK(back.count == 1);
  CHECK_FALSE(back.any);
  CHECK_FALSE(back.placeholder);

  // Not strict: the count never exceeds the names; strict: as asked.
  CHECK(render_sync_standby_names({"a"}, 3, false) == R"(FIRST 1 ("a"))");
  CHECK(render_sync_standby_names({"a"}, 3, true) == R"(FIRST 3 ("a"))");
  CHECK(render_sync_standby_names({"a", "b"}, 0, false) == R"(FIRST 1 ("a","b"))");
  CHECK(render_sync_standby_names({}, 1, false).empty());
}

TEST_CASE("sync standby names: the strict placeholder", "[unit]") {
  const auto text = render_sync_standby_names({}, 1, true);
  CHECK(text.find(kNoSyncStandbyPlaceholder) != std::string::npos);
  const auto back = parse_sync_standby_names(text);
  CHECK(back.names.empty());
  CHECK(back.placeholder);
}

TEST_CASE("sync standby names: PostgreSQL's other forms", "[unit]") {
  CHECK(parse_sync_standby_names("").names.empty());
  CHECK_FALSE(parse_sync_standby_names("").placeholder);
  auto bare = parse_sync_standby_names(" a , b ");
  CHECK(bare.names == std::vector<std::string>{"a", "b"});
  CHECK(bare.count == 1);
  auto any = parse_sync_standby_names("ANY 2 (a, \"b c\", d)");
  CHECK(any.any);
  CHECK(any.count == 2);
  CHECK(any.names == std::vector<std::string>{"a", "b c", "d"});
  auto old = parse_sync_standby_names("2 (x,y)");
  CHECK(old.count == 2);
  CHECK(old.names == std::vector<std::string>{"x", "y"});
  auto first = parse_sync_standby_names("first 1 (n1)");
  CHECK_FALSE(first.any);
  CHECK(first.names == std::vector<std::string>{"n1"});
  CHECK(parse_sync_standby_names("*").names == std::vector<std::string>{"*"});
}

TEST_CASE("conn_url: host and port", "[unit]") {
  auto a = parse_conn_url("postgres://10.0.0.5:5433/postgres");
  REQUIRE(a.ok());
  CHECK(a->host == "10.0.0.5");
  CHECK(a->port == 5433);
  auto b = parse_conn_url("postgresql://user:secret@[::1]:6000/db?sslmode=require");
  REQUIRE(b.ok());
  CHECK(b->host == "::1");
  CHECK(b->port == 6000);
  auto c = parse_conn_url("db1.example");
  REQUIRE(c.ok());
  CHECK(c->host == "db1.example");
  CHECK(c->port == 5432);
  auto d = parse_conn_url("postgres://db1:99999/x");
  REQUIRE_FALSE(d.ok());
  CHECK(d.message().find("bad port") != std::string::npos);
  CHECK_FALSE(parse_conn_url("postgres:///x").ok());
}

namespace {

AgentConfig sample_config() {
  AgentConfig c;
  c.scope = "demo";
  c.name = "node1";
  c.postgresql.data_dir = "/var/lib/ha/data";
  c.postgresql.listen = HostPort{"0.0.0.0", 5433};
  c.postgresql.authentication.superuser = {"postgres", "su"};
  c.postgresql.authentication.replication = {"replicator", "rep"};
  c.postgresql.authentication.rewind = Credentials{"rewind user", "rw"};
  c.postgresql.parameters = {{"max_connections", 50}, {"wal_log_hints", true}};
  c.bootstrap.initdb = {"--encoding=LATIN1", "--no-sync"};
  return c;
}

}  // namespace

TEST_CASE("node settings: parameters, listen, cluster name, standby", "[unit]") {
  auto config = sample_config();
  DynamicConfig dynamic;
  dynamic.postgresql.parameters = {{"max_connections", 100}, {"work_mem", "8MB"}};
  const auto params = merged_parameters(config, dynamic);
  CHECK(params.at("max_connections") == "50");  // the node's own wins
  CHECK(params.at("work_mem") == "8MB");
  CHECK(params.at("wal_log_hints") == "on");

  pg::StandbySettings st;
  st.primary_conninfo = "host=x";
  const auto s = server_settings(config, dynamic, st);
  CHECK(s.listen_addresses == "*");
  CHECK(s.port == 5433);
  CHECK(s.cluster_name == "demo");
  REQUIRE(s.standby.has_value());
  CHECK(s.standby->primary_conninfo == "host=x");
  CHECK_FALSE(server_settings(config, dynamic, std::nullopt).standby.has_value());
}

TEST_CASE("node settings: pg_hba defaults and connections", "[unit]") {
  auto config = sample_config();
  const auto lines = hba_lines(config);
  CHECK(std::find(lines.begin(), lines.end(), "host all postgres 127.0.0.1/32 scram-sha-256") !=
        lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "host replication replicator all scram-sha-256") !=
        lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "host all \"rewind user\" all scram-sha-256") !=
        lines.end());
  config.postgresql.pg_hba = {"host all all 0.0.0.0/0 md5"};
  CHECK(hba_lines(config) == config.postgresql.pg_hba);

  config.postgresql.authentication.superuser.password.clear();
  config.postgresql.pg_hba.clear();
  const auto trusting = hba_lines(config);
  CHECK(std::find(trusting.begin(), trusting.end(), "host all postgres 127.0.0.1/32 trust") !=
        trusting.end());

  const auto local = local_conn_params(sample_config(), 2);
  CHECK(local.host == "127.0.0.1");  // a wildcard listen is reached on loopback
  CHECK(local.port == 5433);
  CHECK(local.user == "postgres");
  CHECK(local.dbname == "postgres");

  const auto repl = replication_conn_params(sample_config(), UrlTarget{"10.0.0.2", 5432}, 3);
  CHECK(repl.application_name == "node1");
  CHECK(repl.user == "replicator");
  CHECK(repl.password == "rep");
  const auto rw = rewind_conn_params(sample_config(), UrlTarget{"10.0.0.2", 5432}, 3);
  CHECK(rw.user == "rewind user");
  CHECK(rw.dbname == "postgres");

  const auto initdb = initdb_options(sample_config());
  CHECK(initdb.encoding.empty());  // bootstrap.initdb names one
  CHECK(initdb.data_checksums);
  CHECK(initdb.superuser_password == "su");
}
