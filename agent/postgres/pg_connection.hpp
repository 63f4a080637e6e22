// PgConnection: one libpq connection with deadlines on everything — connecting (polled, to the
// millisecond), each statement (statement_timeout on the server, and a client deadline shortly
// after it for a server that stopped answering) — and errors as values. Typed queries live in
// pg_queries.hpp; this file only connects, runs SQL and returns text rows.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/postgres/pg_result.hpp"

struct pg_conn;  // libpq's PGconn

namespace ha::agent::pg {

using Millis = std::chrono::milliseconds;

struct ConnectOptions {
  std::string conninfo;  // "host=... port=... user=... dbname=..." or a postgresql:// URI
  Millis connect_timeout{2000};
  Millis statement_timeout{2000};  // 0: none
  // A physical replication connection (replication=true): for IDENTIFY_SYSTEM and
  // TIMELINE_HISTORY, run with simple_query().
  bool replication = false;
  std::string application_name = "haagent";  // unless the conninfo names one
};

using Row = std::vector<std::optional<std::string>>;  // text values; nullopt is SQL NULL

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  std::string command_tag;  // "SELECT 1", "CREATE ROLE", ...

  // Index of the column called `name`, or -1.
  int column(std::string_view name) const;
};

class PgConnection {
 public:
  static PgResult<PgConnection> open(const ConnectOptions& options);

  PgConnection(PgConnection&& other) noexcept;
  PgConnection& operator=(PgConnection&& other) noexcept;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  // One statement, extended protocol, `$1`.. bound to `params` as text. `timeout`: how long to
  // wait for the answer (default: the statement_timeout plus a short grace). After a client
  // timeout or a broken connection the connection is closed: ok() turns false.
  PgResult<QueryResult> query(std::string_view sql,
                              const std::vector<std::optional<std::string>>& params = {},
                              std::optional<Millis> timeout = std::nullopt);
  // Simple protocol, no parameters: for replication commands. The last result is returned.
  PgResult<QueryResult> simple_query(std::string_view sql,
                                     std::optional<Millis> timeout = std::nullopt);

  // Changes the server-side statement_timeout of this session (not on replication
  // connections).
  PgStatus set_statement_timeout(Millis timeout);

  bool ok() const;
  int server_version() const;  // 150004 for 15.4; 0 when closed
  std::string target() const;  // "host:port" it is connected to, for messages
  Millis statement_timeout() const { return statement_timeout_; }

  // Quoting for statements that cannot take parameters (ALTER SYSTEM, CREATE ROLE).
  PgResult<std::string> escape_literal(std::string_view text) const;
  PgResult<std::string> escape_identifier(std::string_view text) const;
  // The password hashed the way the server stores it (SCRAM or md5, per its
  // password_encryption), so the clear text never travels in a statement.
  PgResult<std::string> encrypt_password(const std::string& password, const std::string& user);

  void close();

 private:
  PgConnection(pg_conn* conn, Millis statement_timeout, std::string target);
  PgResult<QueryResult> run(std::string_view sql,
                            const std::vector<std::optional<std::string>>* params,
                            std::optional<Millis> timeout);
  PgError connection_error(const std::string& what);

  pg_conn* conn_ = nullptr;
  Millis statement_timeout_{0};
  std::string target_;
};

}  // namespace ha::agent::pg
