// PgError and PgResult<T>: how every PostgreSQL control call reports failure — as a value with
// a kind and one clear message, never as an exception. Not a general-purpose expected<>.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "raft/assert.hpp"

namespace ha::agent::pg {

enum class PgErrorKind {
  kCommand,     // a program (initdb, pg_ctl, pg_basebackup ...) failed or could not be started
  kTimeout,     // a command, a connection or a query ran out of time
  kConnection,  // could not connect, or the connection broke
  kQuery,       // the server answered with an error
  kState,       // the call makes no sense in the current state (already running, not stopped ...)
  kIo,          // reading or writing a file or directory failed
  kInvalid,     // a bad argument (a parameter name, a slot name, an unparsable answer ...)
};

const char* to_string(PgErrorKind kind);

struct PgError {
  PgErrorKind kind = PgErrorKind::kCommand;
  std::string message;   // one line: what failed and why, naming the path, host or command
  std::string sqlstate;  // for kQuery (and server-side timeouts): the SQLSTATE, else empty
};

template <class T>
class [[nodiscard]] PgResult {
 public:
  PgResult(T value) : v_(std::move(value)) {}        // NOLINT: implicit on purpose
  PgResult(PgError error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    HA_ASSERT(ok(), "PgResult::value() on an error");
    return std::get<0>(v_);
  }
  const T& value() const& {
    HA_ASSERT(ok(), "PgResult::value() on an error");
    return std::get<0>(v_);
  }
  T&& value() && {
    HA_ASSERT(ok(), "PgResult::value() on an error");
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const PgError& error() const {
    HA_ASSERT(!ok(), "PgResult::error() on a success");
    return std::get<1>(v_);
  }
  // The error message, or "" on success (handy in test output and logs).
  std::string message() const { return ok() ? std::string() : error().message; }

 private:
  std::variant<T, PgError> v_;
};

template <>
class [[nodiscard]] PgResult<void> {
 public:
  PgResult() = default;
  PgResult(PgError error) : error_(std::move(error)) {}  // NOLINT

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const PgError& error() const {
    HA_ASSERT(!ok(), "PgResult::error() on a success");
    return *error_;
  }
  std::string message() const { return ok() ? std::string() : error_->message; }

 private:
  std::optional<PgError> error_;
};

using PgStatus = PgResult<void>;

inline PgError pg_error(PgErrorKind kind, std::string message) {
  return PgError{kind, std::move(message), {}};
}

}  // namespace ha::agent::pg
