#include "agent/postgres/server_conf.hpp"

#include <fmt/format.h>

#include <cctype>
#include <vector>

namespace ha::agent::pg {

std::map<std::string, std::string> default_ha_parameters(int major) {
  std::map<std::string, std::string> p = {
      {"wal_level", "replica"},        {"hot_standby", "on"},      {"max_wal_senders", "10"},
      {"max_replication_slots", "10"}, {"wal_keep_size", "128MB"}, {"wal_log_hints", "on"},
      {"wal_retrieve_retry_interval", "1s"},
  };
  if (major == 0 || major >= 14) p["recovery_init_sync_method"] = "syncfs";
  return p;
}

std::string quote_guc_value(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "''";
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

bool valid_guc_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) != 0 || name[0] == '.') {
    return false;
  }
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_' && c != '.') return false;
  }
  return true;
}

std::string ha_conf_include_line() {
  return fmt::format("include_if_exists = {}", quote_guc_value(kHaConfFile));
}

PgResult<std::string> render_ha_conf(const ServerSettings& settings) {
  std::map<std::string, std::string> params = default_ha_parameters(settings.major_version);
  for (const auto& [name, value] : settings.parameters) params[name] = value;

  // The agent's own settings, in this order, after everything else (the last one wins).
  std::vector<std::pair<std::string, std::string>> owned;
  owned.emplace_back("listen_addresses", settings.listen_addresses);
  owned.emplace_back("port", std::to_string(settings.port));
  if (!settings.unix_socket_directories.empty()) {
    owned.emplace_back("unix_socket_directories", settings.unix_socket_directories);
  }
  if (!settings.cluster_name.empty()) owned.emplace_back("cluster_name", settings.cluster_name);
  if (settings.standby) {
    owned.emplace_back("primary_conninfo", settings.standby->primary_conninfo);
    owned.emplace_back("primary_slot_name", settings.standby->primary_slot_name);
    owned.emplace_back("recovery_target_timeline", settings.standby->recovery_target_timeline);
  } else {
    // A primary must not keep the settings of a previous standby life.
    owned.emplace_back("primary_conninfo", "");
    owned.emplace_back("primary_slot_name", "");
  }
  for (const auto& [name, value] : owned) params.erase(name);

  std::string out =
      "# Written by haagent; every change is overwritten. Put your settings in the agent's\n"
      "# config (postgresql.parameters), not here.\n";
  auto add = [&out](const std::string& name, const std::string& value) -> PgStatus {
    if (!valid_guc_name(name)) {
      return pg_error(PgErrorKind::kInvalid,
                      fmt::format("'{}' is not a valid PostgreSQL parameter name", name));
    }
    if (value.find_first_of("\n\r") != std::string::npos) {
      return pg_error(PgErrorKind::kInvalid,
                      fmt::format("the value of parameter '{}' contains a line break", name));
    }
    out += fmt::format("{} = {}\n", name, quote_guc_value(value));
    return {};
  };
  for (const auto& [name, value] : params) {
    if (auto s = add(name, value); !s) return s.error();
  }
  out += "# Owned by the agent:\n";
  for (const auto& [name, value] : owned) {
    if (auto s = add(name, value); !s) return s.error();
  }
  return out;
}

}  // namespace ha::agent::pg
