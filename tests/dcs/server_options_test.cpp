// hadcs's command line and config file: defaults, a full valid set, --help/--version, and one
// case per error message.
#include "dcs/server_options.hpp"

#include <catch2/catch.hpp>
#include <ha_version.hpp>

#include "tests/common/args.hpp"
#include "tests/common/temp_file.hpp"

using ha::dcs::ClusterState;
using ha::dcs::Endpoint;
using ha::dcs::InitialMember;
using ha::dcs::ServerCommandLine;
using ha::test::Args;
using ha::test::TempFile;
using namespace std::chrono_literals;

namespace {

ServerCommandLine parse(std::vector<std::string> words) {
  Args args("hadcs", std::move(words));
  return ha::dcs::parse_server_command_line(args.argc(), args.argv());
}

// The one-line error for `words`, after checking that it is a usage error.
std::string error_of(std::vector<std::string> words) {
  const auto cl = parse(std::move(words));
  CHECK_FALSE(cl.run);
  CHECK(cl.exit_code == 2);
  CHECK(cl.out.empty());
  CHECK(cl.err.find('\n') == std::string::npos);
  return cl.err;
}

const std::vector<std::string> kThreeMembers = {
    "--name",
    "n2",
    "--data-dir",
    "/var/lib/hadcs",
    "--listen-client-urls",
    "http://0.0.0.0:2379",
    "--advertise-client-urls",
    "http://10.0.0.2:2379",
    "--listen-peer-urls",
    "http://10.0.0.2:2380",
    "--initial-cluster",
    "n1=http://10.0.0.1:2380,n2=http://10.0.0.2:2380,n3=http://10.0.0.3:2380",
    "--initial-cluster-state",
    "existing",
    "--heartbeat-interval",
    "50",
    "--election-timeout",
    "250",
    "--snapshot-count",
    "5000",
    "--leader-writes",
    "sync",
    "--max-request-bytes",
    "2mb",
    "--quota-backend-bytes",
    "8GiB",
    "--metrics-listen",
    "http://127.0.0.1:2381",
};

}  // namespace

TEST_CASE("defaults make a single-member cluster on loopback") {
  const auto cl = parse({});
  REQUIRE(cl.run);
  CHECK(cl.err.empty());
  const auto& o = cl.options;
  CHECK(o.name == "default");
  CHECK(o.data_dir == "default.hadcs");
  CHECK(o.listen_client_urls == std::vector<Endpoint>{{"127.0.0.1", 2379}});
  CHECK(o.advertise_client_urls == o.listen_client_urls);
  CHECK(o.listen_peer_urls == std::vector<Endpoint>{{"127.0.0.1", 2380}});
  CHECK(o.initial_advertise_peer_urls == o.listen_peer_urls);
  CHECK(o.initial_cluster == std::vector<InitialMember>{{"default", {"127.0.0.1", 2380}}});
  CHECK(o.initial_cluster_state == ClusterState::kNew);
  CHECK(o.heartbeat_interval == 100ms);
  CHECK(o.election_timeout == 1000ms);
  CHECK(o.snapshot_count == 100000);
  CHECK(o.async_leader_writes);
  CHECK(o.max_request_bytes == 1536 * 1024);
  CHECK(o.quota_backend_bytes == 2ULL << 30);
  CHECK_FALSE(o.metrics_listen.has_value());
  CHECK(ha::dcs::validate(o).empty());
}

TEST_CASE("a member's name sets its data dir and its initial cluster by default") {
  const auto cl = parse({"--name", "n1", "--listen-peer-urls", "http://10.0.0.1:2380"});
  REQUIRE(cl.run);
  CHECK(cl.options.data_dir == "n1.hadcs");
  CHECK(cl.options.initial_cluster == std::vector<InitialMember>{{"n1", {"10.0.0.1", 2380}}});
}

TEST_CASE("every option of a three-member cluster") {
  const auto cl = parse(kThreeMembers);
  INFO(cl.err);
  REQUIRE(cl.run);
  const auto& o = cl.options;
  CHECK(o.name == "n2");
  CHECK(o.data_dir == "/var/lib/hadcs");
  CHECK(o.listen_client_urls == std::vector<Endpoint>{{"0.0.0.0", 2379}});
  CHECK(o.advertise_client_urls == std::vector<Endpoint>{{"10.0.0.2", 2379}});
  CHECK(o.initial_advertise_peer_urls == std::vector<Endpoint>{{"10.0.0.2", 2380}});
  CHECK(o.initial_cluster.size() == 3);
  CHECK(o.initial_cluster[2] == InitialMember{"n3", {"10.0.0.3", 2380}});
  CHECK(o.initial_cluster_state == ClusterState::kExisting);
  CHECK(o.heartbeat_interval == 50ms);
  CHECK(o.election_timeout == 250ms);
  CHECK(o.snapshot_count == 5000);
  CHECK_FALSE(o.async_leader_writes);
  CHECK(o.max_request_bytes == 2 << 20);
  CHECK(o.quota_backend_bytes == 8ULL << 30);
  REQUIRE(o.metrics_listen.has_value());
  CHECK(*o.metrics_listen == Endpoint{"127.0.0.1", 2381});
}

