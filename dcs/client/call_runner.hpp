// run_call: sends one unary request over the endpoints of an EndpointSet — waits for a
// connection within a share of the deadline, rotates on failures that allow it, pauses
// between rounds — until it succeeds, fails for good, or the call's deadline passes.
// Internal to the client library.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>

#include "dcs/client/endpoint_set.hpp"
#include "dcs/client/options.hpp"
#include "dcs/client/rpc_error.hpp"

namespace ha::dcs::client_detail {

struct CallSpec {
  std::string_view what;             // the method, for logs
  bool idempotent = false;           // retried after ambiguous failures
  bool write = false;                // goes to the leader first when the client is asked to
  std::optional<std::size_t> only;   // this endpoint and no other
};

constexpr CallSpec read_spec(std::string_view what) { return CallSpec{what, true, false, std::nullopt}; }
constexpr CallSpec write_spec(std::string_view what) { return CallSpec{what, false, true, std::nullopt}; }

using Attempt = std::function<grpc::Status(EndpointConn&, grpc::ClientContext&)>;

// nullopt on success (the attempt filled its response), else the error to report.
std::optional<RpcError> run_call(EndpointSet& set, const CallSpec& spec, const CallOptions& options,
                                 const Attempt& attempt);

// The response, or run_call's error.
template <class Resp>
RpcResult<Resp> result_of(std::optional<RpcError> error, Resp response) {
  if (error) return std::move(*error);
  return response;
}

// The call's overall timeout.
std::chrono::milliseconds call_timeout(const EndpointSet& set, const CallOptions& options);

// gRPC deadlines are system_clock time points; the library computes with steady_clock.
std::chrono::system_clock::time_point to_system(std::chrono::steady_clock::time_point t);

}  // namespace ha::dcs::client_detail
