// RpcError and RpcResult<T>: what every call of the DCS client library returns — the response,
// or the gRPC status code, the server's or gRPC's message and the endpoints tried, with a
// to_string() that tells a person what to do. Not an exception type; nothing here throws.
#pragma once

#include <grpcpp/support/status_code_enum.h>

#include <cassert>
#include <chrono>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ha::dcs {

struct RpcError {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  std::string message;                // as the server or gRPC said it
  std::string endpoint;               // host:port of the last attempt ("" if none was made)
  std::vector<std::string> tried;     // every endpoint tried, first attempt first, no repeats
  std::chrono::milliseconds timeout{0};  // the call's overall deadline (0 = not known)

  // One line for people, e.g. "no hadcs member reachable at 10.0.0.1:2379, 10.0.0.2:2379:
  // connection refused; check that hadcs runs and the endpoints are right".
  std::string to_string() const;

  // The request asked for history older than the store keeps ("required revision has been compacted").
  bool is_compacted() const;
  // The lease named in the request does not exist (any more).
  bool is_lease_not_found() const;
  // No member could be reached or none answered in time: the outcome of a write is unknown.
  bool is_unreachable() const;
};

template <class T>
class [[nodiscard]] RpcResult {
 public:
  RpcResult(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  RpcResult(RpcError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const RpcError& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, RpcError> v_;
};

}  // namespace ha::dcs