TEST_CASE("--help and --version print and exit 0") {
  const auto help = parse({"--help"});
  CHECK_FALSE(help.run);
  CHECK(help.exit_code == 0);
  CHECK(help.err.empty());
  for (const char* flag :
       {"--name", "--data-dir", "--listen-client-urls", "--advertise-client-urls",
        "--listen-peer-urls", "--initial-advertise-peer-urls", "--initial-cluster",
        "--initial-cluster-state", "--heartbeat-interval", "--election-timeout", "--snapshot-count",
        "--leader-writes", "--max-request-bytes", "--quota-backend-bytes", "--metrics-listen", "--config-file"}) {
    INFO(flag);
    CHECK(help.out.find(flag) != std::string::npos);
  }

  const auto version = parse({"--version"});
  CHECK_FALSE(version.run);
  CHECK(version.exit_code == 0);
  CHECK(version.out == std::string("hadcs ") + ha::kVersionFull + "\n");
}

TEST_CASE("each bad command line gets its one-line error and exit code 2") {
  CHECK(error_of({"--bogus"}) ==
        "hadcs: The following argument was not expected: --bogus (see hadcs --help)");
  CHECK(error_of({"--heartbeat-interval", "abc"}) ==
        "hadcs: Could not convert: --heartbeat-interval = abc (see hadcs --help)");
  CHECK(error_of({"--name", "a b"}) ==
        "hadcs: --name 'a b': use only letters, digits, '.', '-' and '_'");
  CHECK(error_of({"--name", ""}) == "hadcs: --name must not be empty");
  CHECK(error_of({"--listen-client-urls", "https://a:1"}) ==
        "hadcs: --listen-client-urls: 'https://a:1': https is not supported yet; use http://");
  CHECK(error_of({"--listen-peer-urls", "a"}) == "hadcs: --listen-peer-urls: 'a': missing ':port'");
  CHECK(error_of({"--advertise-client-urls", "http://0.0.0.0:2379"}) ==
        "hadcs: --advertise-client-urls: http://0.0.0.0:2379 is not an address clients can "
        "connect to; advertise this machine's address");
  CHECK(error_of({"--listen-peer-urls", "http://0.0.0.0:2380"}) ==
        "hadcs: --initial-advertise-peer-urls: http://0.0.0.0:2380 is not an address peers can "
        "connect to; advertise this machine's address");
  CHECK(error_of({"--initial-cluster", "n1"}) ==
        "hadcs: --initial-cluster: 'n1': expected name=url, e.g. node1=http://10.0.0.1:2380");
  CHECK(error_of({"--initial-cluster", "n/1=a:1"}) ==
        "hadcs: --initial-cluster: member name 'n/1': use only letters, digits, '.', '-' and '_'");
  CHECK(error_of({"--initial-cluster", "n1=a:1,n2=a:1"}) ==
        "hadcs: --initial-cluster: peer URL http://a:1 is given to both 'n1' and 'n2'");
  CHECK(error_of({"--initial-cluster", "n1=http://127.0.0.1:2380"}) ==
        "hadcs: --initial-cluster does not list this member 'default'; add default=<its peer URL>");
  CHECK(error_of({"--name", "n1", "--initial-cluster", "n1=http://10.0.0.9:2380"}) ==
        "hadcs: --initial-cluster gives 'n1' the peer URLs http://10.0.0.9:2380 but "
        "--initial-advertise-peer-urls is http://127.0.0.1:2380; they must be the same");
  CHECK(error_of({"--initial-cluster-state", "old"}) ==
        "hadcs: --initial-cluster-state must be 'new' or 'existing', not 'old'");
  CHECK(error_of({"--heartbeat-interval", "0"}) ==
        "hadcs: --heartbeat-interval must be at least 1 ms");
  CHECK(
      error_of({"--election-timeout", "499"}) ==
      "hadcs: --election-timeout (499 ms) must be at least 5 times --heartbeat-interval (100 ms)");
  CHECK(error_of({"--heartbeat-interval", "10000", "--election-timeout", "50001"}) ==
        "hadcs: --election-timeout must be at most 50000 ms");
  CHECK(error_of({"--snapshot-count", "0"}) == "hadcs: --snapshot-count must be at least 1");
  CHECK(error_of({"--leader-writes", "later"}) ==
        "hadcs: --leader-writes must be 'async' or 'sync', not 'later'");
  CHECK(error_of({"--max-request-bytes", "0"}) == "hadcs: --max-request-bytes must be at least 1");
  CHECK(error_of({"--quota-backend-bytes", "1kb"}) ==
        "hadcs: --max-request-bytes (1572864) must not exceed --quota-backend-bytes (1024)");
  CHECK(error_of({"--metrics-listen", "localhost"}) ==
        "hadcs: --metrics-listen: 'localhost': missing ':port'");
}

