#include "agent/postgres/pg_connection.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ha::agent::pg {

namespace {

using Clock = std::chrono::steady_clock;

// A statement may take its statement_timeout on the server; the client waits this much longer
// for the server's own "canceling statement" answer before giving up on the connection.
constexpr Millis kClientGrace{250};

// libpq's messages end with newlines and may span lines: one line, trimmed.
std::string one_line(const char* text) {
  std::string s = text != nullptr ? text : "";
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string seconds_text(Millis d) {
  return fmt::format("{:g} s", static_cast<double>(d.count()) / 1000.0);
}

// A short form of a statement for messages.
std::string sql_excerpt(std::string_view sql) {
  std::string s = one_line(std::string(sql).c_str());
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

void ignore_notice(void* /*arg*/, const char* /*message*/) {}

// Waits until the socket is ready for `events` or the deadline passes. 1: ready, 0: timed out,
// -1: poll failed.
int wait_socket(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<Millis>(deadline - Clock::now()).count();
    if (left <= 0) return 0;
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 60'000)));
    if (r > 0) return 1;
    if (r < 0 && errno != EINTR) return -1;
  }
}

std::string target_of(PGconn* c) {
  const char* host = PQhost(c);
  const char* port = PQport(c);
  std::string h = host != nullptr && *host != '\0' ? host : "localhost";
  if (h.find(':') != std::string::npos && h.front() != '/') h = "[" + h + "]";
  return port != nullptr && *port != '\0' ? h + ":" + port : h;
}

}  // namespace

int QueryResult::column(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return static_cast<int>(i);
  }
  return -1;
}

PgConnection::PgConnection(pg_conn* conn, Millis statement_timeout, std::string target)
    : conn_(conn), statement_timeout_(statement_timeout), target_(std::move(target)) {}

PgConnection::PgConnection(PgConnection&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)),
      statement_timeout_(other.statement_timeout_),
      target_(std::move(other.target_)) {}

PgConnection& PgConnection::operator=(PgConnection&& other) noexcept {
  if (this != &other) {
    close();
    conn_ = std::exchange(other.conn_, nullptr);
    statement_timeout_ = other.statement_timeout_;
    target_ = std::move(other.target_);
  }
  return *this;
}

PgConnection::~PgConnection() { close(); }

void PgConnection::close() {
  if (conn_ != nullptr) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
}

bool PgConnection::ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

int PgConnection::server_version() const { return conn_ != nullptr ? PQserverVersion(conn_) : 0; }

std::string PgConnection::target() const { return target_; }

PgResult<PgConnection> PgConnection::open(const ConnectOptions& options) {
  const auto deadline = Clock::now() + options.connect_timeout;
  std::vector<const char*> keys;
  std::vector<const char*> values;
  const std::string statement_option =
      options.statement_timeout.count() > 0
          ? fmt::format("-c statement_timeout={}", options.statement_timeout.count())
          : std::string();
  // Keywords before "dbname" yield to the conninfo's own; those after it override it.
  if (!options.application_name.empty()) {
    keys.push_back("application_name");
    values.push_back(options.application_name.c_str());
  }
  if (!statement_option.empty()) {
    keys.push_back("options");
    values.push_back(statement_option.c_str());
  }
  keys.push_back("dbname");
  values.push_back(options.conninfo.c_str());
  const std::string connect_s = std::to_string(std::max<long long>(
      2, std::chrono::ceil<std::chrono::seconds>(options.connect_timeout).count()));
  keys.push_back("connect_timeout");
  values.push_back(connect_s.c_str());
  if (options.replication) {
    keys.push_back("replication");
    values.push_back("true");
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);

  PGconn* c = PQconnectStartParams(keys.data(), values.data(), 1);
  if (c == nullptr) {
    return pg_error(PgErrorKind::kConnection, "cannot connect to PostgreSQL: out of memory");
  }
  auto fail = [&](PgErrorKind kind, const std::string& message) -> PgResult<PgConnection> {
    PQfinish(c);
    return pg_error(kind, message);
  };
  if (PQstatus(c) == CONNECTION_BAD) {
    return fail(PgErrorKind::kConnection,
                fmt::format("cannot connect to PostgreSQL: {}", one_line(PQerrorMessage(c))));
  }
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK) {
    if (st == PGRES_POLLING_FAILED) {
      return fail(PgErrorKind::kConnection,
                  fmt::format("cannot connect to PostgreSQL: {}", one_line(PQerrorMessage(c))));
    }
    const int fd = PQsocket(c);
    if (fd >= 0) {
      const int r = wait_socket(fd, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
      if (r == 0) {
        return fail(PgErrorKind::kTimeout,
                    fmt::format("cannot connect to PostgreSQL at {}: no answer within {}",
                                target_of(c), seconds_text(options.connect_timeout)));
      }
      if (r < 0) {
        return fail(PgErrorKind::kConnection,
                    fmt::format("cannot connect to PostgreSQL at {}: poll: {}", target_of(c),
                                std::strerror(errno)));
      }
    }
    st = PQconnectPoll(c);
  }
  PQsetNoticeProcessor(c, ignore_notice, nullptr);
  return PgConnection(c, options.statement_timeout, target_of(c));
}

