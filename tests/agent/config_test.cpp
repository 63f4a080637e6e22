// The YAML config: the example file, defaults, Patroni's spellings, and one case per error
// message (unknown keys with suggestions, wrong types, missing keys, unsafe timing).
#include "agent/config.hpp"

#include <catch2/catch.hpp>

#include "tests/common/temp_file.hpp"

using namespace ha::agent;
using Catch::Matchers::Contains;

namespace {

const std::string kMinimal = R"(scope: demo
name: node1
dcs:
  endpoints: [127.0.0.1:2379]
restapi:
  connect_address: 127.0.0.1:8008
postgresql:
  data_dir: /tmp/pg
  connect_address: 127.0.0.1:5432
  authentication:
    superuser: {username: postgres}
    replication: {username: replicator, password: r}
)";

AgentConfig parse_ok(const std::string& text) {
  const auto load = parse_config(text, "test.yml");
  INFO((load.errors.empty() ? std::string() : load.errors.front()));
  REQUIRE(load.errors.empty());
  REQUIRE(load.config);
  return *load.config;
}

// The single error `text` produces.
std::string error_of(const std::string& text) {
  const auto load = parse_config(text, "test.yml");
  CHECK_FALSE(load.config);
  INFO("errors: " << load.errors.size()
                  << (load.errors.empty() ? "" : ", first: " + load.errors[0]));
  REQUIRE(load.errors.size() == 1);
  return load.errors.front();
}

}  // namespace

TEST_CASE("config: the example haagent.yml loads with every value") {
  const auto load = load_config_file(HA_TEST_DATA_DIR "/haagent.yml");
  INFO((load.errors.empty() ? std::string() : load.errors.front()));
  REQUIRE(load.config);
  const AgentConfig& c = *load.config;
  CHECK(c.scope == "demo");
  CHECK(c.name == "node1");
  CHECK(c.key_prefix() == "/service/demo/");
  REQUIRE(c.dcs.endpoints.size() == 3);
  CHECK(c.dcs.endpoints[1].host == "10.0.0.2");
  CHECK(c.dcs.endpoints[1].port == 2379);
  CHECK(c.restapi.listen == HostPort{"0.0.0.0", 8008});
  CHECK(c.restapi.connect_address == HostPort{"10.0.0.1", 8008});
  REQUIRE(c.restapi.authentication);
  CHECK(c.restapi.authentication->username == "admin");
  CHECK(c.postgresql.data_dir == "/var/lib/postgresql/15/demo");
  CHECK(c.postgresql.bin_dir == "/usr/lib/postgresql/15/bin");
  CHECK(c.postgresql.connect_address.to_string() == "10.0.0.1:5432");
  CHECK(c.postgresql.authentication.superuser == Credentials{"postgres", "super-secret"});
  CHECK(c.postgresql.authentication.replication.username == "replicator");
  REQUIRE(c.postgresql.authentication.rewind);
  CHECK(c.postgresql.authentication.rewind->username == "rewinder");
  CHECK(c.postgresql.parameters["max_connections"] == 200);
  CHECK(c.postgresql.parameters["shared_buffers"] == "256MB");
  CHECK(c.postgresql.pg_hba.size() == 2);
  CHECK(c.bootstrap.initdb ==
        std::vector<std::string>{"--data-checksums", "--encoding=UTF8", "--locale=C.UTF-8"});
  CHECK(c.bootstrap.dcs.ttl == std::chrono::seconds(3));
  CHECK(c.bootstrap.dcs.postgresql.parameters["wal_log_hints"] == true);
  CHECK(c.tags.failover_priority == 1);
  CHECK(c.tags.other["datacenter"] == "dc1");
  CHECK(c.watchdog.mode == WatchdogMode::automatic);
  CHECK(c.watchdog.safety_margin == Millis(500));
}

TEST_CASE("config: defaults of a minimal file") {
  const auto c = parse_ok(kMinimal);
  CHECK(c.namespace_path == "/service");
  CHECK(c.restapi.listen == HostPort{"0.0.0.0", 8008});
  CHECK_FALSE(c.restapi.authentication);
  CHECK(c.postgresql.listen == HostPort{"0.0.0.0", 5432});
  CHECK(c.postgresql.use_pg_rewind);
  CHECK(c.postgresql.remove_data_directory_on_rewind_failure);
  CHECK(c.bootstrap.dcs == DynamicConfig{});
  CHECK(c.watchdog.mode == WatchdogMode::automatic);
  CHECK(c.safety_margin(c.bootstrap.dcs) == Millis(500));
  CHECK_FALSE(c.tags.nofailover);
}

