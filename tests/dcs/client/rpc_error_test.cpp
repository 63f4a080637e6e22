// RpcError::to_string: each kind of failure says what happened, where, and what to do.
#include "dcs/client/rpc_error.hpp"

#include <catch2/catch.hpp>

using grpc::StatusCode;
using ha::dcs::RpcError;
using Catch::Matchers::Contains;

namespace {
RpcError make(StatusCode code, std::string message, std::vector<std::string> tried) {
  RpcError e;
  e.code = code;
  e.message = std::move(message);
  e.endpoint = tried.back();
  e.tried = std::move(tried);
  e.timeout = std::chrono::milliseconds(2000);
  return e;
}
}  // namespace

TEST_CASE("unreachable members: every endpoint, the cause, and what to check") {
  auto e = make(StatusCode::UNAVAILABLE,
                "failed to connect to all addresses; last error: UNKNOWN: ipv4:10.0.0.2:2379: Failed to connect to "
                "remote host: Connection refused",
                {"10.0.0.1:2379", "10.0.0.2:2379"});
  CHECK(e.to_string() ==
        "no hadcs member reachable at 10.0.0.1:2379, 10.0.0.2:2379: connection refused; check that hadcs runs "
        "and the endpoints are right");
  CHECK(e.is_unreachable());
  CHECK_FALSE(e.is_compacted());
}

TEST_CASE("no answer in time names the deadline") {
  auto e = make(StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded", {"a:1", "b:2", "c:3"});
  CHECK_THAT(e.to_string(), Contains("no answer from hadcs at a:1, b:2, c:3 within 2000 ms"));
  CHECK_THAT(e.to_string(), Contains("hactl dcs status"));
  CHECK(e.is_unreachable());
}

TEST_CASE("a cluster without a leader is told apart") {
  auto e = make(StatusCode::UNAVAILABLE, "etcdserver: no leader", {"a:1"});
  CHECK(e.to_string() ==
        "hadcs at a:1 answered UNAVAILABLE: etcdserver: no leader; the cluster has no leader: a majority of members "
        "may be down or cut off; check `hactl dcs status`");
  CHECK_FALSE(e.is_unreachable());
}

TEST_CASE("server answers keep their text and get specific advice") {
  auto compacted = make(StatusCode::OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted", {"a:1"});
  CHECK(compacted.is_compacted());
  CHECK_THAT(compacted.to_string(), Contains("ask for a newer revision"));

  auto lease = make(StatusCode::NOT_FOUND, "etcdserver: requested lease not found", {"a:1"});
  CHECK(lease.is_lease_not_found());
  CHECK_THAT(lease.to_string(), Contains("grant a new one"));

  auto bad = make(StatusCode::INVALID_ARGUMENT, "etcdserver: key is not provided", {"a:1"});
  CHECK(bad.to_string() == "hadcs at a:1 answered INVALID_ARGUMENT: etcdserver: key is not provided; fix the request");

  auto unimpl = make(StatusCode::UNIMPLEMENTED, "", {"a:1"});
  CHECK_THAT(unimpl.to_string(), Contains("(no message)"));
  CHECK_THAT(unimpl.to_string(), Contains("client URL"));
}

TEST_CASE("a result holds either a value or an error") {
  ha::dcs::RpcResult<int> good(7);
  REQUIRE(good.ok());
  CHECK(good.value() == 7);
  ha::dcs::RpcResult<int> bad(make(StatusCode::CANCELLED, "", {"a:1"}));
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().to_string(), Contains("cancelled"));
}