PgError PgConnection::connection_error(const std::string& what) {
  std::string message = fmt::format("connection to PostgreSQL at {} lost {}: {}", target_, what,
                                    conn_ != nullptr ? one_line(PQerrorMessage(conn_)) : "");
  close();
  return pg_error(PgErrorKind::kConnection, std::move(message));
}

PgResult<QueryResult> PgConnection::query(std::string_view sql,
                                          const std::vector<std::optional<std::string>>& params,
                                          std::optional<Millis> timeout) {
  return run(sql, &params, timeout);
}

PgResult<QueryResult> PgConnection::simple_query(std::string_view sql,
                                                 std::optional<Millis> timeout) {
  return run(sql, nullptr, timeout);
}

PgResult<QueryResult> PgConnection::run(std::string_view sql,
                                        const std::vector<std::optional<std::string>>* params,
                                        std::optional<Millis> timeout) {
  if (conn_ == nullptr) {
    return pg_error(PgErrorKind::kConnection,
                    fmt::format("no connection to PostgreSQL at {} (closed after an earlier "
                                "failure; reconnect)",
                                target_.empty() ? "?" : target_));
  }
  const Millis wait = timeout ? *timeout
                              : (statement_timeout_.count() > 0 ? statement_timeout_ + kClientGrace
                                                                : Millis(30'000));
  const auto deadline = Clock::now() + wait;
  const std::string text(sql);

  int sent = 0;
  if (params == nullptr) {
    sent = PQsendQuery(conn_, text.c_str());
  } else {
    std::vector<const char*> values;
    values.reserve(params->size());
    for (const auto& p : *params) values.push_back(p ? p->c_str() : nullptr);
    sent = PQsendQueryParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0);
  }
  if (sent == 0) return connection_error(fmt::format("sending '{}'", sql_excerpt(sql)));

  QueryResult out;
  std::optional<PgError> first_error;
  for (;;) {
    while (PQisBusy(conn_) != 0) {
      const int r = wait_socket(PQsocket(conn_), POLLIN, deadline);
      if (r == 0) {
        const std::string message =
            fmt::format("PostgreSQL at {} did not answer '{}' within {} (connection closed)",
                        target_, sql_excerpt(sql), seconds_text(wait));
        close();
        return pg_error(PgErrorKind::kTimeout, message);
      }
      if (r < 0 || PQconsumeInput(conn_) == 0) {
        return connection_error(fmt::format("during '{}'", sql_excerpt(sql)));
      }
    }
    PGresult* res = PQgetResult(conn_);
    if (res == nullptr) break;
    const ExecStatusType status = PQresultStatus(res);
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      out = QueryResult{};
      const int ncols = PQnfields(res);
      const int nrows = PQntuples(res);
      for (int c = 0; c < ncols; ++c) out.columns.emplace_back(PQfname(res, c));
      out.rows.reserve(static_cast<std::size_t>(nrows));
      for (int r = 0; r < nrows; ++r) {
        Row row;
        row.reserve(static_cast<std::size_t>(ncols));
        for (int c = 0; c < ncols; ++c) {
          if (PQgetisnull(res, r, c) != 0) {
            row.emplace_back(std::nullopt);
          } else {
            row.emplace_back(std::string(PQgetvalue(res, r, c),
                                         static_cast<std::size_t>(PQgetlength(res, r, c))));
          }
        }
        out.rows.push_back(std::move(row));
      }
      out.command_tag = PQcmdStatus(res);
    } else if (!first_error) {
      const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
      const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
      PgError e;
      e.sqlstate = state != nullptr ? state : "";
      const std::string what =
          primary != nullptr ? one_line(primary) : one_line(PQresultErrorMessage(res));
      if (status != PGRES_FATAL_ERROR && status != PGRES_NONFATAL_ERROR) {
        e.kind = PgErrorKind::kQuery;
        e.message = fmt::format("'{}' on {}: unexpected result {}", sql_excerpt(sql), target_,
                                PQresStatus(status));
      } else {
        e.kind = e.sqlstate == "57014" ? PgErrorKind::kTimeout
                 : e.sqlstate.rfind("08", 0) == 0 || e.sqlstate.rfind("57P", 0) == 0
                     ? PgErrorKind::kConnection
                     : PgErrorKind::kQuery;
        e.message =
            fmt::format("'{}' failed on {}: {}{}", sql_excerpt(sql), target_, what,
                        e.sqlstate.empty() ? "" : fmt::format(" (SQLSTATE {})", e.sqlstate));
      }
      first_error = std::move(e);
    }
    PQclear(res);
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
      // Nothing here speaks COPY; the connection is unusable for the next statement.
      close();
      break;
    }
  }
  if (first_error) {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_BAD) close();
    return *first_error;
  }
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_BAD) {
    return connection_error(fmt::format("during '{}'", sql_excerpt(sql)));
  }
  return out;
}