TEST_CASE("the timing rule allows exactly five heartbeats") {
  CHECK(parse({"--heartbeat-interval", "100", "--election-timeout", "500"}).run);
}

TEST_CASE("a member with two peer URLs lists both in the initial cluster") {
  const auto cl =
      parse({"--name", "n1", "--listen-peer-urls", "http://10.0.0.1:2380,http://[fd00::1]:2380",
             "--initial-cluster",
             "n1=http://[fd00::1]:2380, n1=http://10.0.0.1:2380, n2=http://10.0.0.2:2380"});
  INFO(cl.err);
  CHECK(cl.run);
  CHECK(cl.options.initial_cluster.size() == 3);
}

TEST_CASE("the config file uses the long option names; the command line wins") {
  TempFile file(
      "name: n2\n"
      "data-dir: /srv/hadcs\n"
      "listen-peer-urls: [http://10.0.0.2:2380]\n"
      "initial-cluster:\n"
      "  - n1=http://10.0.0.1:2380\n"
      "  - n2=http://10.0.0.2:2380\n"
      "election-timeout: 2000\n"
      "max-request-bytes: 1mb\n");
  const auto cl = parse({"--config-file", file.path(), "--data-dir", "/override"});
  INFO(cl.err);
  REQUIRE(cl.run);
  const auto& o = cl.options;
  CHECK(o.name == "n2");
  CHECK(o.data_dir == "/override");
  CHECK(o.initial_cluster.size() == 2);
  CHECK(o.election_timeout == 2000ms);
  CHECK(o.max_request_bytes == 1 << 20);
  CHECK(o.config_file == file.path());
}

TEST_CASE("an empty config file changes nothing") {
  TempFile file("");
  const auto cl = parse({"--config-file", file.path()});
  REQUIRE(cl.run);
  CHECK(cl.options.name == "default");
}

TEST_CASE("each bad config file gets its one-line error") {
  const auto error_for = [](const std::string& contents) {
    TempFile file(contents);
    std::string err = error_of({"--config-file", file.path()});
    const std::string where = "config file '" + file.path() + "'";
    const auto at = err.find(where);
    if (at != std::string::npos) err.replace(at, where.size(), "config file 'F'");
    return err;
  };
  CHECK(error_for("bogus: 1\n") ==
        "hadcs: config file 'F': unknown key 'bogus' (keys are the long option names, e.g. "
        "data-dir)");
  CHECK(error_for("config-file: x.yml\n") ==
        "hadcs: config file 'F': unknown key 'config-file' (keys are the long option names, e.g. "
        "data-dir)");
  CHECK(error_for("snapshot-count: abc\n") ==
        "hadcs: config file 'F': snapshot-count: Could not convert: --snapshot-count = abc");
  CHECK(error_for("- a\n- b\n") ==
        "hadcs: config file 'F': expected a map of option names to values");
  CHECK(error_for("name: {a: 1}\n") ==
        "hadcs: config file 'F': name: expected a value or a list of values");
  CHECK(error_for("initial-cluster: [[a]]\n") ==
        "hadcs: config file 'F': initial-cluster: list items must be plain values");
  CHECK(
      error_for("name: [unclosed\n").rfind("hadcs: config file 'F': yaml-cpp: error at line", 0) ==
      0);
  // Values from the file are checked like the flags.
  CHECK(
      error_for("election-timeout: 300\n") ==
      "hadcs: --election-timeout (300 ms) must be at least 5 times --heartbeat-interval (100 ms)");

  CHECK(error_of({"--config-file", "/nonexistent/hadcs.yml"}) ==
        "hadcs: cannot read config file '/nonexistent/hadcs.yml': No such file or directory");
  CHECK(error_of({"--config-file", "/"}) == "hadcs: config file '/' is a directory");
}

TEST_CASE("validate() checks a ServerOptions built in code") {
  ha::dcs::ServerOptions o = parse({}).options;
  CHECK(ha::dcs::validate(o).empty());
  o.data_dir.clear();
  CHECK(ha::dcs::validate(o) == "--data-dir must not be empty");
  o = parse({}).options;
  o.listen_client_urls.clear();
  CHECK(ha::dcs::validate(o) == "--listen-client-urls must name at least one URL");
  o = parse({}).options;
  o.listen_peer_urls.clear();
  CHECK(ha::dcs::validate(o) == "--listen-peer-urls must name at least one URL");
}
