#include "agent/node/node_settings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace ha::agent::node {

namespace {

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// A user name in pg_hba.conf: double-quoted unless plain.
std::string hba_name(const std::string& name) {
  const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (plain) return name;
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

bool has_option(const std::vector<std::string>& args, std::string_view name) {
  return std::any_of(args.begin(), args.end(), [&](const std::string& a) {
    return a == name || starts_with(a, std::string(name) + "=");
  });
}

}  // namespace

pg::PgResult<UrlTarget> parse_conn_url(const std::string& conn_url) {
  auto bad = [&](const std::string& why) {
    return pg::pg_error(pg::PgErrorKind::kInvalid,
                        fmt::format("cannot use conn_url '{}': {}", conn_url, why));
  };
  std::string_view rest = conn_url;
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (rest.substr(0, scheme.size()) == scheme) {
      rest.remove_prefix(scheme.size());
      break;
    }
  }
  const auto end = rest.find_first_of("/?");
  if (end != std::string_view::npos) rest = rest.substr(0, end);
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (rest.empty()) return bad("no host");
  UrlTarget out;
  std::string_view port_text;
  if (rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("unclosed [ in the host");
    out.host = std::string(rest.substr(1, close - 1));
    const auto after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected text after the host");
      port_text = after.substr(1);
    }
  } else {
    const auto colon = rest.rfind(':');
    if (colon != std::string_view::npos) {
      out.host = std::string(rest.substr(0, colon));
      port_text = rest.substr(colon + 1);
    } else {
      out.host = std::string(rest);
    }
  }
  if (out.host.empty()) return bad("no host");
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [p, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port < 1 || port > 65535) {
      return bad("bad port '" + std::string(port_text) + "'");
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

std::optional<std::string> guc_text(const nlohmann::json& value) {
  if (value.is_null()) return std::nullopt;
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return std::string(value.get<bool>() ? "on" : "off");
  return value.dump();
}

std::map<std::string, std::string> merged_parameters(const AgentConfig& config,
                                                     const DynamicConfig& dynamic) {
  std::map<std::string, std::string> out;
  for (const auto* params : {&dynamic.postgresql.parameters, &config.postgresql.parameters}) {
    if (!params->is_object()) continue;
    for (auto it = params->begin(); it != params->end(); ++it) {
      if (auto text = guc_text(it.value())) out[it.key()] = *text;
    }
  }
  return out;
}

pg::ServerSettings server_settings(const AgentConfig& config, const DynamicConfig& dynamic,
                                   std::optional<pg::StandbySettings> standby) {
  pg::ServerSettings s;
  const auto& listen = config.postgresql.listen;
  s.listen_addresses =
      listen.host == "0.0.0.0" || listen.host == "::" || listen.host.empty() ? "*" : listen.host;
  s.port = listen.port;
  s.cluster_name = config.scope;
  s.parameters = merged_parameters(config, dynamic);
  s.standby = std::move(standby);
  return s;
}

std::vector<std::string> hba_lines(const AgentConfig& config) {
  if (!config.postgresql.pg_hba.empty()) return config.postgresql.pg_hba;
  const auto& auth = config.postgresql.authentication;
  std::vector<std::string> lines = {"local all all peer"};
  auto method = [](const Credentials& c) { return c.password.empty() ? "trust" : "scram-sha-256"; };
  const std::string su =
      hba_name(auth.superuser.username.empty() ? std::string("postgres") : auth.superuser.username);
  lines.push_back(fmt::format("host all {} 127.0.0.1/32 {}", su, method(auth.superuser)));
  lines.push_back(fmt::format("host all {} ::1/128 {}", su, method(auth.superuser)));
  auto remote = [&lines](const std::string& db, const Credentials& c) {
    if (c.username.empty()) return;
    if (c.password.empty()) {
      lines.push_back(fmt::format("host {} {} 127.0.0.1/32 trust", db, hba_name(c.username)));
      lines.push_back(fmt::format("host {} {} ::1/128 trust", db, hba_name(c.username)));
    } else {
      lines.push_back(fmt::format("host {} {} all scram-sha-256", db, hba_name(c.username)));
    }
  };
  remote("replication", auth.replication);
  if (auth.rewind) {
    remote("all", *auth.rewind);
  } else if (!auth.superuser.password.empty()) {
    remote("all", auth.superuser);
  }
  return lines;
}

pg::InitdbOptions initdb_options(const AgentConfig& config) {
  pg::InitdbOptions o;
  const auto& su = config.postgresql.authentication.superuser;
  if (!su.username.empty()) o.superuser = su.username;
  o.superuser_password = su.password;
  o.data_checksums = true;
  o.extra_args = config.bootstrap.initdb;
  if (has_option(o.extra_args, "--encoding") || has_option(o.extra_args, "-E")) o.encoding.clear();
  return o;
}

pg::ConnParams local_conn_params(const AgentConfig& config, int connect_timeout_s) {
  const auto& listen = config.postgresql.listen;
  pg::ConnParams p;
  std::string host = listen.host.substr(0, listen.host.find(','));
  if (host.empty() || host == "0.0.0.0" || host == "*") host = "127.0.0.1";
  if (host == "::") host = "::1";
  p.host = host;
  p.port = listen.port;
  const auto& su = config.postgresql.authentication.superuser;
  p.user = su.username.empty() ? "postgres" : su.username;
  p.password = su.password;
  p.dbname = "postgres";
  p.connect_timeout_s = connect_timeout_s;
  return p;
}

pg::ConnParams replication_conn_params(const AgentConfig& config, const UrlTarget& target,
                                       int connect_timeout_s) {
  const auto& repl = config.postgresql.authentication.replication;
  pg::ConnParams p;
  p.host = target.host;
  p.port = target.port;
  p.user = repl.username;
  p.password = repl.password;
  p.application_name = config.name;
  p.connect_timeout_s = connect_timeout_s;
  return p;
}

pg::ConnParams rewind_conn_params(const AgentConfig& config, const UrlTarget& target,
                                  int connect_timeout_s) {
  const auto& auth = config.postgresql.authentication;
  const Credentials& who = auth.rewind ? *auth.rewind : auth.superuser;
  pg::ConnParams p;
  p.host = target.host;
  p.port = target.port;
  p.user = who.username.empty() ? "postgres" : who.username;
  p.password = who.password;
  p.dbname = "postgres";
  p.connect_timeout_s = connect_timeout_s;
  return p;
}

}  // namespace ha::agent::node