PgStatus PgConnection::set_statement_timeout(Millis timeout) {
  auto r = query(fmt::format("SET statement_timeout = {}", timeout.count()));
  if (!r) return r.error();
  statement_timeout_ = timeout;
  return {};
}

PgResult<std::string> PgConnection::escape_literal(std::string_view text) const {
  if (conn_ == nullptr) return pg_error(PgErrorKind::kConnection, "no connection to PostgreSQL");
  char* q = PQescapeLiteral(conn_, text.data(), text.size());
  if (q == nullptr) {
    return pg_error(PgErrorKind::kInvalid,
                    fmt::format("cannot quote a literal: {}", one_line(PQerrorMessage(conn_))));
  }
  std::string out(q);
  PQfreemem(q);
  return out;
}

PgResult<std::string> PgConnection::escape_identifier(std::string_view text) const {
  if (conn_ == nullptr) return pg_error(PgErrorKind::kConnection, "no connection to PostgreSQL");
  char* q = PQescapeIdentifier(conn_, text.data(), text.size());
  if (q == nullptr) {
    return pg_error(PgErrorKind::kInvalid,
                    fmt::format("cannot quote an identifier: {}", one_line(PQerrorMessage(conn_))));
  }
  std::string out(q);
  PQfreemem(q);
  return out;
}

PgResult<std::string> PgConnection::encrypt_password(const std::string& password,
                                                     const std::string& user) {
  if (conn_ == nullptr) return pg_error(PgErrorKind::kConnection, "no connection to PostgreSQL");
  // Hash with the server's own password_encryption, asked under this connection's deadline
  // (PQencryptPasswordConn would ask it without one).
  auto r = query("SELECT current_setting('password_encryption')");
  if (!r) return r.error();
  std::string algorithm = "scram-sha-256";
  if (!r->rows.empty() && r->rows[0][0]) algorithm = *r->rows[0][0];
  if (algorithm == "on") algorithm = "md5";  // an old spelling
  char* hashed = PQencryptPasswordConn(conn_, password.c_str(), user.c_str(), algorithm.c_str());
  if (hashed == nullptr) {
    return pg_error(PgErrorKind::kInvalid, fmt::format("cannot hash the password of '{}': {}", user,
                                                       one_line(PQerrorMessage(conn_))));
  }
  std::string out(hashed);
  PQfreemem(hashed);
  return out;
}

}  // namespace ha::agent::pg
