// ClusterSource: where hactl finds the cluster — hadcs endpoints, scope and key namespace —
// and the REST API credentials, from -c FILE / HACTL_CONFIG (only the keys scope, namespace,
// dcs.endpoints or etcd3.hosts, and ctl.authentication or restapi.authentication are read; the
// agent validates the rest) with --dcs and --scope winning. No I/O beyond the file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/agent_api_client.hpp"
#include "ctl/ctl_options.hpp"
#include "dcs/client/endpoint.hpp"

namespace ha::ctl {

struct ClusterSource {
  std::vector<dcs::Endpoint> endpoints;
  std::string scope;
  std::string namespace_path = "/service";
  // Basic auth for the agents' REST API, as patronictl reads it: ctl.authentication, else
  // restapi.authentication (username and password).
  std::optional<ApiCredentials> api_auth;

  // "<namespace>/<scope>/", the prefix of the cluster's keys.
  std::string key_prefix() const;
  // "a:2379, b:2379" for messages.
  std::string endpoints_text() const;
};

// Reads the keys above from YAML text; "" on success, else one line naming `source` and the key.
std::string read_cluster_yaml(std::string_view yaml, const std::string& source, ClusterSource& out);

// The file (if any), then the command line. "" on success, else one line for stderr.
std::string resolve_cluster(const CtlOptions& options, ClusterSource& out);

}  // namespace ha::ctl
