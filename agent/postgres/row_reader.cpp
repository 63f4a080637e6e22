#include "agent/postgres/row_reader.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>

namespace ha::agent::pg {

const std::optional<std::string>* RowReader::cell(const char* column) {
  const int c = result_.column(column);
  if (c < 0 || row_ >= result_.rows.size() ||
      static_cast<std::size_t>(c) >= result_.rows[row_].size()) {
    fail(column, "no such column");
    return nullptr;
  }
  return &result_.rows[row_][static_cast<std::size_t>(c)];
}

void RowReader::fail(const char* column, const std::string& why) {
  if (!error_) {
    error_ = pg_error(PgErrorKind::kInvalid,
                      fmt::format("unexpected answer to {}: column '{}': {}", what_, column, why));
  }
}

std::optional<std::string> RowReader::text(const char* column) {
  const auto* c = cell(column);
  return c != nullptr ? *c : std::nullopt;
}

std::string RowReader::text_or_empty(const char* column) { return text(column).value_or(""); }

bool RowReader::boolean(const char* column) {
  const auto v = text(column);
  if (!v) return false;
  if (*v == "t" || *v == "true" || *v == "on") return true;
  if (*v == "f" || *v == "false" || *v == "off") return false;
  fail(column, fmt::format("'{}' is not a boolean", *v));
  return false;
}

std::int64_t RowReader::integer(const char* column) {
  const auto v = text(column);
  if (!v) return 0;
  std::int64_t out = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end != v->data() + v->size()) {
    fail(column, fmt::format("'{}' is not an integer", *v));
  }
  return out;
}

std::uint64_t RowReader::unsigned_integer(const char* column) {
  const auto v = text(column);
  if (!v) return 0;
  std::uint64_t out = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end != v->data() + v->size()) {
    fail(column, fmt::format("'{}' is not an unsigned integer", *v));
  }
  return out;
}

double RowReader::real(const char* column) {
  const auto v = text(column);
  if (!v) return 0;
  char* end = nullptr;
  const double d = std::strtod(v->c_str(), &end);
  if (end == v->c_str() || *end != '\0') fail(column, fmt::format("'{}' is not a number", *v));
  return d;
}

std::optional<Lsn> RowReader::lsn(const char* column) {
  const auto v = text(column);
  if (!v) return std::nullopt;
  const auto l = parse_lsn(*v);
  if (!l) fail(column, fmt::format("'{}' is not an LSN", *v));
  return l;
}

}  // namespace ha::agent::pg
