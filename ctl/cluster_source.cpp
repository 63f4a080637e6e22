#include "ctl/cluster_source.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace ha::ctl {

namespace {

// A list of host:port strings, or one comma-separated string.
std::string read_endpoints(const YAML::Node& node, const std::string& where,
                           std::vector<dcs::Endpoint>& out) {
  std::string joined;
  if (node.IsScalar()) {
    joined = node.as<std::string>();
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      if (!item.IsScalar()) return where + ": every item must be a host:port string";
      if (!joined.empty()) joined += ',';
      joined += item.as<std::string>();
    }
  } else {
    return where + ": must be a list of host:port, e.g. [10.0.0.1:2379, 10.0.0.2:2379]";
  }
  std::vector<dcs::Endpoint> parsed;
  if (auto err = dcs::parse_endpoint_list(joined, parsed); !err.empty()) return where + ": " + err;
  out = std::move(parsed);
  return {};
}

std::string scalar(const YAML::Node& node, const std::string& where, std::string& out) {
  if (!node.IsScalar()) return where + ": must be a string";
  out = node.as<std::string>();
  return {};
}

}  // namespace

std::string ClusterSource::key_prefix() const {
  std::string ns = namespace_path;
  while (!ns.empty() && ns.back() == '/') ns.pop_back();
  return ns + "/" + scope + "/";
}

std::string ClusterSource::endpoints_text() const {
  std::string text;
  for (const auto& e : endpoints) text += (text.empty() ? "" : ", ") + e.host_port();
  return text;
}

std::string read_cluster_yaml(std::string_view yaml, const std::string& source, ClusterSource& out) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return source + ": not valid YAML: " + e.what();
  }
  if (root.IsNull()) return {};
  if (!root.IsMap()) return source + ": the config must be a YAML mapping";
  const std::string at = source + ": ";
  if (const auto n = root["scope"]; n) {
    if (auto err = scalar(n, at + "scope", out.scope); !err.empty()) return err;
  }
  if (const auto n = root["namespace"]; n) {
    if (auto err = scalar(n, at + "namespace", out.namespace_path); !err.empty()) return err;
  }
  for (const char* section : {"ctl", "restapi"}) {
    const auto sec = root[section];
    if (!sec || !sec.IsMap() || !sec["authentication"]) continue;
    const auto auth = sec["authentication"];
    const std::string where = at + section + ".authentication";
    if (!auth.IsMap()) return where + ": must have username and password";
    ApiCredentials creds;
    if (auth["username"]) {
      if (auto err = scalar(auth["username"], where + ".username", creds.username); !err.empty()) {
        return err;
      }
    }
    if (auth["password"]) {
      if (auto err = scalar(auth["password"], where + ".password", creds.password); !err.empty()) {
        return err;
      }
    }
    if (creds.username.empty()) return where + ".username: missing";
    out.api_auth = creds;
    break;
  }
  const auto dcs = root["dcs"];
  const auto etcd3 = root["etcd3"];
  if (dcs && dcs.IsMap() && dcs["endpoints"]) {
    return read_endpoints(dcs["endpoints"], at + "dcs.endpoints", out.endpoints);
  }
  if (etcd3 && etcd3.IsMap() && etcd3["hosts"]) {
    return read_endpoints(etcd3["hosts"], at + "etcd3.hosts", out.endpoints);
  }
  if (etcd3 && etcd3.IsMap() && etcd3["host"]) {
    return read_endpoints(etcd3["host"], at + "etcd3.host", out.endpoints);
  }
  return {};
}

std::string resolve_cluster(const CtlOptions& options, ClusterSource& out) {
  if (!options.config_file.empty()) {
    std::ifstream in(options.config_file);
    if (!in) return "cannot read config file '" + options.config_file + "'";
    std::stringstream text;
    text << in.rdbuf();
    if (auto err = read_cluster_yaml(text.str(), options.config_file, out); !err.empty()) return err;
  }
  if (!options.dcs_endpoints.empty()) out.endpoints = options.dcs_endpoints;
  if (!options.scope.empty()) out.scope = options.scope;
  if (out.endpoints.empty()) {
    return options.config_file + ": no DCS endpoints (dcs.endpoints); pass --dcs HOST:PORT,...";
  }
  if (needs_scope(options.command) && out.scope.empty()) {
    return options.config_file + ": no scope; pass --scope NAME";
  }
  return {};
}

}  // namespace ha::ctl
