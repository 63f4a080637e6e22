// Typed reading of text rows returned by PgConnection (bools, integers, LSNs, NULLs), with
// errors that name the column. Internal to the query files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "agent/lsn.hpp"
#include "agent/postgres/pg_connection.hpp"

namespace ha::agent::pg {

class RowReader {
 public:
  RowReader(const QueryResult& result, std::size_t row, std::string what)
      : result_(result), row_(row), what_(std::move(what)) {}

  std::optional<std::string> text(const char* column);
  std::string text_or_empty(const char* column);
  bool boolean(const char* column);
  std::int64_t integer(const char* column);  // 0 for NULL
  std::uint64_t unsigned_integer(const char* column);
  double real(const char* column);
  std::optional<Lsn> lsn(const char* column);

  // The first problem seen (a missing column, an unparsable value), if any.
  const std::optional<PgError>& error() const { return error_; }

 private:
  const std::optional<std::string>* cell(const char* column);
  void fail(const char* column, const std::string& why);

  const QueryResult& result_;
  std::size_t row_;
  std::string what_;
  std::optional<PgError> error_;
};

}  // namespace ha::agent::pg
