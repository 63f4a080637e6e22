#include "agent/dynamic_config.hpp"

#include <cmath>
#include <map>

#include "agent/units.hpp"
#include "agent/yaml_json.hpp"

namespace ha::agent {

namespace {

constexpr const char* kNotYet = "a Patroni setting haagent does not support yet; remove it";

const std::map<std::string, std::string>& top_level_hints() {
  static const std::map<std::string, std::string> hints = {
      {"failsafe_mode", kNotYet},
      {"maximum_lag_on_syncnode", kNotYet},
      {"max_timelines_history", kNotYet},
      {"primary_stop_timeout", kNotYet},
      {"master_stop_timeout", kNotYet},
      {"primary_race_backoff", kNotYet},
      {"member_slots_ttl", kNotYet},
      {"slots", kNotYet},
      {"ignore_slots", kNotYet},
      {"standby_cluster", kNotYet},
      {"scope", "scope is set per node in the YAML config, not in the dynamic config"},
      {"name", "name is set per node in the YAML config, not in the dynamic config"},
      {"tags", "tags are set per node in the YAML config, not in the dynamic config"},
  };
  return hints;
}

const std::map<std::string, std::string>& postgresql_hints() {
  static const std::map<std::string, std::string> hints = {
      {"use_pg_rewind", "set it per node in the YAML config (postgresql.use_pg_rewind)"},
      {"pg_hba", "set it per node in the YAML config (postgresql.pg_hba)"},
      {"remove_data_directory_on_rewind_failure",
       "set it per node in the YAML config (postgresql.remove_data_directory_on_rewind_failure)"},
      {"recovery_conf", kNotYet},
      {"pg_ident", kNotYet},
  };
  return hints;
}

nlohmann::json seconds_json(Millis d) {
  if (d.count() % 1000 == 0) return d.count() / 1000;
  return static_cast<double>(d.count()) / 1000.0;
}

std::string secs(Millis d) { return format_duration(d); }

}  // namespace

DynamicConfigParse parse_dynamic_config(const nlohmann::json& value, const std::string& path) {
  DynamicConfigParse out;
  DynamicConfig& c = out.config;
  auto& errors = out.errors;
  ConfigSection s(&value, path, errors);
  const std::size_t errors_before_timing = errors.size();
  {
    if (const auto ttl = s.integer("ttl", -1'000'000, 1'000'000)) {
      if (*ttl < kMinTtlSeconds) {
        s.error("ttl", "must be at least " + std::to_string(kMinTtlSeconds) + " (seconds), got " +
                           std::to_string(*ttl) +
                           ": the leader key lives on a DCS lease of whole seconds, and a "
                           "primary needs part of a second to demote before its lock can expire");
      } else if (*ttl > 3600) {
        s.error("ttl", "must be at most 3600 (seconds), got " + std::to_string(*ttl));
      } else {
        c.ttl = std::chrono::seconds(*ttl);
      }
    }
    if (const auto v = s.number("loop_wait", 0.1, 3600)) c.loop_wait = seconds_to_millis(*v);
    if (const auto v = s.number("retry_timeout", 0.2, 3600))
      c.retry_timeout = seconds_to_millis(*v);
  }
  const bool timing_read = errors.size() == errors_before_timing;

  if (const auto v = s.integer("maximum_lag_on_failover", 0, INT64_MAX)) {
    c.maximum_lag_on_failover = static_cast<std::uint64_t>(*v);
  }
  if (const auto* v = s.raw("synchronous_mode")) {
    if (v->is_boolean()) {
      c.synchronous_mode = v->get<bool>();
    } else if (v->is_string() && (*v == "on" || *v == "true")) {
      c.synchronous_mode = true;
    } else if (v->is_string() && (*v == "off" || *v == "false")) {
      c.synchronous_mode = false;
    } else if (v->is_string() && *v == "quorum") {
      s.error("synchronous_mode", "quorum commit is not supported yet; use true or false");
    } else {
      s.error("synchronous_mode", "expected true or false, got " + describe_json_value(*v));
    }
  }
  if (const auto v = s.boolean("synchronous_mode_strict")) c.synchronous_mode_strict = *v;
  if (const auto v = s.integer("synchronous_node_count", 1, 255)) {
    c.synchronous_node_count = static_cast<int>(*v);
  }
  if (const auto v = s.boolean("check_timeline")) c.check_timeline = *v;
  if (s.has("master_start_timeout") && s.has("primary_start_timeout")) {
    s.error("primary_start_timeout",
            "master_start_timeout and primary_start_timeout are the same setting; give one");
  }
  for (const char* key : {"master_start_timeout", "primary_start_timeout"}) {
    if (const auto v = s.number(key, 0, 86400)) c.master_start_timeout = seconds_to_millis(*v);
  }
  if (const auto v = s.boolean("pause")) c.pause = *v;

  auto pg = s.section("postgresql");
  if (auto params = pg.scalar_map("parameters")) c.postgresql.parameters = std::move(*params);
  if (const auto v = pg.boolean("use_slots")) c.postgresql.use_slots = *v;
  pg.finish(postgresql_hints());
  s.finish(top_level_hints());

  // Patroni's rule, enforced rather than silently rewritten: a leader whose DCS fails right
  // after a refresh notices only up to loop_wait later, then may spend retry_timeout on each of
  // a read and a write before it can act.
  if (timing_read) {
    const Millis need = c.loop_wait + 2 * c.retry_timeout;
    if (need > c.ttl) {
      s.error("ttl", "loop_wait (" + secs(c.loop_wait) + ") + 2 x retry_timeout (" +
                         secs(c.retry_timeout) + ") = " + secs(need) + " exceeds ttl (" +
                         secs(c.ttl) +
                         "): a leader that loses the DCS right after a refresh notices up to "
                         "loop_wait later and may spend retry_timeout on a read and again on a "
                         "write, so its lock could expire (and a replica be promoted) before it "
                         "demotes. Raise ttl to at least " +
                         std::to_string(static_cast<long long>(
                             std::ceil(static_cast<double>(need.count()) / 1000.0))) +
                         " or lower loop_wait / retry_timeout");
    }
  }
  return out;
}

nlohmann::json to_json(const DynamicConfig& c) {
  return {
      {"ttl", c.ttl.count()},
      {"loop_wait", seconds_json(c.loop_wait)},
      {"retry_timeout", seconds_json(c.retry_timeout)},
      {"maximum_lag_on_failover", c.maximum_lag_on_failover},
      {"synchronous_mode", c.synchronous_mode},
      {"synchronous_mode_strict", c.synchronous_mode_strict},
      {"synchronous_node_count", c.synchronous_node_count},
      {"check_timeline", c.check_timeline},
      {"master_start_timeout", seconds_json(c.master_start_timeout)},
      {"pause", c.pause},
      {"postgresql",
       {{"parameters", c.postgresql.parameters}, {"use_slots", c.postgresql.use_slots}}},
  };
}

std::vector<ConfigError> check_safety_margin(const DynamicConfig& c, Millis margin,
                                             const std::string& dynamic_path,
                                             const std::string& margin_path) {
  std::vector<ConfigError> errors;
  const Millis ttl = c.ttl;
  if (margin >= ttl) {
    errors.push_back({margin_path, "safety_margin (" + secs(margin) + ") must be less than ttl (" +
                                       secs(ttl) + " at " + join_path(dynamic_path, "ttl") +
                                       "): the primary would demote as soon as it takes the lock"});
    return errors;
  }
  const Millis ride_out = ttl - margin;
  if (ride_out < c.loop_wait + c.retry_timeout) {
    errors.push_back(
        {margin_path, "ttl - safety_margin = " + secs(ride_out) +
                          " is less than loop_wait + retry_timeout (" +
                          secs(c.loop_wait + c.retry_timeout) +
                          "): the primary demotes safety_margin before its lock could expire, "
                          "so it would give up before one loop and one DCS retry; lower "
                          "safety_margin or raise ttl"});
  }
  return errors;
}

}  // namespace ha::agent