TEST_CASE("config: Patroni's etcd3 hosts is accepted for dcs, as a list or a string") {
  std::string text = kMinimal;
  text.replace(text.find("dcs:\n  endpoints: [127.0.0.1:2379]"),
               std::string("dcs:\n  endpoints: [127.0.0.1:2379]").size(),
               "etcd3:\n  hosts: 10.0.0.1:2379,10.0.0.2:2379");
  auto c = parse_ok(text);
  REQUIRE(c.dcs.endpoints.size() == 2);
  CHECK(c.dcs.endpoints[1].host == "10.0.0.2");
}

TEST_CASE("config: a connect_address defaults to a specific listen address") {
  std::string text = kMinimal;
  text.replace(text.find("  connect_address: 127.0.0.1:8008"),
               std::string("  connect_address: 127.0.0.1:8008").size(), "  listen: 10.1.1.1:8009");
  CHECK(parse_ok(text).restapi.connect_address == HostPort{"10.1.1.1", 8009});
}

TEST_CASE("config: watchdog mode off (YAML reads it as false), and -1 as half of ttl") {
  const auto c = parse_ok(kMinimal + "watchdog: {mode: off, safety_margin: -1}\n" +
                          "bootstrap: {dcs: {ttl: 10}}\n");
  CHECK(c.watchdog.mode == WatchdogMode::off);
  CHECK(c.safety_margin(c.bootstrap.dcs) == Millis(5000));
}

TEST_CASE("config errors: an unknown key gets a suggestion and its line") {
  CHECK(error_of(kMinimal + "tagz: {}\n") ==
        "test.yml:13: tagz: unknown key (did you mean 'tags'?)");
  CHECK(error_of(kMinimal + "watchdog: {mod: off}\n") ==
        "test.yml:13: watchdog.mod: unknown key (did you mean 'mode'?)");
  std::string text = kMinimal;
  text.insert(text.find("  data_dir"), "  paramters: {}\n");
  CHECK(error_of(text) ==
        "test.yml:8: postgresql.paramters: unknown key (did you mean 'parameters'?)");
}

TEST_CASE("config errors: a dynamic setting at the top level says where it belongs") {
  CHECK_THAT(error_of(kMinimal + "ttl: 30\n"),
             Contains("ttl: unknown key; a cluster-wide (dynamic) setting: put it under "
                      "bootstrap.dcs"));
  CHECK_THAT(error_of(kMinimal + "etcd: {host: x:2379}\n"),
             Contains("etcd: unknown key; haagent keeps its state in hadcs"));
}

TEST_CASE("config errors: wrong types name the key, the expected and the given value") {
  CHECK(error_of(kMinimal + "tags: {nofailover: maybe}\n") ==
        "test.yml:13: tags.nofailover: expected true or false, got a string (\"maybe\")");
  CHECK(error_of(kMinimal + "tags: {failover_priority: -1}\n") ==
        "test.yml:13: tags.failover_priority: must be between 0 and 1000000, got -1");
  CHECK(error_of(kMinimal + "bootstrap: {initdb: data-checksums}\n") ==
        "test.yml:13: bootstrap.initdb: expected a list of options (e.g. - data-checksums, - "
        "encoding: UTF8), got a string (\"data-checksums\")");
  CHECK(error_of(kMinimal + "watchdog: {mode: sometimes}\n") ==
        "test.yml:13: watchdog.mode: expected off, automatic or required, got a string "
        "(\"sometimes\")");
}

