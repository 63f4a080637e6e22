// Changes the agent makes through SQL: physical replication slots (one per member), CHECKPOINT,
// synchronous_standby_names through ALTER SYSTEM plus a reload, and the users a new cluster
// needs (replication, rewind). Names and passwords are quoted by libpq, passwords hashed before
// they are sent. Read-only questions are in status_queries.hpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/lsn.hpp"
#include "agent/postgres/pg_connection.hpp"

namespace ha::agent::pg {

// PostgreSQL's rule for slot names: 1 to 63 of [a-z0-9_].
bool valid_slot_name(const std::string& name);
// A valid slot name for a member name: lower case, other characters as '_', cut to 63.
std::string slot_name_for_member(const std::string& member);

struct SlotInfo {
  std::string name;
  std::string type;  // "physical" or "logical"
  bool active = false;
  std::optional<Lsn> restart_lsn;
  std::string wal_status;  // "reserved", "extended", "unreserved", "lost" or empty
};

PgResult<std::vector<SlotInfo>> list_replication_slots(PgConnection& conn);
// Creates a physical slot that reserves WAL at once. true: created; false: it already existed.
PgResult<bool> create_physical_slot(PgConnection& conn, const std::string& name);
// true: dropped; false: there was none. An active slot is an error (kQuery, names the slot).
PgResult<bool> drop_replication_slot(PgConnection& conn, const std::string& name);

// CHECKPOINT, with its own deadline (a checkpoint may write a lot).
PgStatus checkpoint(PgConnection& conn, Millis timeout);

// pg_reload_conf(): the server re-reads its files (as pg_ctl reload does).
PgStatus reload_config(PgConnection& conn);

// ALTER SYSTEM SET synchronous_standby_names = value (empty: RESET), then a reload. The
// server applies it once its processes have handled the reload signal.
PgStatus set_synchronous_standby_names(PgConnection& conn, const std::string& value);

struct RoleSpec {
  std::string name;
  std::string password;  // empty: no password (trust, peer, certificates)
  bool login = true;
  bool replication = false;
  bool superuser = false;
};

// CREATE ROLE, or ALTER ROLE when it exists (attributes and password brought to the spec).
PgStatus create_or_update_role(PgConnection& conn, const RoleSpec& role);

// What pg_rewind needs from a non-superuser on the source server (the file functions).
PgStatus grant_rewind_privileges(PgConnection& conn, const std::string& role);

}  // namespace ha::agent::pg
