// hactl's command line: where the cluster is, every command and its arguments, and one case per
// error message.
#include "ctl/ctl_options.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ha_version.hpp>

#include "tests/common/args.hpp"
#include "tests/common/temp_file.hpp"

using ha::ctl::CtlCommandLine;
using ha::ctl::OutputFormat;
using ha::dcs::Endpoint;
using ha::test::Args;
using ha::test::TempFile;

namespace {

CtlCommandLine parse(std::vector<std::string> words) {
  ::unsetenv("HACTL_CONFIG");
  Args args("hactl", std::move(words));
  return ha::ctl::parse_ctl_command_line(args.argc(), args.argv());
}

// `words` after "--dcs a:2379 --scope demo".
CtlCommandLine parse_with_cluster(std::vector<std::string> words) {
  words.insert(words.begin(), {"--dcs", "a:2379", "--scope", "demo"});
  return parse(std::move(words));
}

std::string error_of(std::vector<std::string> words) {
  const auto cl = parse(std::move(words));
  CHECK_FALSE(cl.run);
  CHECK(cl.exit_code == 2);
  CHECK(cl.out.empty());
  CHECK(cl.err.find('\n') == std::string::npos);
  return cl.err;
}

}  // namespace

TEST_CASE("the cluster from --dcs and --scope, before or after the command") {
  for (const auto& words : std::vector<std::vector<std::string>>{
           {"--dcs", "a:2379,http://b:2379", "--scope", "demo", "list"},
           {"list", "--dcs", "a:2379,http://b:2379", "--scope", "demo"}}) {
    const auto cl = parse(words);
    INFO(cl.err);
    REQUIRE(cl.run);
    CHECK(cl.options.command == "list");
    CHECK(cl.options.dcs_endpoints == std::vector<Endpoint>{{"a", 2379}, {"b", 2379}});
    CHECK(cl.options.scope == "demo");
    CHECK(cl.options.format == OutputFormat::kPretty);
    CHECK(cl.options.watch_seconds == 0);
  }
}

TEST_CASE("the cluster from -c FILE or HACTL_CONFIG") {
  TempFile file("scope: demo\n");
  auto cl = parse({"-c", file.path(), "history", "--format", "json"});
  REQUIRE(cl.run);
  CHECK(cl.options.config_file == file.path());
  CHECK(cl.options.command == "history");
  CHECK(cl.options.format == OutputFormat::kJson);

  ::setenv("HACTL_CONFIG", file.path().c_str(), 1);
  Args args("hactl", {"show-config"});
  cl = ha::ctl::parse_ctl_command_line(args.argc(), args.argv());
  ::unsetenv("HACTL_CONFIG");
  REQUIRE(cl.run);
  CHECK(cl.options.config_file == file.path());
}

