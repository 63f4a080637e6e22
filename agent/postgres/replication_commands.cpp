#include "agent/postgres/replication_commands.hpp"

#include <fmt/format.h>

#include "agent/postgres/row_reader.hpp"

namespace ha::agent::pg {

namespace {

// The walsender types the content as bytea; depending on the path it arrives raw or as
// "\x<hex>". Either way, the file's text.
std::string history_text(const std::string& value) {
  if (value.rfind("\\x", 0) != 0) return value;
  std::string out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 2; i + 1 < value.size(); i += 2) {
    const int hi = nibble(value[i]);
    const int lo = nibble(value[i + 1]);
    if (hi < 0 || lo < 0) return value;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

}  // namespace

PgResult<SystemIdentity> identify_system(PgConnection& replication_conn) {
  auto r = replication_conn.simple_query("IDENTIFY_SYSTEM");
  if (!r) return r.error();
  if (r->rows.empty()) {
    return pg_error(PgErrorKind::kInvalid, "unexpected answer to IDENTIFY_SYSTEM: no row");
  }
  RowReader row(*r, 0, "IDENTIFY_SYSTEM");
  SystemIdentity id;
  id.system_identifier = row.unsigned_integer("systemid");
  id.timeline = static_cast<std::uint32_t>(row.integer("timeline"));
  const auto pos = row.lsn("xlogpos");
  if (row.error()) return *row.error();
  id.xlogpos = pos.value_or(Lsn{});
  return id;
}

PgResult<std::vector<TimelineSwitch>> fetch_timeline_history(PgConnection& replication_conn,
                                                             std::uint32_t timeline) {
  if (timeline <= 1) return std::vector<TimelineSwitch>{};
  auto r = replication_conn.simple_query(fmt::format("TIMELINE_HISTORY {}", timeline));
  if (!r) return r.error();
  if (r->rows.empty() || r->rows[0].size() < 2 || !r->rows[0][1]) {
    return pg_error(PgErrorKind::kInvalid,
                    fmt::format("unexpected answer to TIMELINE_HISTORY {}: no content", timeline));
  }
  return parse_timeline_history(history_text(*r->rows[0][1]));
}

}  // namespace ha::agent::pg