TEST_CASE("config errors: missing required keys say what they are for") {
  CHECK(error_of("name: a\ndcs: {endpoints: [h:1]}\npostgresql: {data_dir: /d, connect_address: "
                 "h:5432, authentication: {superuser: {username: u}, replication: {username: "
                 "r}}}\nrestapi: {connect_address: h:8008}\n") ==
        "test.yml: scope: missing required key: the cluster's name (members with the same scope "
        "form one cluster)");
  std::string text = kMinimal;
  text.replace(text.find("    replication: {username: replicator, password: r}\n"),
               std::string("    replication: {username: replicator, password: r}\n").size(), "");
  CHECK(error_of(text) ==
        "test.yml:11: postgresql.authentication.replication: missing required "
        "key: the user replicas stream with (username, password)");
  std::string no_addr = kMinimal;
  no_addr.replace(no_addr.find("  connect_address: 127.0.0.1:8008\n"),
                  std::string("  connect_address: 127.0.0.1:8008\n").size(),
                  "  listen: 0.0.0.0:8008\n");
  CHECK_THAT(error_of(no_addr), Contains("restapi.connect_address: missing required key: the REST "
                                         "API listens on 0.0.0.0:8008"));
}

TEST_CASE("config errors: bad addresses, names and contradictions") {
  CHECK_THAT(error_of(kMinimal + "tags: {nofailover: true, failover_priority: 2}\n"),
             Contains("tags.failover_priority: contradicts nofailover: true"));
  CHECK_THAT(error_of(kMinimal + "tags: {nofailvoer: true}\n"),
             Contains("tags.nofailvoer: unknown tag that looks like 'nofailover'"));
  std::string bad_name = kMinimal;
  bad_name.replace(bad_name.find("name: node1"), 11, "name: node/1");
  CHECK_THAT(error_of(bad_name), Contains("name: 'node/1' is not a usable member name"));
  std::string bad_port = kMinimal;
  bad_port.replace(bad_port.find("127.0.0.1:5432"), 14, "127.0.0.1:99999");
  CHECK_THAT(
      error_of(bad_port),
      Contains("postgresql.connect_address: bad port '99999' in '127.0.0.1:99999' (1-65535)"));
  std::string bad_dcs = kMinimal;
  bad_dcs.replace(bad_dcs.find("127.0.0.1:2379"), 14, "nohostport");
  CHECK_THAT(error_of(bad_dcs), Contains("dcs.endpoints[0]:"));
}

TEST_CASE("config errors: unsafe timing in bootstrap.dcs is explained, not rewritten") {
  CHECK_THAT(error_of(kMinimal + "bootstrap: {dcs: {ttl: 3, loop_wait: 2, retry_timeout: 1}}\n"),
             Contains("bootstrap.dcs.ttl: loop_wait (2 s) + 2 x retry_timeout (1 s) = 4 s exceeds "
                      "ttl (3 s)"));
  CHECK_THAT(error_of(kMinimal + "bootstrap: {dcs: {ttl: 1}}\n"),
             Contains("bootstrap.dcs.ttl: must be at least 2 (seconds), got 1"));
  CHECK_THAT(error_of(kMinimal + "watchdog: {safety_margin: 5}\n"),
             Contains("watchdog.safety_margin: safety_margin (5 s) must be less than ttl (3 s"));
  CHECK_THAT(error_of(kMinimal + "watchdog: {safety_margin: 1.5}\n"),
             Contains("ttl - safety_margin = 1.5 s is less than loop_wait + retry_timeout (2 s)"));
}

TEST_CASE("config errors: YAML that does not parse, and files that cannot be read") {
  CHECK_THAT(error_of("scope: [demo\n"), Contains("test.yml: line"));
  CHECK(error_of("- a\n- b\n") ==
        "test.yml: expected a map of settings (scope, name, dcs, restapi, postgresql, ...), got a "
        "list");
  CHECK_THAT(error_of("scope: a\nscope: b\n"), Contains("duplicate key 'scope'"));
  const auto missing = load_config_file("/nonexistent/haagent.yml");
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0] ==
        "cannot read config file '/nonexistent/haagent.yml': No such file or directory");
}

TEST_CASE("config: several problems are all reported, one line each") {
  const auto load = parse_config("scope: demo\nname: n\nbogus: 1\nwatchdog: {mode: x}\n", "t.yml");
  CHECK_FALSE(load.config);
  CHECK(load.errors.size() >= 4);  // bogus, watchdog.mode, dcs, postgresql
  for (const auto& e : load.errors) CHECK(e.find('\n') == std::string::npos);
}
