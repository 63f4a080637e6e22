// Errors of the DCS state machine: a code (numbered like gRPC's status codes, so the server maps
// it 1:1 to grpc::Status) and a message (etcd's exact text where etcd clients match on it).
// Not a transport type: nothing here depends on gRPC.
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace ha::dcs {

// Same numbers as grpc::StatusCode.
enum class ErrorCode : std::uint8_t {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

struct Error {
  ErrorCode code = ErrorCode::kUnknown;
  std::string message;

  bool operator==(const Error&) const = default;
};

// A value or an error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

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
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Success or an error, for operations without a value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(failed_);
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

// The errors clients see. Texts marked "etcd" are etcd's own: clientv3 turns them back into
// typed errors by exact message, so they must not change.
namespace errors {

Error empty_key();            // etcd
Error key_not_found();        // etcd (ignore_value/ignore_lease on a missing key)
Error value_provided();       // etcd
Error lease_provided();       // etcd
Error too_many_ops();         // etcd
Error duplicate_key();        // etcd
Error compacted();            // etcd
Error future_revision();      // etcd
Error request_too_large();    // etcd
Error lease_not_found();      // etcd
Error lease_exists();         // etcd
Error lease_ttl_too_large();  // etcd
Error member_exists();        // etcd
Error peer_url_exists();      // etcd
Error member_not_found();     // etcd
Error member_not_learner();   // etcd
Error key_too_large(std::size_t size, std::size_t limit);
Error value_too_large(std::size_t size, std::size_t limit);
Error lease_ttl_too_small(std::int64_t ttl, std::int64_t min_ttl);
Error invalid_range(const std::string& what);
Error malformed(const std::string& what);

}  // namespace errors

}  // namespace ha::dcs
