// Building libpq connection strings ("host=... port=... user=...") from parts, with libpq's
// quoting, for primary_conninfo, pg_basebackup -d and pg_rewind --source-server. Text only;
// connecting is pg_connection's job.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ha::agent::pg {

struct ConnParams {
  std::string host;  // host name, address, or a socket directory (starts with '/')
  std::uint16_t port = 0;
  std::string user;
  std::string password;  // empty: none in the string (trust, .pgpass, certificates)
  std::string dbname;
  std::string application_name;
  std::string sslmode;
  int connect_timeout_s = 0;  // 0: not set (libpq: wait forever)
  // More keyword/value pairs, in order (e.g. {"target_session_attrs", "read-write"}).
  std::vector<std::pair<std::string, std::string>> extra;
};

// One value in libpq's syntax: bare when it can be, else single-quoted with \ and ' escaped.
std::string quote_conninfo_value(const std::string& value);

// "host=a port=5432 user=u ...": only the parts that are set, in a fixed order.
std::string to_conninfo(const ConnParams& params);

}  // namespace ha::agent::pg
