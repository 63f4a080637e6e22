#include "agent/postgres/admin_queries.hpp"

#include <fmt/format.h>

#include <cctype>

#include "agent/postgres/row_reader.hpp"

namespace ha::agent::pg {

namespace {

PgError bad_slot_name(const std::string& name) {
  return pg_error(PgErrorKind::kInvalid,
                  fmt::format("'{}' is not a valid replication slot name (1 to 63 characters "
                              "of a-z, 0-9 and _)",
                              name));
}

}  // namespace

bool valid_slot_name(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::string slot_name_for_member(const std::string& member) {
  std::string out;
  for (char c : member) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') ? lower : '_';
  }
  if (out.size() > 63) out.resize(63);
  if (out.empty()) out = "_";
  return out;
}

PgResult<std::vector<SlotInfo>> list_replication_slots(PgConnection& conn) {
  auto r = conn.query(
      "SELECT slot_name, slot_type, active, restart_lsn::text AS restart_lsn, "
      "wal_status FROM pg_catalog.pg_replication_slots ORDER BY slot_name");
  if (!r) return r.error();
  std::vector<SlotInfo> out;
  for (std::size_t i = 0; i < r->rows.size(); ++i) {
    RowReader row(*r, i, "pg_replication_slots");
    SlotInfo s;
    s.name = row.text_or_empty("slot_name");
    s.type = row.text_or_empty("slot_type");
    s.active = row.boolean("active");
    s.restart_lsn = row.lsn("restart_lsn");
    s.wal_status = row.text_or_empty("wal_status");
    if (row.error()) return *row.error();
    out.push_back(std::move(s));
  }
  return out;
}

PgResult<bool> create_physical_slot(PgConnection& conn, const std::string& name) {
  if (!valid_slot_name(name)) return bad_slot_name(name);
  auto r = conn.query(
      "SELECT slot_name FROM pg_catalog.pg_create_physical_replication_slot($1, true)", {name});
  if (r) return true;
  if (r.error().sqlstate == "42710") return false;  // duplicate_object
  return r.error();
}

PgResult<bool> drop_replication_slot(PgConnection& conn, const std::string& name) {
  if (!valid_slot_name(name)) return bad_slot_name(name);
  auto r = conn.query("SELECT pg_catalog.pg_drop_replication_slot($1)", {name});
  if (r) return true;
  if (r.error().sqlstate == "42704") return false;  // undefined_object
  return r.error();
}

PgStatus checkpoint(PgConnection& conn, Millis timeout) {
  // The session's statement_timeout would cut a long checkpoint short: lift it for this one.
  const Millis previous = conn.statement_timeout();
  if (previous.count() > 0 && previous < timeout) {
    if (auto s = conn.set_statement_timeout(timeout); !s) return s;
  }
  auto r = conn.query("CHECKPOINT", {}, timeout + Millis(250));
  if (!r) return r.error();
  if (previous.count() > 0 && previous < timeout) {
    if (auto s = conn.set_statement_timeout(previous); !s) return s;
  }
  return {};
}

PgStatus reload_config(PgConnection& conn) {
  auto r = conn.query("SELECT pg_catalog.pg_reload_conf()");
  if (!r) return r.error();
  if (r->rows.empty() || r->rows[0].empty() || r->rows[0][0] != "t") {
    return pg_error(PgErrorKind::kQuery,
                    fmt::format("pg_reload_conf() on {} did not signal the server", conn.target()));
  }
  return {};
}

PgStatus set_synchronous_standby_names(PgConnection& conn, const std::string& value) {
  std::string sql;
  if (value.empty()) {
    sql = "ALTER SYSTEM RESET synchronous_standby_names";
  } else {
    auto literal = conn.escape_literal(value);
    if (!literal) return literal.error();
    sql = fmt::format("ALTER SYSTEM SET synchronous_standby_names = {}", *literal);
  }
  auto r = conn.query(sql);
  if (!r) return r.error();
  return reload_config(conn);
}

PgStatus create_or_update_role(PgConnection& conn, const RoleSpec& role) {
  if (role.name.empty()) return pg_error(PgErrorKind::kInvalid, "a role needs a name");
  auto ident = conn.escape_identifier(role.name);
  if (!ident) return ident.error();
  auto exists = conn.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", {role.name});
  if (!exists) return exists.error();

  std::string attrs = fmt::format("{} {} {}", role.login ? "LOGIN" : "NOLOGIN",
                                  role.replication ? "REPLICATION" : "NOREPLICATION",
                                  role.superuser ? "SUPERUSER" : "NOSUPERUSER");
  if (role.password.empty()) {
    attrs += " PASSWORD NULL";
  } else {
    auto hashed = conn.encrypt_password(role.password, role.name);
    if (!hashed) return hashed.error();
    auto literal = conn.escape_literal(*hashed);
    if (!literal) return literal.error();
    attrs += " PASSWORD " + *literal;
  }
  const std::string sql =
      fmt::format("{} ROLE {} WITH {}", exists->rows.empty() ? "CREATE" : "ALTER", *ident, attrs);
  auto r = conn.query(sql);
  if (!r) {
    // Do not repeat a statement holding the (hashed) password in the message.
    PgError e = r.error();
    const auto colon = e.message.find(": ");
    e.message =
        fmt::format("cannot {} role '{}': {}", exists->rows.empty() ? "create" : "alter", role.name,
                    colon == std::string::npos ? e.message : e.message.substr(colon + 2));
    return e;
  }
  return {};
}

PgStatus grant_rewind_privileges(PgConnection& conn, const std::string& role) {
  auto ident = conn.escape_identifier(role);
  if (!ident) return ident.error();
  static constexpr const char* kFunctions[] = {
      "pg_catalog.pg_ls_dir(text, boolean, boolean)",
      "pg_catalog.pg_stat_file(text, boolean)",
      "pg_catalog.pg_read_binary_file(text)",
      "pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)",
  };
  for (const char* fn : kFunctions) {
    auto r = conn.query(fmt::format("GRANT EXECUTE ON FUNCTION {} TO {}", fn, *ident));
    if (!r) return r.error();
  }
  return {};
}

}  // namespace ha::agent::pg
