#include "agent/postgres/controldata.hpp"

#include "agent/postgres/text_trim.hpp"

#include <fmt/format.h>

#include <charconv>
#include <optional>

namespace ha::agent::pg {

namespace {

ClusterState state_from_text(std::string_view text) {
  if (text == "starting up") return ClusterState::kStartingUp;
  if (text == "shut down") return ClusterState::kShutDown;
  if (text == "shut down in recovery") return ClusterState::kShutDownInRecovery;
  if (text == "shutting down") return ClusterState::kShuttingDown;
  if (text == "in crash recovery") return ClusterState::kInCrashRecovery;
  if (text == "in archive recovery") return ClusterState::kInArchiveRecovery;
  if (text == "in production") return ClusterState::kInProduction;
  return ClusterState::kUnknown;
}

template <class Int>
bool parse_uint(std::string_view s, Int& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

const char* to_string(ClusterState state) {
  switch (state) {
    case ClusterState::kStartingUp: return "starting up";
    case ClusterState::kShutDown: return "shut down";
    case ClusterState::kShutDownInRecovery: return "shut down in recovery";
    case ClusterState::kShuttingDown: return "shutting down";
    case ClusterState::kInCrashRecovery: return "in crash recovery";
    case ClusterState::kInArchiveRecovery: return "in archive recovery";
    case ClusterState::kInProduction: return "in production";
    case ClusterState::kUnknown: return "unknown";
  }
  return "unknown";
}

PgResult<ControlData> parse_controldata(std::string_view text) {
  ControlData cd;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const auto name = trim(line.substr(0, colon));
    if (name.empty()) continue;
    cd.fields.emplace(std::string(name), std::string(trim(line.substr(colon + 1))));
  }

  auto field = [&](const char* name) -> const std::string* {
    const auto it = cd.fields.find(name);
    return it == cd.fields.end() ? nullptr : &it->second;
  };
  auto bad = [](const char* name, const std::string* value) {
    return pg_error(PgErrorKind::kInvalid,
                    value == nullptr
                        ? fmt::format("pg_controldata output has no '{}' line", name)
                        : fmt::format("pg_controldata: cannot read '{}' value '{}'", name, *value));
  };
  auto get_u64 = [&](const char* name, std::uint64_t& out) -> std::optional<PgError> {
    const std::string* v = field(name);
    if (v == nullptr || !parse_uint(*v, out)) return bad(name, v);
    return std::nullopt;
  };
  auto get_u32 = [&](const char* name, std::uint32_t& out) -> std::optional<PgError> {
    const std::string* v = field(name);
    if (v == nullptr || !parse_uint(*v, out)) return bad(name, v);
    return std::nullopt;
  };
  auto get_lsn = [&](const char* name, Lsn& out) -> std::optional<PgError> {
    const std::string* v = field(name);
    if (v == nullptr) return bad(name, v);
    const auto lsn = parse_lsn(*v);
    if (!lsn) return bad(name, v);
    out = *lsn;
    return std::nullopt;
  };

  const std::string* state = field("Database cluster state");
  if (state == nullptr) {
    return pg_error(PgErrorKind::kInvalid,
                    "pg_controldata output has no 'Database cluster state' line (was it run "
                    "with LC_ALL=C on a data directory?)");
  }
  cd.state_text = *state;
  cd.state = state_from_text(*state);
  if (auto e = get_u64("Database system identifier", cd.system_identifier)) return *e;
  if (auto e = get_u32("Latest checkpoint's TimeLineID", cd.timeline)) return *e;
  if (auto e = get_u32("Latest checkpoint's PrevTimeLineID", cd.prev_timeline)) return *e;
  if (auto e = get_lsn("Latest checkpoint location", cd.checkpoint_lsn)) return *e;
  if (auto e = get_lsn("Latest checkpoint's REDO location", cd.redo_lsn)) return *e;
  if (auto e = get_lsn("Minimum recovery ending location", cd.min_recovery_lsn)) return *e;
  if (auto e = get_u32("Min recovery ending loc's timeline", cd.min_recovery_timeline)) return *e;
  if (auto e = get_u32("Data page checksum version", cd.checksum_version)) return *e;
  const std::string* hints = field("wal_log_hints setting");
  cd.wal_log_hints = hints != nullptr && *hints == "on";
  return cd;
}

}  // namespace ha::agent::pg
