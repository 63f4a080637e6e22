// Retry classification: which failures may move a call to another endpoint.
#include "dcs/client/failure.hpp"

#include <catch2/catch.hpp>

using grpc::StatusCode;
using ha::dcs::classify_failure;
using ha::dcs::FailureKind;
using ha::dcs::network_reason;
using ha::dcs::should_retry;

TEST_CASE("a call that never had a connection was not sent") {
  CHECK(classify_failure(StatusCode::UNAVAILABLE,
                         "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: Failed to "
                         "connect to remote host: Connection refused",
                         false) == FailureKind::kNotSent);
  // Even when the channel happened to be ready at the end, gRPC's own text says it never left.
  CHECK(classify_failure(StatusCode::UNAVAILABLE, "failed to connect to all addresses", true) ==
        FailureKind::kNotSent);
  CHECK(classify_failure(StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded", false) == FailureKind::kNotSent);
}

TEST_CASE("ambiguous failures on a live connection are transient") {
  CHECK(classify_failure(StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded", true) == FailureKind::kTransient);
  CHECK(classify_failure(StatusCode::UNAVAILABLE, "Socket closed", true) == FailureKind::kTransient);
  CHECK(classify_failure(StatusCode::UNAVAILABLE, "etcdserver: no leader", true) == FailureKind::kTransient);
  CHECK(classify_failure(StatusCode::UNAVAILABLE, "etcdserver: leader changed", true) == FailureKind::kTransient);
  CHECK(classify_failure(StatusCode::UNAVAILABLE, "etcdserver: request timed out", true) ==
        FailureKind::kTransient);
  CHECK(classify_failure(StatusCode::RESOURCE_EXHAUSTED, "etcdserver: too many requests", true) ==
        FailureKind::kTransient);
}

TEST_CASE("a member that refused up front did nothing") {
  CHECK(classify_failure(StatusCode::FAILED_PRECONDITION, "etcdserver: not leader", true) == FailureKind::kNotSent);
  CHECK(classify_failure(StatusCode::UNAVAILABLE, "etcdserver: not capable", true) == FailureKind::kNotSent);
}

TEST_CASE("answers that stand are final") {
  CHECK(classify_failure(StatusCode::INVALID_ARGUMENT, "etcdserver: key is not provided", true) ==
        FailureKind::kFinal);
  CHECK(classify_failure(StatusCode::NOT_FOUND, "etcdserver: requested lease not found", true) ==
        FailureKind::kFinal);
  CHECK(classify_failure(StatusCode::OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted", true) ==
        FailureKind::kFinal);
  CHECK(classify_failure(StatusCode::CANCELLED, "Cancelled", true) == FailureKind::kFinal);
  CHECK(classify_failure(StatusCode::UNIMPLEMENTED, "", true) == FailureKind::kFinal);
  CHECK(classify_failure(StatusCode::RESOURCE_EXHAUSTED, "etcdserver: mvcc: database space exceeded", true) ==
        FailureKind::kFinal);
}

TEST_CASE("only idempotent or retry-safe calls retry after ambiguous failures") {
  CHECK(should_retry(FailureKind::kNotSent, false));
  CHECK(should_retry(FailureKind::kNotSent, true));
  CHECK_FALSE(should_retry(FailureKind::kTransient, false));
  CHECK(should_retry(FailureKind::kTransient, true));
  CHECK_FALSE(should_retry(FailureKind::kFinal, true));
}

TEST_CASE("network causes in a few words") {
  CHECK(network_reason("failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: Failed to "
                       "connect to remote host: Connection refused") == "connection refused");
  CHECK(network_reason("DNS resolution failed for nosuchhost:2379: C-ares status is not ARES_SUCCESS") ==
        "host name not found");
  CHECK(network_reason("connect timed out: 10.0.0.1:2379") == "connection timed out");
  CHECK(network_reason("Socket closed") == "connection lost");
  CHECK(network_reason("etcdserver: no leader").empty());
}
