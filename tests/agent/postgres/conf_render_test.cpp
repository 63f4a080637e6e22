// Rendering of the agent's settings files and connection strings: defaults, overrides, the
// agent's own settings winning, quoting, and refusals of what would break the files.
#include <catch2/catch.hpp>

#include "agent/postgres/admin_queries.hpp"
#include "agent/postgres/conninfo.hpp"
#include "agent/postgres/hba_conf.hpp"
#include "agent/postgres/server_conf.hpp"

using namespace ha::agent::pg;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("ha conf: defaults for replication and rewind", "[conf]") {
  ServerSettings s;
  s.listen_addresses = "127.0.0.1";
  s.port = 5433;
  auto text = render_ha_conf(s);
  REQUIRE(text.ok());
  CHECK_THAT(*text, Catch::Contains("wal_level = 'replica'\n"));
  CHECK_THAT(*text, Catch::Contains("hot_standby = 'on'\n"));
  CHECK_THAT(*text, Catch::Contains("max_wal_senders = '10'\n"));
  CHECK_THAT(*text, Catch::Contains("max_replication_slots = '10'\n"));
  CHECK_THAT(*text, Catch::Contains("wal_keep_size = '128MB'\n"));
  CHECK_THAT(*text, Catch::Contains("wal_log_hints = 'on'\n"));
  CHECK_THAT(*text, Catch::Contains("listen_addresses = '127.0.0.1'\n"));
  CHECK_THAT(*text, Catch::Contains("port = '5433'\n"));
  // A primary carries empty recovery settings, so a former standby's do not linger.
  CHECK_THAT(*text, Catch::Contains("primary_conninfo = ''\n"));
  CHECK_THAT(*text, !Catch::Contains("recovery_target_timeline"));
  CHECK_THAT(*text, Catch::Contains("wal_retrieve_retry_interval = '1s'\n"));
  CHECK_THAT(*text, Catch::Contains("recovery_init_sync_method = 'syncfs'\n"));
  // A server older than 14 does not know recovery_init_sync_method and would refuse to start.
  s.major_version = 13;
  auto old = render_ha_conf(s);
  REQUIRE(old.ok());
  CHECK_THAT(*old, !Catch::Contains("recovery_init_sync_method"));
  CHECK_THAT(*old, Catch::Contains("wal_retrieve_retry_interval = '1s'\n"));
}

TEST_CASE("ha conf: user parameters replace defaults and the agent's settings win", "[conf]") {
  ServerSettings s;
  s.port = 6000;
  s.parameters = {{"max_wal_senders", "20"},
                  {"port", "7777"},
                  {"shared_buffers", "64MB"},
                  {"primary_conninfo", "host=evil"}};
  s.standby = StandbySettings{"host=10.0.0.1 port=5432 user=repl", "node_a", "latest"};
  auto text = render_ha_conf(s);
  REQUIRE(text.ok());
  CHECK(count(*text, "max_wal_senders =") == 1);
  CHECK_THAT(*text, Catch::Contains("max_wal_senders = '20'\n"));
  CHECK_THAT(*text, Catch::Contains("shared_buffers = '64MB'\n"));
  CHECK(count(*text, "\nport =") == 1);
  CHECK_THAT(*text, Catch::Contains("port = '6000'\n"));
  CHECK(count(*text, "primary_conninfo =") == 1);
  CHECK_THAT(*text, Catch::Contains("primary_conninfo = 'host=10.0.0.1 port=5432 user=repl'\n"));
  CHECK_THAT(*text, Catch::Contains("primary_slot_name = 'node_a'\n"));
  CHECK_THAT(*text, Catch::Contains("recovery_target_timeline = 'latest'\n"));
  // The agent's own come after the user's, so even a duplicate would lose.
  CHECK(text->find("shared_buffers") < text->find("listen_addresses"));
}

TEST_CASE("ha conf: quoting and refusals", "[conf]") {
  CHECK(quote_guc_value("it's") == "'it''s'");
  CHECK(quote_guc_value("a\\b") == "'a\\\\b'");
  CHECK(quote_guc_value("") == "''");
  CHECK(valid_guc_name("auto_explain.log_min_duration"));
  CHECK_FALSE(valid_guc_name("9lives"));
  CHECK_FALSE(valid_guc_name("bad name"));
  CHECK_FALSE(valid_guc_name("x=1\ny"));

  ServerSettings bad_name;
  bad_name.parameters = {{"work_mem = 1\nfsync", "off"}};
  auto r1 = render_ha_conf(bad_name);
  REQUIRE_FALSE(r1.ok());
  CHECK(r1.error().kind == PgErrorKind::kInvalid);
  CHECK_THAT(r1.error().message, Catch::Contains("not a valid PostgreSQL parameter name"));

  ServerSettings bad_value;
  bad_value.parameters = {{"application_name", "x'\nfsync = off"}};
  auto r2 = render_ha_conf(bad_value);
  REQUIRE_FALSE(r2.ok());
  CHECK_THAT(r2.error().message, Catch::Contains("application_name"));
  CHECK_THAT(r2.error().message, Catch::Contains("line break"));

  CHECK(ha_conf_include_line() == "include_if_exists = 'postgresql.ha.conf'");
}

TEST_CASE("pg_hba: lines in order under a header - empty or multi-line entries refused", "[conf]") {
  auto text = render_hba({"local all all trust", "host replication repl 10.0.0.0/8 scram-sha-256"});
  REQUIRE(text.ok());
  CHECK_THAT(*text, Catch::StartsWith("# Written by haagent"));
  CHECK_THAT(*text, Catch::EndsWith(
                        "local all all trust\nhost replication repl 10.0.0.0/8 scram-sha-256\n"));
  auto empty = render_hba({});
  REQUIRE_FALSE(empty.ok());
  CHECK_THAT(empty.error().message, Catch::Contains("nobody could connect"));
  auto split = render_hba({"local all all trust\nhost all all 0.0.0.0/0 trust"});
  REQUIRE_FALSE(split.ok());
  CHECK_THAT(split.error().message, Catch::Contains("entry 1"));
}

TEST_CASE("conninfo: only set parts quoted as libpq wants", "[conf]") {
  ConnParams p;
  p.host = "10.0.0.5";
  p.port = 5433;
  p.user = "replicator";
  p.password = "it's a \\secret";
  p.application_name = "node-b";
  p.connect_timeout_s = 3;
  p.extra = {{"target_session_attrs", "read-write"}};
  CHECK(to_conninfo(p) ==
        "host=10.0.0.5 port=5433 user=replicator password='it\\'s a \\\\secret' "
        "application_name=node-b connect_timeout=3 target_session_attrs=read-write");
  CHECK(to_conninfo(ConnParams{}) == "");
  CHECK(quote_conninfo_value("a=b") == "'a=b'");
  CHECK(quote_conninfo_value("") == "''");
  CHECK(quote_conninfo_value("/tmp/sock") == "/tmp/sock");
}

TEST_CASE("slot names: validity and derivation from member names", "[conf]") {
  CHECK(valid_slot_name("node_1"));
  CHECK_FALSE(valid_slot_name(""));
  CHECK_FALSE(valid_slot_name("Node1"));
  CHECK_FALSE(valid_slot_name("node-1"));
  CHECK_FALSE(valid_slot_name(std::string(64, 'a')));
  CHECK(slot_name_for_member("Node-1.dc2") == "node_1_dc2");
  CHECK(slot_name_for_member(std::string(70, 'x')).size() == 63);
  CHECK(valid_slot_name(slot_name_for_member("Ünïcode name")));
}
