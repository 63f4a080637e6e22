// hactl's DCS-command arguments (--timeout, --rev, --lease, --count, watch --timeout), the
// cluster from the agent's YAML (scope, namespace, dcs.endpoints / etcd3.hosts) with the
// command line winning, and the dcs status/members renderings.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "ctl/cluster_source.hpp"
#include "ctl/ctl_options.hpp"
#include "ctl/dcs_commands.hpp"
#include "tests/common/args.hpp"
#include "tests/common/temp_file.hpp"

using ha::ctl::ClusterSource;
using ha::ctl::CtlCommandLine;
using ha::dcs::Endpoint;

namespace {

CtlCommandLine parse(std::vector<std::string> words) {
  ::unsetenv("HACTL_CONFIG");
  ha::test::Args args("hactl", std::move(words));
  return ha::ctl::parse_ctl_command_line(args.argc(), args.argv());
}

std::string usage_error(std::vector<std::string> words) {
  const auto cl = parse(std::move(words));
  CHECK_FALSE(cl.run);
  CHECK(cl.exit_code == 2);
  return cl.err;
}

}  // namespace

TEST_CASE("dcs get/put/watch arguments") {
  auto cl = parse({"--dcs", "a:2379", "--timeout", "1.5", "dcs", "get", "/k", "--prefix", "--rev", "7",
                   "--print-value-only"});
  REQUIRE(cl.run);
  CHECK(cl.options.command == "dcs get");
  CHECK(cl.options.timeout_seconds == 1.5);
  CHECK(cl.options.prefix);
  CHECK(cl.options.revision == 7);
  CHECK(cl.options.print_value_only);

  cl = parse({"--dcs", "a:2379", "dcs", "put", "/k", "v", "--lease", "694d77aa9e38260f"});
  REQUIRE(cl.run);
  CHECK(cl.options.lease == 0x694d77aa9e38260f);
  CHECK(cl.options.value == "v");

  cl = parse({"--dcs", "a:2379", "dcs", "watch", "/k", "--count", "3", "--timeout", "10", "--format", "json"});
  REQUIRE(cl.run);
  CHECK(cl.options.count == 3);
  CHECK(cl.options.watch_timeout == 10);
  CHECK(cl.options.timeout_seconds == 5);  // the call deadline keeps its default
  CHECK(cl.options.format == ha::ctl::OutputFormat::kJson);
}

TEST_CASE("bad DCS-command arguments are usage errors with one line") {
  CHECK(usage_error({"--dcs", "a:2379", "dcs", "put", "/k", "v", "--lease", "xyz"}) ==
        "hactl: --lease 'xyz' must be a lease ID in hex, as 'hactl dcs leases' shows");
  CHECK(usage_error({"--dcs", "a:2379", "--timeout", "0", "dcs", "members"}) ==
        "hactl: --timeout must be a number of seconds between 0 and 3600");
  CHECK(usage_error({"--dcs", "a:2379", "dcs", "get", "/k", "--rev", "-1"}) ==
        "hactl: --rev must be a revision number (0 = the newest)");
  CHECK(usage_error({"--dcs", "a:2379", "dcs", "watch", "/k", "--count", "-2"}) ==
        "hactl: --count must be a positive number of events");
  CHECK(usage_error({"--dcs", "a:2379", "dcs", "move-leader"}).find("MEMBER") != std::string::npos);
}

TEST_CASE("the cluster from the agent's YAML: scope, namespace and dcs.endpoints") {
  ClusterSource s;
  CHECK(ha::ctl::read_cluster_yaml("scope: demo\nnamespace: /ha/\nname: pg1\n"
                                   "dcs:\n  endpoints: [10.0.0.1:2379, 'http://10.0.0.2:2379']\n"
                                   "postgresql: {listen: 0.0.0.0:5432}\n",
                                   "a.yml", s) == "");
  CHECK(s.scope == "demo");
  CHECK(s.endpoints == std::vector<Endpoint>{{"10.0.0.1", 2379}, {"10.0.0.2", 2379}});
  CHECK(s.key_prefix() == "/ha/demo/");
  CHECK(s.endpoints_text() == "10.0.0.1:2379, 10.0.0.2:2379");
}

