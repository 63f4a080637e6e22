#include "dcs/client/rpc_error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "dcs/client/failure.hpp"

namespace ha::dcs {

namespace {

bool has(std::string_view text, std::string_view needle) {
  auto it = std::search(text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != text.end();
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// What to do about a server's answer, by the words in it; "" when nothing specific applies.
std::string advice_for_message(std::string_view m) {
  if (has(m, "no leader")) {
    return "the cluster has no leader: a majority of members may be down or cut off; check `hactl dcs status`";
  }
  if (has(m, "leader changed") || has(m, "request timed out")) {
    return "a leader election was in progress; try again";
  }
  if (has(m, "compacted")) return "that history is gone; ask for a newer revision";
  if (has(m, "future revision")) return "that revision does not exist yet; ask for an older one";
  if (has(m, "lease not found")) return "the lease expired or was revoked; grant a new one";
  if (has(m, "space exceeded")) return "the store is full; compact old revisions or raise the size limit";
  if (has(m, "too many requests")) return "the member is overloaded; try again later";
  if (has(m, "not leader")) return "send it to the leader (see `hactl dcs status`)";
  return {};
}

std::string advice_for_code(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT: return "fix the request";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "check that the endpoint is a hadcs (or etcd v3) client URL and that the versions match";
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED: return "this client does not support authentication";
    case grpc::StatusCode::UNAVAILABLE: return "try again; check `hactl dcs status` if it persists";
    default: return {};
  }
}

}  // namespace

bool RpcError::is_compacted() const {
  return code == grpc::StatusCode::OUT_OF_RANGE && has(message, "compacted");
}

bool RpcError::is_lease_not_found() const {
  return code == grpc::StatusCode::NOT_FOUND && has(message, "lease not found");
}

bool RpcError::is_unreachable() const {
  if (code == grpc::StatusCode::DEADLINE_EXCEEDED) return true;
  return code == grpc::StatusCode::UNAVAILABLE && !network_reason(message).empty();
}

std::string RpcError::to_string() const {
  const std::string where = tried.empty() ? endpoint : join(tried);
  if (code == grpc::StatusCode::CANCELLED) {
    return fmt::format("the call to hadcs at {} was cancelled (the client is shutting down)", where);
  }
  if (code == grpc::StatusCode::DEADLINE_EXCEEDED) {
    std::string within = timeout.count() > 0 ? fmt::format(" within {} ms", timeout.count()) : std::string();
    return fmt::format(
        "no answer from hadcs at {}{}; a member may be stopped or overloaded, or the cluster may have lost "
        "quorum (a write may or may not have taken effect); check `hactl dcs status`, or raise the timeout",
        where, within);
  }
  if (code == grpc::StatusCode::UNAVAILABLE) {
    std::string reason = network_reason(message);
    if (!reason.empty()) {
      return fmt::format("no hadcs member reachable at {}: {}; check that hadcs runs and the endpoints are right",
                         where, reason);
    }
  }
  std::string text = fmt::format("hadcs at {} answered {}: {}", endpoint.empty() ? where : endpoint,
                                 status_code_name(code), message.empty() ? "(no message)" : message);
  std::string advice = advice_for_message(message);
  if (advice.empty()) advice = advice_for_code(code);
  if (!advice.empty()) text += "; " + advice;
  return text;
}

}  // namespace ha::dcs
