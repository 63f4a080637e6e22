#include "dcs/client/failure.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace ha::dcs {

namespace {

bool contains_nocase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != haystack.end();
}

// Server answers that mean "this member did nothing with the request".
constexpr std::array<std::string_view, 3> kRefusedUpFront = {
    "etcdserver: not leader",   // e.g. MoveLeader sent to a follower
    "etcdserver: not capable",  // the member cannot serve this yet
    "etcdserver: stopped",      // the member is shutting down
};

// Server answers that ask for a retry elsewhere or later; a write may have been applied.
constexpr std::array<std::string_view, 5> kTransientServer = {
    "etcdserver: no leader",
    "etcdserver: leader changed",
    "etcdserver: request timed out",
    "etcdserver: too many requests",
    "etcdserver: unhealthy cluster",
};

}  // namespace

FailureKind classify_failure(grpc::StatusCode code, std::string_view message, bool connected) {
  for (auto m : kRefusedUpFront) {
    if (contains_nocase(message, m)) return FailureKind::kNotSent;
  }
  if (code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED) {
    // gRPC fails a call at once, without sending it, while the channel cannot connect.
    if (!connected || contains_nocase(message, "failed to connect to all addresses") ||
        contains_nocase(message, "empty address list")) {
      return FailureKind::kNotSent;
    }
    return FailureKind::kTransient;
  }
  for (auto m : kTransientServer) {
    if (contains_nocase(message, m)) return FailureKind::kTransient;
  }
  return FailureKind::kFinal;
}

bool should_retry(FailureKind kind, bool retry_safe) {
  switch (kind) {
    case FailureKind::kNotSent: return true;
    case FailureKind::kTransient: return retry_safe;
    case FailureKind::kFinal: return false;
  }
  return false;
}

std::string network_reason(std::string_view message) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 11> kCauses = {{
      {"connection refused", "connection refused"},
      {"dns resolution failed", "host name not found"},
      {"name resolution", "host name not found"},
      {"no route to host", "no route to host"},
      {"network is unreachable", "network unreachable"},
      {"connection reset", "connection reset"},
      {"broken pipe", "connection lost"},
      {"socket closed", "connection lost"},
      {"connection timed out", "connection timed out"},
      {"connect timed out", "connection timed out"},
      {"failed to connect", "cannot connect"},
  }};
  for (const auto& [needle, reason] : kCauses) {
    if (contains_nocase(message, needle)) return std::string(reason);
  }
  return {};
}

std::string status_code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: break;
  }
  return "code " + std::to_string(static_cast<int>(code));
}

}  // namespace ha::dcs
