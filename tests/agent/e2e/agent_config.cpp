#include "tests/agent/e2e/agent_config.hpp"

#include <sstream>

namespace ha::e2e {

std::string render_agent_config(const AgentConfigSpec& s) {
  std::ostringstream y;
  y << "scope: " << kScope << "\n"
    << "name: " << s.name << "\n"
    << "namespace: " << kNamespace << "\n"
    << "dcs:\n  endpoints: [";
  for (std::size_t i = 0; i < s.dcs_endpoints.size(); ++i) {
    y << (i == 0 ? "" : ", ") << s.dcs_endpoints[i];
  }
  y << "]\n"
    << "restapi:\n"
    << "  listen: 127.0.0.1:" << s.api_port << "\n"
    << "  connect_address: 127.0.0.1:" << s.api_port << "\n"
    << "postgresql:\n"
    << "  data_dir: " << s.data_dir << "\n"
    << "  bin_dir: " << s.bin_dir << "\n"
    << "  listen: 127.0.0.1:" << s.pg_port << "\n"
    << "  connect_address: 127.0.0.1:" << s.pg_port << "\n"
    << "  authentication:\n"
    << "    superuser:\n      username: postgres\n"
    << "    replication:\n      username: " << kReplUser << "\n      password: " << kReplPassword
    << "\n"
    << "  parameters:\n"
    << "    unix_socket_directories: " << s.socket_dir << "\n"
    << (s.fsync ? "" : "    fsync: off\n")
    << "    shared_buffers: 16MB\n"
    << "    max_connections: 40\n"
    << "    log_min_messages: warning\n"
    << "  pg_hba:\n"
    << "    - local all all trust\n"
    << "    - host all postgres 127.0.0.1/32 trust\n"
    << "    - host replication " << kReplUser << " 127.0.0.1/32 scram-sha-256\n"
    << "    - host all all 127.0.0.1/32 scram-sha-256\n"
    << "bootstrap:\n"
    << "  initdb:\n    - encoding: UTF8\n    - locale: C\n"
    << "  dcs:\n"
    << "    synchronous_mode: " << (s.synchronous_mode ? "true" : "false") << "\n"
    << "watchdog:\n  mode: off\n";
  return y.str();
}

std::string cluster_key(const std::string& key) {
  return std::string(kNamespace) + "/" + kScope + "/" + key;
}

}  // namespace ha::e2e
