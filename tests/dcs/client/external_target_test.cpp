// The same conformance scenarios against any running etcd-v3 server named by HA_DCS_ENDPOINTS
// (e.g. a hadcs cluster: "127.0.0.1:2379,127.0.0.1:22379"). Hidden from the default run:
//   HA_DCS_ENDPOINTS=... dcs_client_etcd_test "[external]"
// Keys go under /ha-client-test-<pid>; the scenarios that compact or add members run too.
// "[external-failover]" also needs HA_DCS_PIDS (the members' PIDs, in endpoint order) and kills
// the leader with SIGKILL.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <sstream>

#include "client_conformance.hpp"

namespace {

ha::test::DcsTarget external_target() {
  const char* env = std::getenv("HA_DCS_ENDPOINTS");
  ha::test::DcsTarget t;
  if (env == nullptr || *env == '\0') return t;
  std::string error = ha::dcs::parse_endpoint_list(env, t.endpoints);
  INFO(error);
  REQUIRE(error.empty());
  if (const char* ttl = std::getenv("HA_DCS_LEASE_TTL")) t.lease_ttl = std::atoll(ttl);
  t.prefix = "/ha-client-test-" + std::to_string(::getpid());
  return t;
}

template <class Scenario>
void with_external(Scenario scenario) {
  auto t = external_target();
  if (t.endpoints.empty()) {
    WARN("HA_DCS_ENDPOINTS is not set; skipped");
    return;
  }
  scenario(t);
}

}  // namespace

TEST_CASE("external: kv", "[.][external]") { with_external(ha::test::check_kv); }
TEST_CASE("external: txn", "[.][external]") { with_external(ha::test::check_txn_cas); }
TEST_CASE("external: compaction", "[.][external]") { with_external(ha::test::check_compaction); }
TEST_CASE("external: lease keeper", "[.][external]") { with_external(ha::test::check_lease_keeper); }
TEST_CASE("external: lease keeper moves", "[.][external]") { with_external(ha::test::check_lease_keeper_moves); }
TEST_CASE("external: watch order", "[.][external]") { with_external(ha::test::check_watch_order); }
TEST_CASE("external: watch outage", "[.][external]") { with_external(ha::test::check_watch_resume_after_outage); }
TEST_CASE("external: watch elsewhere", "[.][external]") { with_external(ha::test::check_watch_resume_elsewhere); }
TEST_CASE("external: watch compacted", "[.][external]") { with_external(ha::test::check_watch_compacted); }
TEST_CASE("external: cluster calls", "[.][external]") { with_external(ha::test::check_cluster_calls); }
TEST_CASE("external: unreachable", "[.][external]") { with_external(ha::test::check_unreachable); }
TEST_CASE("external: prompt shutdown", "[.][external]") { with_external(ha::test::check_prompt_shutdown); }

TEST_CASE("external: survives leader loss", "[.][external-failover]") {
  auto t = external_target();
  const char* pids_env = std::getenv("HA_DCS_PIDS");
  if (t.endpoints.empty() || pids_env == nullptr) {
    WARN("HA_DCS_ENDPOINTS or HA_DCS_PIDS is not set; skipped");
    return;
  }
  std::vector<pid_t> pids;
  std::stringstream ss(pids_env);
  for (std::string item; std::getline(ss, item, ',');) pids.push_back(static_cast<pid_t>(std::stol(item)));
  REQUIRE(pids.size() == t.endpoints.size());
  if (std::getenv("HA_DCS_LEASE_TTL") == nullptr) t.lease_ttl = 5;
  ha::test::check_survives_leader_loss(t, [&](const ha::dcs::Endpoint& leader) {
    for (std::size_t i = 0; i < t.endpoints.size(); ++i) {
      if (t.endpoints[i] == leader) ::kill(pids[i], SIGKILL);
    }
  });
}
