#include "dcs/client/call_runner.hpp"

#include <algorithm>
#include <thread>

#include "dcs/client/failure.hpp"
#include "dcs/client/log.hpp"

namespace ha::dcs::client_detail {

namespace {

using Clock = std::chrono::steady_clock;

// Waits until the channel is READY or has failed to connect (TRANSIENT_FAILURE), or `until`.
grpc_connectivity_state settle(grpc::Channel& channel, Clock::time_point until) {
  auto state = channel.GetState(true);
  while (state != GRPC_CHANNEL_READY && state != GRPC_CHANNEL_TRANSIENT_FAILURE &&
         state != GRPC_CHANNEL_SHUTDOWN) {
    if (!channel.WaitForStateChange(state, to_system(until))) break;
    state = channel.GetState(true);
  }
  return state;
}

void add_tried(RpcError& e, const std::string& name) {
  if (std::find(e.tried.begin(), e.tried.end(), name) == e.tried.end()) e.tried.push_back(name);
}

}  // namespace

std::chrono::system_clock::time_point to_system(Clock::time_point t) {
  auto left = t - Clock::now();
  return std::chrono::system_clock::now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(left);
}

std::chrono::milliseconds call_timeout(const EndpointSet& set, const CallOptions& options) {
  return options.timeout.value_or(set.options().default_timeout);
}

std::optional<RpcError> run_call(EndpointSet& set, const CallSpec& spec, const CallOptions& options,
                                 const Attempt& attempt) {
  const auto timeout = call_timeout(set, options);
  const auto deadline = Clock::now() + timeout;
  const bool retry_safe = spec.idempotent || options.retry_safe;

  RpcError last;        // the last failure
  bool have_last = false;
  bool last_from_server = false;  // `last` is a server's answer, worth more than a network error

  auto record = [&](grpc::StatusCode code, std::string message, const std::string& name, bool from_server) {
    add_tried(last, name);
    if (!from_server && last_from_server) return;  // keep the more telling answer
    last.code = code;
    last.message = std::move(message);
    last.endpoint = name;
    have_last = true;
    last_from_server = from_server;
  };

  for (int round = 0;; ++round) {
    std::vector<std::size_t> order =
        spec.only ? std::vector<std::size_t>{*spec.only} : set.attempt_order(spec.write);
    for (std::size_t k = 0; k < order.size(); ++k) {
      const auto now = Clock::now();
      if (now >= deadline) break;
      const auto share = (deadline - now) / static_cast<long>(order.size() - k);
      EndpointConn& conn = set.at(order[k]);

      auto before = settle(*conn.channel, now + share);
      if (before != GRPC_CHANNEL_READY && before != GRPC_CHANNEL_TRANSIENT_FAILURE) {
        record(grpc::StatusCode::UNAVAILABLE, "connect timed out: " + conn.name, conn.name, false);
        log_debug("dcs-client", "{} via {}: connect timed out", spec.what, conn.name);
        set.mark_bad(order[k]);
        continue;
      }

      grpc::ClientContext ctx;
      const auto start = Clock::now();
      // An ambiguous failure ends a call that may not be retried, so such a call gets all the time left.
      auto call_deadline = retry_safe ? start + (deadline - start) / static_cast<long>(order.size() - k) : deadline;
      ctx.set_deadline(to_system(call_deadline));
      grpc::Status status = attempt(conn, ctx);
      if (status.ok()) {
        set.mark_good(order[k]);
        return std::nullopt;
      }
      const bool connected =
          before == GRPC_CHANNEL_READY || conn.channel->GetState(false) == GRPC_CHANNEL_READY;
      const auto kind = classify_failure(status.error_code(), status.error_message(), connected);
      const bool from_server = connected && status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED &&
                               network_reason(status.error_message()).empty();
      record(status.error_code(), status.error_message(), conn.name, from_server);
      if (!should_retry(kind, retry_safe)) {
        if (kind == FailureKind::kTransient) set.mark_bad(order[k]);
        // Report this answer, not an older one from elsewhere.
        last.code = status.error_code();
        last.message = status.error_message();
        last.endpoint = conn.name;
        last.timeout = timeout;
        return last;
      }
      log_debug("dcs-client", "{} via {} failed ({}: {}); trying the next endpoint", spec.what, conn.name,
                status_code_name(status.error_code()), status.error_message());
      set.mark_bad(order[k]);
    }
    if (spec.only) break;  // one endpoint asked about: its answer, no waiting for a better one
    const auto now = Clock::now();
    if (now >= deadline) break;
    auto pause = set.options().retry_pause * (1 << std::min(round, 2));
    std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
  }
  if (!have_last) {
    last.code = grpc::StatusCode::DEADLINE_EXCEEDED;
    last.message = "deadline passed before any endpoint could be tried";
  }
  last.timeout = timeout;
  return last;
}

}  // namespace ha::dcs::client_detail
