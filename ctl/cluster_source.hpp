// ClusterSource: where hactl finds the cluster — hadcs endpoints, scope and key namespace —
// from -c FILE / HACTL_CONFIG (only the keys scope, namespace, dcs.endpoints or etcd3.hosts
// are read; the agent validates the rest) with --dcs and --scope winning. No I/O beyond the file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ctl/ctl_options.hpp"
#include "dcs/client/endpoint.hpp"

namespace ha::ctl {

struct ClusterSource {
  std::vector<dcs::Endpoint> endpoints;
  std::string scope;
  std::string namespace_path = "/service";

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