TEST_CASE("every cluster command parses with its arguments") {
  auto cl = parse_with_cluster({"list", "--watch", "2.5", "--format", "yaml"});
  REQUIRE(cl.run);
  CHECK(cl.options.watch_seconds == 2.5);
  CHECK(cl.options.format == OutputFormat::kYaml);

  cl = parse_with_cluster({"topology", "--watch", "1"});
  REQUIRE(cl.run);
  CHECK(cl.options.command == "topology");

  cl = parse_with_cluster({"switchover", "--primary", "n1", "--candidate", "n2", "--scheduled",
                           "2026-12-01T02:00+01:00", "--force"});
  REQUIRE(cl.run);
  CHECK(cl.options.leader == "n1");
  CHECK(cl.options.candidate == "n2");
  CHECK(cl.options.scheduled == "2026-12-01T02:00+01:00");
  CHECK(cl.options.force);

  cl = parse_with_cluster({"failover", "--candidate", "n3"});
  REQUIRE(cl.run);
  CHECK(cl.options.candidate == "n3");
  CHECK_FALSE(cl.options.force);

  cl = parse_with_cluster(
      {"restart", "n1", "n2", "--role", "replica", "--pending", "--scheduled", "now"});
  REQUIRE(cl.run);
  CHECK(cl.options.members == std::vector<std::string>{"n1", "n2"});
  CHECK(cl.options.role == "replica");
  CHECK(cl.options.pending);

  cl = parse_with_cluster({"reload"});
  REQUIRE(cl.run);
  CHECK(cl.options.role == "any");
  CHECK(cl.options.members.empty());

  cl = parse_with_cluster({"reinit", "n3", "--wait"});
  REQUIRE(cl.run);
  CHECK(cl.options.members == std::vector<std::string>{"n3"});
  CHECK(cl.options.wait);

  cl = parse_with_cluster({"pause", "--wait"});
  REQUIRE(cl.run);
  CHECK(cl.options.command == "pause");
  CHECK(cl.options.wait);
  cl = parse_with_cluster({"resume"});
  REQUIRE(cl.run);
  CHECK_FALSE(cl.options.wait);

  cl = parse_with_cluster({"edit-config", "--set", "ttl=30", "--set", "loop_wait=", "--pg",
                           "work_mem=64MB", "--force"});
  REQUIRE(cl.run);
  using KV = std::vector<std::pair<std::string, std::string>>;
  CHECK(cl.options.set_values == KV{{"ttl", "30"}, {"loop_wait", ""}});
  CHECK(cl.options.pg_values == KV{{"work_mem", "64MB"}});

  cl = parse_with_cluster({"dsn"});
  REQUIRE(cl.run);
  CHECK(cl.options.role == "primary");
  cl = parse_with_cluster({"dsn", "n2"});
  REQUIRE(cl.run);
  CHECK(cl.options.members == std::vector<std::string>{"n2"});
  CHECK(cl.options.role.empty());
  cl = parse_with_cluster({"dsn", "--role", "replica"});
  REQUIRE(cl.run);
  CHECK(cl.options.role == "replica");

  cl = parse_with_cluster({"remove", "demo"});
  REQUIRE(cl.run);
  CHECK(cl.options.cluster_name == "demo");
  for (const char* command : {"show-config", "version"}) {
    cl = parse_with_cluster({command});
    REQUIRE(cl.run);
    CHECK(cl.options.command == command);
  }
}

TEST_CASE("dcs commands need endpoints but no scope") {
  auto cl =
      parse({"dcs", "get", "/service/demo/", "--prefix", "--dcs", "a:2379", "--format", "json"});
  REQUIRE(cl.run);
  CHECK(cl.options.command == "dcs get");
  CHECK(cl.options.key == "/service/demo/");
  CHECK(cl.options.prefix);
  CHECK(cl.options.format == OutputFormat::kJson);

  cl = parse({"--dcs", "a:2379", "dcs", "put", "k", "v"});
  REQUIRE(cl.run);
  CHECK(cl.options.key == "k");
  CHECK(cl.options.value == "v");

  cl = parse({"--dcs", "a:2379", "dcs", "move-leader", "d2"});
  REQUIRE(cl.run);
  CHECK(cl.options.members == std::vector<std::string>{"d2"});

  for (const char* sub : {"members", "status", "leases"}) {
    cl = parse({"--dcs", "a:2379", "dcs", sub});
    REQUIRE(cl.run);
    CHECK(cl.options.command == std::string("dcs ") + sub);
  }
  for (const char* sub : {"del", "watch"}) {
    cl = parse({"--dcs", "a:2379", "dcs", sub, "k"});
    REQUIRE(cl.run);
    CHECK(cl.options.command == std::string("dcs ") + sub);
  }
}

TEST_CASE("version needs no cluster") {
  const auto cl = parse({"version"});
  REQUIRE(cl.run);
  CHECK(cl.options.command == "version");
  CHECK_FALSE(ha::ctl::needs_scope("version"));
  CHECK_FALSE(ha::ctl::needs_scope("dcs get"));
  CHECK(ha::ctl::needs_scope("list"));
}

TEST_CASE("hactl --help, COMMAND --help and --version") {
  auto cl = parse({"--help"});
  CHECK(cl.exit_code == 0);
  CHECK_FALSE(cl.run);
  for (const char* command :
       {"list", "topology", "switchover", "failover", "restart", "reload", "reinit", "pause",
        "resume", "show-config", "edit-config", "history", "dsn", "remove", "version", "dcs"}) {
    INFO(command);
    CHECK(cl.out.find(std::string("  ") + command + " ") != std::string::npos);
  }
  cl = parse({"switchover", "--help"});
  CHECK(cl.exit_code == 0);
  CHECK(cl.out.find("--candidate") != std::string::npos);
  CHECK(cl.out.find("Usage: hactl switchover") != std::string::npos);
  cl = parse({"--version"});
  CHECK(cl.exit_code == 0);
  CHECK(cl.out == std::string("hactl ") + ha::kVersionFull + "\n");
}

