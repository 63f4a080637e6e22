// The client library against a real single-member etcd 3.4 (Debian's etcd-server): each case
// starts its own etcd on free loopback ports, runs one conformance scenario, and kills it.
#include <catch2/catch.hpp>

#include "client_conformance.hpp"
#include "etcd_process.hpp"

using ha::test::DcsTarget;
using ha::test::EtcdProcess;

namespace {

// Runs `scenario` against a fresh etcd; skipped (with a warning) when etcd is not installed.
template <class Scenario>
void with_etcd(Scenario scenario) {
  if (!EtcdProcess::available()) {
    WARN("etcd not found at " << EtcdProcess::binary() << "; skipped (install etcd-server)");
    return;
  }
  std::string error;
  auto etcd = EtcdProcess::start(error);
  INFO(error);
  REQUIRE(etcd != nullptr);
  DcsTarget target;
  target.endpoints = {etcd->client_endpoint()};
  scenario(target);
}

}  // namespace

TEST_CASE("etcd: put, get, prefix, range, revision, delete", "[etcd]") { with_etcd(ha::test::check_kv); }
TEST_CASE("etcd: txn create-if-absent and compare-and-set", "[etcd]") { with_etcd(ha::test::check_txn_cas); }
TEST_CASE("etcd: compaction makes old revisions an error", "[etcd]") { with_etcd(ha::test::check_compaction); }
TEST_CASE("etcd: lease keeper keeps a key past its TTL and revoke deletes it", "[etcd]") {
  with_etcd(ha::test::check_lease_keeper);
}
TEST_CASE("etcd: lease keeper survives a cut connection", "[etcd]") { with_etcd(ha::test::check_lease_keeper_moves); }
TEST_CASE("etcd: watch delivers events in order and replays history", "[etcd]") {
  with_etcd(ha::test::check_watch_order);
}
TEST_CASE("etcd: watch resumes after an outage without losing events", "[etcd]") {
  with_etcd(ha::test::check_watch_resume_after_outage);
}
TEST_CASE("etcd: watch resumes elsewhere while writes go on, no loss, no repeat", "[etcd]") {
  with_etcd(ha::test::check_watch_resume_elsewhere);
}
TEST_CASE("etcd: watch from a compacted revision reports compaction", "[etcd]") {
  with_etcd(ha::test::check_watch_compacted);
}
TEST_CASE("etcd: status, leader, members, learner add and remove", "[etcd]") {
  with_etcd(ha::test::check_cluster_calls);
}
TEST_CASE("etcd: refused and silent endpoints, deadlines, rotation", "[etcd]") {
  with_etcd(ha::test::check_unreachable);
}
TEST_CASE("etcd: watchers, keepers and clients stop promptly", "[etcd]") {
  with_etcd(ha::test::check_prompt_shutdown);
}
