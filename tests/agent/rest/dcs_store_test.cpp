// DcsClusterStore against a real 3-member hadcs on loopback: /failover is created only when
// absent and replaced only at the revision we saw; /config compare-and-set and unconditional
// writes; a DCS that is gone is an error, not a conflict.
#include <catch2/catch.hpp>
#include <memory>

#include "agent/dcs_values.hpp"
#include "agent/rest/dcs_cluster_store.hpp"
#include "tests/ctl/hadcs_cluster.hpp"

using namespace ha::agent;
using namespace ha::agent::rest;

namespace {

std::unique_ptr<ha::dcs::Client> client_for(const std::string& endpoints) {
  ha::dcs::ClientOptions options;
  REQUIRE(ha::dcs::parse_endpoint_list(endpoints, options.endpoints).empty());
  return std::make_unique<ha::dcs::Client>(options);
}

}  // namespace

TEST_CASE("DcsClusterStore: compare-and-set on /failover and /config in a real hadcs") {
  ha::test::HadcsCluster cluster;
  REQUIRE(cluster.wait_for_leader(30));
  auto client = client_for(cluster.endpoints());
  DcsClusterStore store(*client, "/service/demo/");

  FailoverRequest request;
  request.leader = "node1";
  request.candidate = "node2";
  REQUIRE(store.write_failover(request, std::nullopt).ok());
  auto got = client->get("/service/demo/failover");
  REQUIRE(got);
  REQUIRE(got->kvs_size() == 1);
  const auto decoded = decode_failover(got->kvs(0).value());
  REQUIRE(decoded);
  CHECK(decoded->candidate == "node2");
  const std::int64_t revision = got->kvs(0).mod_revision();

  // Created already: a create fails as a conflict; the wrong revision too; the right one wins.
  CHECK(store.write_failover(request, std::nullopt).result == StoreWrite::Result::conflict);
  CHECK(store.write_failover(request, revision + 100).result == StoreWrite::Result::conflict);
  request.candidate = "node3";
  CHECK(store.write_failover(request, revision).ok());
  got = client->get("/service/demo/failover");
  REQUIRE(got);
  CHECK(decode_failover(got->kvs(0).value())->candidate == "node3");

  // Config: absent, then written unconditionally, then by compare-and-set.
  auto read = store.read_config();
  CHECK(read.error.empty());
  CHECK_FALSE(read.value);
  REQUIRE(store.write_config(R"({"ttl": 30})", std::nullopt).ok());
  read = store.read_config();
  REQUIRE(read.value);
  CHECK(read.value->value == R"({"ttl": 30})");
  CHECK(store.write_config(R"({"ttl": 40})", read.value->mod_revision).ok());
  CHECK(store.write_config(R"({"ttl": 50})", read.value->mod_revision).result ==
        StoreWrite::Result::conflict);
  CHECK(store.read_config().value->value == R"({"ttl": 40})");
}

TEST_CASE("DcsClusterStore: no DCS is an error with a message") {
  auto client = client_for("127.0.0.1:" + std::to_string(ha::test::free_loopback_port()));
  DcsClusterStore store(*client, "/service/demo/", Millis{500});
  const auto read = store.read_config();
  CHECK_FALSE(read.value);
  CHECK_FALSE(read.error.empty());
  const auto w = store.write_failover(FailoverRequest{"a", "b", std::nullopt, 0}, std::nullopt);
  CHECK(w.result == StoreWrite::Result::failed);
  CHECK_FALSE(w.error.empty());
}
