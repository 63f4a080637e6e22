// Short-deadline libpq calls the e2e tests make to a node's PostgreSQL over 127.0.0.1 as the
// superuser (trust): is it in recovery, run a statement, read one value, WAL receiver status.
// Every call opens its own connection and never throws; failures come back as values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/postgres/pg_connection.hpp"
#include "tests/agent/e2e/e2e_env.hpp"

namespace ha::e2e {

// "host=127.0.0.1 port=P user=postgres dbname=postgres".
std::string superuser_conninfo(std::uint16_t port);

// A connection with `timeout` for connecting and for each statement; nullopt when it failed
// (`error` says why when given).
std::optional<ha::agent::pg::PgConnection> pg_connect(std::uint16_t port, Ms timeout,
                                                      std::string* error = nullptr);

// pg_is_in_recovery(): false for a writable primary, nullopt when the server did not answer.
std::optional<bool> pg_in_recovery(std::uint16_t port, Ms timeout = Ms(1000));

// Runs `sql` (one statement); true on success, else `error` says why.
bool pg_exec(std::uint16_t port, const std::string& sql, std::string* error = nullptr,
             Ms timeout = Ms(3000));

// The first column of every row of `sql`; nullopt when it failed (`error` says why).
std::optional<std::vector<std::string>> pg_column(std::uint16_t port, const std::string& sql,
                                                  std::string* error = nullptr,
                                                  Ms timeout = Ms(3000));

// The first value of `sql` (nullopt when it failed or returned no row or NULL).
std::optional<std::string> pg_value(std::uint16_t port, const std::string& sql,
                                    Ms timeout = Ms(3000));

// On a standby: the port its WAL receiver streams from while status is 'streaming'.
std::optional<std::uint16_t> streaming_from(std::uint16_t port);

}  // namespace ha::e2e
