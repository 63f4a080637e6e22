// How the client reads a failed call: whether the request may have reached a server, whether
// trying another endpoint can help, and a short human reason ("connection refused") for error
// texts. Pure functions of the gRPC status; no I/O.
#pragma once

#include <grpcpp/support/status_code_enum.h>

#include <string>
#include <string_view>

namespace ha::dcs {

enum class FailureKind {
  // The request never reached a member that could act on it (no connection, or the member
  // refused it up front): sending it elsewhere is safe for every call.
  kNotSent,
  // Another member or a later try may succeed, but the request may already have been applied:
  // retried only for idempotent calls or when the caller says a second run is harmless.
  kTransient,
  // The answer stands (bad request, unknown lease, compacted revision, cancelled ...).
  kFinal,
};

// `connected`: the channel was READY when the call was sent or when it failed. A call that
// never had a connection cannot have been delivered.
FailureKind classify_failure(grpc::StatusCode code, std::string_view message, bool connected);

// Whether the call should move on to the next endpoint after a failure of this kind.
bool should_retry(FailureKind kind, bool retry_safe);

// The network cause in a gRPC message, in a few words ("connection refused", "host name not
// found", ...), or "" when the message names none.
std::string network_reason(std::string_view message);

// "UNAVAILABLE", "DEADLINE_EXCEEDED", ...
std::string status_code_name(grpc::StatusCode code);

}  // namespace ha::dcs