TEST_CASE("Patroni etcd3.hosts as a comma-separated string and the default namespace") {
  ClusterSource s;
  CHECK(ha::ctl::read_cluster_yaml("scope: x\netcd3:\n  hosts: a:1,b:2\n", "p.yml", s) == "");
  CHECK(s.endpoints == std::vector<Endpoint>{{"a", 1}, {"b", 2}});
  CHECK(s.key_prefix() == "/service/x/");
}

TEST_CASE("bad YAML and bad endpoints name the file and the key") {
  ClusterSource s;
  CHECK(ha::ctl::read_cluster_yaml("scope: [1, 2\n", "bad.yml", s).rfind("bad.yml: not valid YAML", 0) == 0);
  CHECK(ha::ctl::read_cluster_yaml("scope: [a]\n", "bad.yml", s) == "bad.yml: scope: must be a string");
  CHECK(ha::ctl::read_cluster_yaml("dcs:\n  endpoints: {a: 1}\n", "bad.yml", s)
            .rfind("bad.yml: dcs.endpoints: must be a list", 0) == 0);
  CHECK(ha::ctl::read_cluster_yaml("dcs:\n  endpoints: [nohost]\n", "bad.yml", s)
            .rfind("bad.yml: dcs.endpoints: ", 0) == 0);
}

TEST_CASE("the command line wins over the file, and a file without endpoints is an error") {
  ha::test::TempFile file("scope: fromfile\ndcs:\n  endpoints: [f:1]\n");
  auto cl = parse({"-c", file.path(), "--scope", "other", "--dcs", "c:3", "list"});
  REQUIRE(cl.run);
  ClusterSource s;
  CHECK(ha::ctl::resolve_cluster(cl.options, s) == "");
  CHECK(s.scope == "other");
  CHECK(s.endpoints == std::vector<Endpoint>{{"c", 3}});

  ha::test::TempFile empty("scope: demo\n");
  cl = parse({"-c", empty.path(), "list"});
  REQUIRE(cl.run);
  ClusterSource s2;
  CHECK(ha::ctl::resolve_cluster(cl.options, s2) ==
        empty.path() + ": no DCS endpoints (dcs.endpoints); pass --dcs HOST:PORT,...");
}

TEST_CASE("dcs status table: leader flag, numbers and an unreachable endpoint") {
  etcdserverpb::StatusResponse st;
  st.mutable_header()->set_member_id(0xabc);
  st.set_leader(0xabc);
  st.set_raftterm(3);
  st.set_raftindex(120);
  st.set_raftappliedindex(119);
  st.set_dbsize(40901);
  ha::dcs::RpcError down;
  down.code = grpc::StatusCode::UNAVAILABLE;
  down.message = "connection refused";
  std::vector<ha::dcs::EndpointStatus> statuses;
  statuses.push_back({{"127.0.0.1", 1}, st});
  statuses.push_back({{"127.0.0.1", 2}, down});
  CHECK(ha::ctl::render_dcs_status(statuses, false) ==
        "+-------------+-----+-----------+-----------+------------+--------------------+---------+--------------------+\n"
        "| ENDPOINT    | ID  | IS LEADER | RAFT TERM | RAFT INDEX | RAFT APPLIED INDEX | DB SIZE | ERRORS             |\n"
        "+-------------+-----+-----------+-----------+------------+--------------------+---------+--------------------+\n"
        "| 127.0.0.1:1 | abc | true      |         3 |        120 |                119 | 40.9 kB |                    |\n"
        "| 127.0.0.1:2 |     |           |           |            |                    |         | connection refused |\n"
        "+-------------+-----+-----------+-----------+------------+--------------------+---------+--------------------+\n");
  const auto j = ha::ctl::dcs_status_json(statuses);
  REQUIRE(j.size() == 2);
  CHECK(j[0]["is_leader"] == true);
  CHECK(j[0]["raft_term"] == 3);
  CHECK(j[0]["id"] == "abc");
  CHECK(j[1]["error"] == "connection refused");
  CHECK_FALSE(j[1].contains("raft_term"));
}