TEST_CASE("schedules") {
  for (const char* good : {"now", "2026-12-01T02:00", "2026-12-01 02:00:59", "2026-12-01T23:59Z",
                           "2026-02-28T00:00:00+01:00", "2026-02-28T00:00-0530"}) {
    INFO(good);
    CHECK(ha::ctl::is_valid_schedule(good));
  }
  for (const char* bad : {"", "later", "2026-13-01T02:00", "2026-12-01", "2026-12-01T24:00",
                          "2026-12-01T02:60", "2026-12-01T02:00+1", "2026-12-32T00:00"}) {
    INFO(bad);
    CHECK_FALSE(ha::ctl::is_valid_schedule(bad));
  }
}

TEST_CASE("each bad hactl command line gets its one-line error and exit code 2") {
  CHECK(error_of({}) == "hactl: no command given (see hactl --help)");
  CHECK(error_of({"frob"}) == "hactl: unknown command 'frob' (see hactl --help)");
  CHECK(error_of({"--bogus"}) == "hactl: unknown option: --bogus (see hactl --help)");
  CHECK(error_of({"list", "--bogus"}) == "hactl: unknown option: --bogus (see hactl list --help)");
  CHECK(error_of({"list", "x", "y"}) == "hactl: unexpected arguments: x y (see hactl list --help)");
  CHECK(error_of({"dcs"}) == "hactl: no command given (see hactl dcs --help)");
  CHECK(error_of({"dcs", "frob"}) == "hactl: unknown command 'frob' (see hactl dcs --help)");
  CHECK(error_of({"dcs", "get", "--dcs", "a:1"}) == "hactl: KEY is required (see hactl --help)");
  CHECK(error_of({"dcs", "get", ""}) == "hactl: dcs get: KEY must not be empty");
  CHECK(error_of({"reinit", "--dcs", "a:1", "--scope", "s"}) ==
        "hactl: MEMBER is required (see hactl --help)");
  CHECK(error_of({"list"}) ==
        "hactl: no cluster given: pass -c FILE (the agent's config), or --dcs HOST:PORT,... with "
        "--scope NAME, or set HACTL_CONFIG");
  CHECK(error_of({"list", "--dcs", "a:1"}) ==
        "hactl: --scope NAME is needed with --dcs (or pass -c FILE)");
  CHECK(error_of({"dcs", "members"}) ==
        "hactl: no DCS given: pass --dcs HOST:PORT,... or -c FILE (the agent's config), or set "
        "HACTL_CONFIG");
  CHECK(error_of({"list", "--dcs", "a"}) == "hactl: --dcs: 'a': missing ':port'");
  CHECK(error_of({"list", "--dcs", ""}) ==
        "hactl: --dcs: no endpoint given; e.g. --dcs 10.0.0.1:2379,10.0.0.2:2379");
  CHECK(error_of({"list", "-c", "/nonexistent/haagent.yml"}) ==
        "hactl: cannot read config file '/nonexistent/haagent.yml': No such file or directory");
  CHECK(error_of({"list", "-c", "/"}) == "hactl: config file '/' is a directory");
  CHECK(error_of({"list", "--format", "xml"}) ==
        "hactl: --format must be pretty, json or yaml, not 'xml'");
  CHECK(error_of({"list", "--watch", "0"}) ==
        "hactl: --watch must be a positive number of seconds");
  CHECK(error_of({"topology", "--watch", "-1"}) ==
        "hactl: --watch must be a positive number of seconds");
  CHECK(error_of({"switchover", "--scheduled", "tomorrow"}) ==
        "hactl: --scheduled 'tomorrow' must be 'now' or an ISO 8601 time, e.g. "
        "2026-12-01T02:00+00:00");
  CHECK(error_of({"restart", "--role", "leader"}) ==
        "hactl: --role must be primary, replica or any, not 'leader'");
  CHECK(error_of({"dsn", "--role", "any"}) ==
        "hactl: --role must be primary or replica, not 'any'");
  CHECK(error_of({"dsn", "n1", "--role", "replica"}) ==
        "hactl: dsn: give a MEMBER or --role, not both");
  CHECK(error_of({"edit-config", "--set", "ttl"}) ==
        "hactl: --set 'ttl' must be name=value, e.g. --set ttl=30");
  CHECK(error_of({"edit-config", "--pg", "=1"}) ==
        "hactl: --pg '=1' must be name=value, e.g. --pg work_mem=64MB");
}
