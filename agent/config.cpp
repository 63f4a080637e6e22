#include "agent/config.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "agent/units.hpp"
#include "agent/yaml_json.hpp"

namespace ha::agent {

namespace {

constexpr const char* kNotYet = "a Patroni setting haagent does not support yet; remove it";
constexpr const char* kDynamic =
    "a cluster-wide (dynamic) setting: put it under bootstrap.dcs for a new cluster, or change "
    "it with hactl edit-config";

const std::map<std::string, std::string>& top_level_hints() {
  static const std::map<std::string, std::string> hints = [] {
    std::map<std::string, std::string> h;
    for (const char* dcs : {"etcd", "consul", "zookeeper", "exhibitor", "kubernetes", "raft"}) {
      h[dcs] = "haagent keeps its state in hadcs: list its endpoints in dcs.endpoints";
    }
    for (const char* key : {"ttl", "loop_wait", "retry_timeout", "maximum_lag_on_failover",
                            "synchronous_mode", "synchronous_mode_strict", "synchronous_node_count",
                            "check_timeline", "master_start_timeout", "primary_start_timeout"}) {
      h[key] = kDynamic;
    }
    for (const char* key : {"log", "ctl", "citus", "standby_cluster"}) h[key] = kNotYet;
    return h;
  }();
  return hints;
}

const std::map<std::string, std::string>& postgresql_hints() {
  static const std::map<std::string, std::string> hints = [] {
    std::map<std::string, std::string> h;
    for (const char* key :
         {"config_dir", "pgpass", "callbacks", "create_replica_methods", "recovery_conf",
          "custom_conf", "pg_ident", "pg_ctl_timeout", "use_unix_socket", "use_unix_socket_repl",
          "bin_name", "rewind", "pre_promote", "before_stop", "proxy_address",
          "remove_data_directory_on_diverged_timelines", "basebackup"}) {
      h[key] = kNotYet;
    }
    h["use_slots"] = kDynamic;
    return h;
  }();
  return hints;
}

const std::map<std::string, std::string>& restapi_hints() {
  static const std::map<std::string, std::string> hints = [] {
    std::map<std::string, std::string> h;
    for (const char* key :
         {"certfile", "keyfile", "keyfile_password", "cafile", "ciphers", "verify_client",
          "allowlist", "allowlist_include_members", "http_extra_headers", "https_extra_headers",
          "request_queue_size", "server_tokens", "thread_pool_size"}) {
      h[key] = kNotYet;
    }
    return h;
  }();
  return hints;
}

bool valid_member_name(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::optional<HostPort> read_host_port(ConfigSection& s, const std::string& key, bool host_list) {
  const auto text = s.string(key);
  if (!text) return std::nullopt;
  HostPort hp;
  if (auto err = parse_host_port(*text, host_list, hp); !err.empty()) {
    s.error(key, err);
    return std::nullopt;
  }
  return hp;
}

// `listen` given (or defaulted) and `connect_address` derived from it when it names a host.
void read_addresses(ConfigSection& s, HostPort& listen, HostPort& connect, bool host_list,
                    const std::string& what) {
  if (auto v = read_host_port(s, "listen", host_list)) listen = *v;
  if (auto v = read_host_port(s, "connect_address", false)) {
    if (v->is_wildcard()) {
      s.error("connect_address", "must be an address others can connect to, not " + v->host);
    } else {
      connect = *v;
    }
  } else if (!s.has("connect_address")) {
    if (listen.is_wildcard() || listen.host.find(',') != std::string::npos) {
      s.error("connect_address", "missing required key: " + what + " listens on " +
                                     listen.to_string() +
                                     ", so give the host:port the other members use to reach it");
    } else {
      connect = listen;
    }
  }
}

std::optional<Credentials> read_credentials(ConfigSection s, bool required_user) {
  if (!s.has("username") && !s.has("password") && !required_user) {
    s.finish();
    return std::nullopt;
  }
  Credentials c;
  s.require("username", "the user name");
  if (auto v = s.string("username")) c.username = *v;
  if (auto v = s.string("password")) c.password = *v;
  // Patroni also reads sslmode, sslcert, ... here; we do not yet.
  s.finish();
  return c;
}

std::vector<std::string> read_initdb(ConfigSection& s) {
  std::vector<std::string> out;
  const nlohmann::json* v = s.raw("initdb");
  if (v == nullptr) return out;
  if (!v->is_array()) {
    s.error("initdb", "expected a list of options (e.g. - data-checksums, - encoding: UTF8), got " +
                          describe_json_value(*v));
    return out;
  }
  for (std::size_t i = 0; i < v->size(); ++i) {
    const auto& item = (*v)[i];
    const std::string at = "initdb[" + std::to_string(i) + "]";
    if (item.is_string()) {
      out.push_back("--" + item.get<std::string>());
    } else if (item.is_object() && item.size() == 1 &&
               (item.begin()->is_string() || item.begin()->is_number())) {
      const auto& value = *item.begin();
      out.push_back("--" + item.begin().key() + "=" +
                    (value.is_string() ? value.get<std::string>() : value.dump()));
    } else {
      s.error(at,
              "expected an option name (data-checksums) or one name: value pair "
              "(encoding: UTF8), got " +
                  describe_json_value(item));
      continue;
    }
    const std::string& opt = out.back();
    if (opt.rfind("--pgdata", 0) == 0 || opt.rfind("--D", 0) == 0) {
      s.error(at, "the data directory comes from postgresql.data_dir; remove this option");
      out.pop_back();
    }
  }
  return out;
}

void read_dcs(ConfigSection& root, AgentConfig& c) {
  const bool ours = root.has("dcs");
  const bool etcd3 = root.has("etcd3");
  if (ours && etcd3) {
    root.error("etcd3",
               "dcs and etcd3 both name the DCS; give one (etcd3 is accepted as "
               "Patroni's spelling of dcs)");
  }
  std::optional<std::vector<std::string>> list;
  std::string list_path;
  auto dcs = root.section("dcs");
  if (ours) {
    list = dcs.string_list("endpoints", true);
    list_path = dcs.path_of("endpoints");
    if (!dcs.has("endpoints")) dcs.require("endpoints", "the hadcs members' host:port addresses");
  }
  dcs.finish();
  auto e3 = root.section("etcd3");
  if (etcd3 && !ours) {
    if (e3.has("hosts") && e3.has("host")) e3.error("host", "give hosts or host, not both");
    if (e3.has("hosts")) {
      list = e3.string_list("hosts", true);
      list_path = e3.path_of("hosts");
    } else if (auto one = e3.string("host")) {
      list = std::vector<std::string>{*one};
      list_path = e3.path_of("host");
    } else {
      e3.require("hosts", "the hadcs members' host:port addresses");
    }
  }
  e3.accept("hosts");
  e3.accept("host");
  e3.finish({{"protocol", kNotYet},
             {"username", kNotYet},
             {"password", kNotYet},
             {"cacert", kNotYet},
             {"cert", kNotYet},
             {"key", kNotYet},
             {"srv", kNotYet},
             {"url", kNotYet},
             {"proxy", kNotYet},
             {"use_proxies", kNotYet}});
  if (!ours && !etcd3) {
    root.require("dcs", "where hadcs runs, e.g. dcs: {endpoints: [10.0.0.1:2379]}");
    return;
  }
  if (!list) return;
  if (list->empty()) {
    root.error(list_path.substr(root.path().size()), "needs at least one host:port");
    return;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    ha::dcs::Endpoint ep;
    if (auto err = ha::dcs::parse_endpoint((*list)[i], ep); !err.empty()) {
      root.error(list_path + "[" + std::to_string(i) + "]", err);
    } else {
      c.dcs.endpoints.push_back(ep);
    }
  }
}

void read_watchdog(ConfigSection s, AgentConfig::Watchdog& w) {
  if (const nlohmann::json* v = s.raw("mode")) {
    // YAML 1.1 reads `mode: off` as false, as PyYAML does for Patroni.
    if (v->is_boolean()) {
      w.mode = v->get<bool>() ? WatchdogMode::automatic : WatchdogMode::off;
    } else if (*v == "off") {
      w.mode = WatchdogMode::off;
    } else if (*v == "automatic") {
      w.mode = WatchdogMode::automatic;
    } else if (*v == "required") {
      w.mode = WatchdogMode::required;
    } else {
      s.error("mode", "expected off, automatic or required, got " + describe_json_value(*v));
    }
  }
  if (auto v = s.string("device")) w.device = *v;
  if (auto v = s.number("safety_margin", -1, 3600)) {
    if (*v == -1) {
      w.safety_margin_is_half_ttl = true;
    } else if (*v < 0) {
      s.error("safety_margin", "expected -1 (half of ttl) or a number of seconds >= 0");
    } else {
      w.safety_margin = seconds_to_millis(*v);
    }
  }
  s.finish();
}

}  // namespace

const char* to_string(WatchdogMode mode) {
  switch (mode) {
    case WatchdogMode::off: return "off";
    case WatchdogMode::automatic: return "automatic";
    case WatchdogMode::required: return "required";
  }
  return "?";
}

std::string AgentConfig::key_prefix() const { return namespace_path + "/" + scope + "/"; }

Millis AgentConfig::safety_margin(const DynamicConfig& dynamic) const {
  if (watchdog.safety_margin_is_half_ttl) return Millis(dynamic.ttl) / 2;
  return watchdog.safety_margin;
}

ConfigLoad parse_config(std::string_view yaml_text, const std::string& source) {
  ConfigLoad out;
  YamlDocument doc = yaml_to_json(yaml_text);
  if (!doc.error.empty()) {
    out.errors.push_back(source + ": " + doc.error);
    return out;
  }
  if (!doc.value.is_object()) {
    out.errors.push_back(source +
                         ": expected a map of settings (scope, name, dcs, restapi, "
                         "postgresql, ...), got " +
                         describe_json_value(doc.value));
    return out;
  }
  std::vector<ConfigError> errors;
  AgentConfig c;
  ConfigSection root(&doc.value, "", errors);

  root.require("scope", "the cluster's name (members with the same scope form one cluster)");
  if (auto v = root.string("scope")) {
    if (v->empty() || v->find('/') != std::string::npos) {
      root.error("scope", "must be a non-empty name without '/'");
    } else {
      c.scope = *v;
    }
  }
  root.require("name", "this member's name, unique in the cluster");
  if (auto v = root.string("name")) {
    if (!valid_member_name(*v)) {
      root.error("name", "'" + *v +
                             "' is not a usable member name: use 1-63 letters, digits, "
                             "'_', '-' or '.' (it names the member's DCS key, its "
                             "replication slot and its application_name)");
    } else {
      c.name = *v;
    }
  }
  if (auto v = root.string("namespace")) {
    std::string ns = *v;
    while (ns.size() > 1 && ns.back() == '/') ns.pop_back();
    if (ns.empty() || ns.front() != '/') ns = "/" + ns;
    c.namespace_path = ns == "/" ? "" : ns;
  }

  read_dcs(root, c);

  {
    auto s = root.section("restapi");
    read_addresses(s, c.restapi.listen, c.restapi.connect_address, false, "the REST API");
    c.restapi.authentication = read_credentials(s.section("authentication"), false);
    s.finish(restapi_hints());
  }

  if (!root.has("postgresql")) {
    root.require("postgresql", "at least data_dir, connect_address and authentication");
  } else {
    auto s = root.section("postgresql");
    s.require("data_dir", "where the database files live (PGDATA)");
    if (auto v = s.string("data_dir")) c.postgresql.data_dir = *v;
    if (auto v = s.string("bin_dir")) c.postgresql.bin_dir = *v;
    read_addresses(s, c.postgresql.listen, c.postgresql.connect_address, true, "PostgreSQL");
    {
      auto auth = s.section("authentication");
      s.require("authentication", "the superuser and replication users (username, password)");
      auth.require("superuser", "the user the agent connects as (username, password)");
      auth.require("replication", "the user replicas stream with (username, password)");
      if (auto v = read_credentials(auth.section("superuser"), auth.has("superuser"))) {
        c.postgresql.authentication.superuser = *v;
      }
      if (auto v = read_credentials(auth.section("replication"), auth.has("replication"))) {
        c.postgresql.authentication.replication = *v;
      }
      c.postgresql.authentication.rewind = read_credentials(auth.section("rewind"), false);
      auth.finish();
    }
    if (auto v = s.scalar_map("parameters")) c.postgresql.parameters = std::move(*v);
    if (auto v = s.string_list("pg_hba", false)) c.postgresql.pg_hba = std::move(*v);
    if (auto v = s.boolean("use_pg_rewind")) c.postgresql.use_pg_rewind = *v;
    if (auto v = s.boolean("remove_data_directory_on_rewind_failure")) {
      c.postgresql.remove_data_directory_on_rewind_failure = *v;
    }
    s.finish(postgresql_hints());
  }

  {
    auto s = root.section("bootstrap");
    c.bootstrap.initdb = read_initdb(s);
    if (const nlohmann::json* dcs = s.raw("dcs")) {
      auto parsed = parse_dynamic_config(*dcs, s.path_of("dcs"));
      c.bootstrap.dcs = parsed.config;
      errors.insert(errors.end(), parsed.errors.begin(), parsed.errors.end());
    }
    s.finish({{"method", kNotYet},
              {"post_bootstrap", kNotYet},
              {"post_init", kNotYet},
              {"users",
               "removed from Patroni in 4.0 and not supported; create users in a "
               "post-bootstrap step"}});
  }

  c.tags = read_tags(root.section("tags"));
  read_watchdog(root.section("watchdog"), c.watchdog);

  root.finish(top_level_hints());

  if (errors.empty()) {
    auto more = check_safety_margin(c.bootstrap.dcs, c.safety_margin(c.bootstrap.dcs),
                                    "bootstrap.dcs", "watchdog.safety_margin");
    errors.insert(errors.end(), more.begin(), more.end());
  }

  for (const auto& e : errors) out.errors.push_back(format_config_error(e, source, doc.lines));
  if (out.errors.empty()) out.config = std::move(c);
  return out;
}

ConfigLoad load_config_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return {std::nullopt, {"config file '" + path + "' is a directory"}};
  }
  std::ifstream in(path);
  if (!in) {
    return {std::nullopt, {"cannot read config file '" + path + "': " + std::strerror(errno)}};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

}  // namespace ha::agent
