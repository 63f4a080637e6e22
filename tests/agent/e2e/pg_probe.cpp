#include "tests/agent/e2e/pg_probe.hpp"

#include "agent/postgres/conninfo.hpp"

namespace ha::e2e {

using ha::agent::pg::ConnectOptions;
using ha::agent::pg::PgConnection;

std::string superuser_conninfo(std::uint16_t port) {
  ha::agent::pg::ConnParams p;
  p.host = "127.0.0.1";
  p.port = port;
  p.user = "postgres";
  p.dbname = "postgres";
  return ha::agent::pg::to_conninfo(p);
}

std::optional<PgConnection> pg_connect(std::uint16_t port, Ms timeout, std::string* error) {
  ConnectOptions o;
  o.conninfo = superuser_conninfo(port);
  o.connect_timeout = timeout;
  o.statement_timeout = timeout;
  o.application_name = "ha-e2e";
  auto c = PgConnection::open(o);
  if (!c.ok()) {
    if (error != nullptr) *error = c.message();
    return std::nullopt;
  }
  return std::move(c).value();
}

std::optional<bool> pg_in_recovery(std::uint16_t port, Ms timeout) {
  auto c = pg_connect(port, timeout);
  if (!c) return std::nullopt;
  auto r = c->query("SELECT pg_is_in_recovery()");
  if (!r.ok() || r->rows.empty() || !r->rows[0].at(0)) return std::nullopt;
  return *r->rows[0][0] == "t";
}

bool pg_exec(std::uint16_t port, const std::string& sql, std::string* error, Ms timeout) {
  auto c = pg_connect(port, timeout, error);
  if (!c) return false;
  auto r = c->query(sql);
  if (!r.ok() && error != nullptr) *error = r.message();
  return r.ok();
}

std::optional<std::vector<std::string>> pg_column(std::uint16_t port, const std::string& sql,
                                                  std::string* error, Ms timeout) {
  auto c = pg_connect(port, timeout, error);
  if (!c) return std::nullopt;
  auto r = c->query(sql);
  if (!r.ok()) {
    if (error != nullptr) *error = r.message();
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& row : r->rows) out.push_back(row.empty() ? "" : row[0].value_or(""));
  return out;
}

std::optional<std::string> pg_value(std::uint16_t port, const std::string& sql, Ms timeout) {
  auto c = pg_connect(port, timeout);
  if (!c) return std::nullopt;
  auto r = c->query(sql);
  if (!r.ok() || r->rows.empty() || r->rows[0].empty() || !r->rows[0][0]) return std::nullopt;
  return *r->rows[0][0];
}

std::optional<std::uint16_t> streaming_from(std::uint16_t port) {
  auto v = pg_value(port, "SELECT sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'",
                    Ms(1000));
  if (!v) return std::nullopt;
  try {
    return static_cast<std::uint16_t>(std::stoi(*v));
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace ha::e2e
