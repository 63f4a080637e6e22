#include "dcs/server_options.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <ha_version.hpp>
#include <set>

#include "dcs/config_file.hpp"

namespace ha::dcs {

namespace {

constexpr std::int64_t kMaxElectionTimeoutMs = 50000;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

std::string check_name(std::string_view name) {
  if (name.empty()) return "must not be empty";
  for (char c : name) {
    if (!is_name_char(c)) {
      return "'" + std::string(name) + "': use only letters, digits, '.', '-' and '_'";
    }
  }
  return {};
}

std::string join_urls(const std::vector<Endpoint>& list) {
  std::string s;
  for (const auto& e : list) {
    if (!s.empty()) s += ',';
    s += e.url();
  }
  return s;
}

// The command line as text, before the values are converted and checked.
struct RawFlags {
  std::string listen_client_urls = "http://127.0.0.1:2379";
  std::string advertise_client_urls;
  std::string listen_peer_urls = "http://127.0.0.1:2380";
  std::string initial_advertise_peer_urls;
  std::string initial_cluster;
  std::string initial_cluster_state = "new";
  std::string leader_writes = "async";
  std::int64_t heartbeat_ms = 100;
  std::int64_t election_ms = 1000;
  std::string metrics_listen;
};

// Converts the text flags into `o`; empty when all parse, else what is wrong.
std::string convert(const RawFlags& raw, ServerOptions& o) {
  if (auto err = check_name(o.name); !err.empty()) return "--name " + err;
  if (o.data_dir.empty()) o.data_dir = o.name + ".hadcs";

  struct UrlFlag {
    const char* flag;
    const std::string& text;
    std::vector<Endpoint>& out;
  };
  const UrlFlag url_flags[] = {
      {"--listen-client-urls", raw.listen_client_urls, o.listen_client_urls},
      {"--advertise-client-urls", raw.advertise_client_urls, o.advertise_client_urls},
      {"--listen-peer-urls", raw.listen_peer_urls, o.listen_peer_urls},
      {"--initial-advertise-peer-urls", raw.initial_advertise_peer_urls,
       o.initial_advertise_peer_urls},
  };
  for (const auto& f : url_flags) {
    if (f.text.empty()) continue;  // defaulted below
    if (auto err = parse_endpoint_list(f.text, f.out); !err.empty()) return f.flag + (": " + err);
  }
  if (o.advertise_client_urls.empty()) o.advertise_client_urls = o.listen_client_urls;
  if (o.initial_advertise_peer_urls.empty()) o.initial_advertise_peer_urls = o.listen_peer_urls;

  if (raw.initial_cluster.empty()) {
    o.initial_cluster.clear();
    for (const auto& e : o.initial_advertise_peer_urls) o.initial_cluster.push_back({o.name, e});
  } else if (auto err = parse_initial_cluster(raw.initial_cluster, o.initial_cluster);
             !err.empty()) {
    return "--initial-cluster: " + err;
  }

  if (raw.initial_cluster_state == "new") {
    o.initial_cluster_state = ClusterState::kNew;
  } else if (raw.initial_cluster_state == "existing") {
    o.initial_cluster_state = ClusterState::kExisting;
  } else {
    return "--initial-cluster-state must be 'new' or 'existing', not '" +
           raw.initial_cluster_state + "'";
  }

  if (raw.leader_writes == "async" || raw.leader_writes == "sync") {
    o.async_leader_writes = raw.leader_writes == "async";
  } else {
    return "--leader-writes must be 'async' or 'sync', not '" + raw.leader_writes + "'";
  }

  o.heartbeat_interval = std::chrono::milliseconds(raw.heartbeat_ms);
  o.election_timeout = std::chrono::milliseconds(raw.election_ms);

  o.metrics_listen.reset();
  if (!raw.metrics_listen.empty()) {
    Endpoint e;
    if (auto err = parse_endpoint(raw.metrics_listen, e); !err.empty()) {
      return "--metrics-listen: " + err;
    }
    o.metrics_listen = e;
  }
  return {};
}

}  // namespace

std::string parse_initial_cluster(std::string_view text, std::vector<InitialMember>& out) {
  std::vector<InitialMember> members;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      return "'" + std::string(item) + "': expected name=url, e.g. node1=http://10.0.0.1:2380";
    }
    InitialMember m;
    m.name = std::string(item.substr(0, eq));
    if (auto err = check_name(m.name); !err.empty()) return "member name " + err;
    if (auto err = parse_endpoint(item.substr(eq + 1), m.peer_url); !err.empty()) return err;
    for (const auto& other : members) {
      if (other.peer_url == m.peer_url) {
        return "peer URL " + m.peer_url.url() + " is given to both '" + other.name + "' and '" +
               m.name + "'";
      }
    }
    members.push_back(std::move(m));
    start = comma + 1;
  }
  out = std::move(members);
  return {};
}

std::string validate(const ServerOptions& o) {
  if (auto err = check_name(o.name); !err.empty()) return "--name " + err;
  if (o.data_dir.empty()) return "--data-dir must not be empty";
  if (o.listen_client_urls.empty()) return "--listen-client-urls must name at least one URL";
  if (o.listen_peer_urls.empty()) return "--listen-peer-urls must name at least one URL";
  for (const auto& e : o.advertise_client_urls) {
    if (e.is_unspecified()) {
      return "--advertise-client-urls: " + e.url() +
             " is not an address clients can connect to; advertise this machine's address";
    }
  }
  for (const auto& e : o.initial_advertise_peer_urls) {
    if (e.is_unspecified()) {
      return "--initial-advertise-peer-urls: " + e.url() +
             " is not an address peers can connect to; advertise this machine's address";
    }
  }

  // This member must be in the initial cluster, under the peer URLs it advertises.
  std::set<std::string> listed;
  for (const auto& m : o.initial_cluster) {
    if (m.name == o.name) listed.insert(m.peer_url.url());
  }
  if (listed.empty()) {
    return "--initial-cluster does not list this member '" + o.name + "'; add " + o.name +
           "=<its peer URL>";
  }
  std::set<std::string> advertised;
  for (const auto& e : o.initial_advertise_peer_urls) advertised.insert(e.url());
  if (listed != advertised) {
    std::string l;
    for (const auto& u : listed) l += (l.empty() ? "" : ",") + u;
    return "--initial-cluster gives '" + o.name + "' the peer URLs " + l +
           " but --initial-advertise-peer-urls is " + join_urls(o.initial_advertise_peer_urls) +
           "; they must be the same";
  }

  const auto hb = o.heartbeat_interval.count();
  const auto et = o.election_timeout.count();
  if (hb < 1) return "--heartbeat-interval must be at least 1 ms";
  if (et < 5 * hb) {
    return "--election-timeout (" + std::to_string(et) +
           " ms) must be at least 5 times --heartbeat-interval (" + std::to_string(hb) + " ms)";
  }
  if (et > kMaxElectionTimeoutMs) {
    return "--election-timeout must be at most " + std::to_string(kMaxElectionTimeoutMs) + " ms";
  }
  if (o.snapshot_count < 1) return "--snapshot-count must be at least 1";
  if (o.initial_cluster_token.empty()) return "--initial-cluster-token must not be empty";
  if (o.max_request_bytes < 1) return "--max-request-bytes must be at least 1";
  if (o.max_request_bytes > o.quota_backend_bytes) {
    return "--max-request-bytes (" + std::to_string(o.max_request_bytes) +
           ") must not exceed --quota-backend-bytes (" + std::to_string(o.quota_backend_bytes) +
           ")";
  }
  return {};
}

ServerCommandLine parse_server_command_line(int argc, const char* const* argv) {
  ServerCommandLine result;
  ServerOptions& o = result.options;
  RawFlags raw;

  CLI::App app{
      "hadcs: one member of a replicated key-value store with TTL leases and watches "
      "(etcd v3 API), built on Raft.",
      "hadcs"};
  app.set_version_flag("--version", std::string("hadcs ") + ha::kVersionFull,
                       "Print the version and exit");
  app.footer(
      "Durations are in milliseconds; sizes take b, kb, mb, gb (factors of 1024).\n"
      "Options given here win over the same keys in --config-file.\n"
      "Exit codes: 0 success, 1 runtime failure, 2 bad usage.");

  app.add_option("--name", o.name, "This member's name, as used in --initial-cluster")
      ->capture_default_str();
  app.add_option("--data-dir", o.data_dir,
                 "Where the Raft log and the store live (default: <name>.hadcs)");
  app.add_option("--listen-client-urls", raw.listen_client_urls,
                 "URLs to serve clients on (etcd v3 gRPC), comma-separated")
      ->capture_default_str();
  app.add_option("--advertise-client-urls", raw.advertise_client_urls,
                 "Client URLs to tell others about (default: --listen-client-urls)");
  app.add_option("--listen-peer-urls", raw.listen_peer_urls,
                 "URLs to talk Raft with the other members on, comma-separated")
      ->capture_default_str();
  app.add_option("--initial-advertise-peer-urls", raw.initial_advertise_peer_urls,
                 "This member's peer URLs as the others reach them (default: --listen-peer-urls)");
  app.add_option("--initial-cluster", raw.initial_cluster,
                 "Every member of the new cluster: name=url,name=url (default: this member only)");
  app.add_option("--initial-cluster-token", o.initial_cluster_token,
                 "Names the cluster at bootstrap; give each cluster its own so that members of "
                 "different clusters refuse each other")
      ->capture_default_str();
  app.add_option("--initial-cluster-state", raw.initial_cluster_state,
                 "'new' to bootstrap, 'existing' to join a running cluster")
      ->capture_default_str();
  app.add_option("--heartbeat-interval", raw.heartbeat_ms, "Leader heartbeat period, ms")
      ->capture_default_str();
  app.add_option("--election-timeout", raw.election_ms,
                 "Time without a leader before an election, ms (at least 5 heartbeats)")
      ->capture_default_str();
  app.add_option("--snapshot-count", o.snapshot_count,
                 "Applied entries between two snapshots (log compaction)")
      ->capture_default_str();
  app.add_option("--leader-writes", raw.leader_writes,
                 "How the leader writes its log: 'async' (while it replicates; its own copy counts "
                 "toward the quorum once written) or 'sync' (before it handles acknowledgements; "
                 "slower, for comparison)")
      ->capture_default_str();
  app.add_option("--max-request-bytes", o.max_request_bytes, "Largest client request accepted")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--quota-backend-bytes", o.quota_backend_bytes,
                 "Database size at which writes are refused")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--metrics-listen", raw.metrics_listen,
                 "URL for HTTP /health and /metrics, e.g. http://127.0.0.1:2381 (default: off)");
  app.add_option("--config-file", o.config_file,
                 "YAML file of option: value using the long option names above")
      ->configurable(false);

  const auto usage_error = [&](const std::string& what) {
    result.run = false;
    result.exit_code = 2;
    result.err = "hadcs: " + what;
    return result;
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    result.out = app.help();
    return result;
  } catch (const CLI::CallForAllHelp&) {
    result.out = app.help("", CLI::AppFormatMode::All);
    return result;
  } catch (const CLI::CallForVersion& e) {
    result.out = std::string(e.what()) + "\n";
    return result;
  } catch (const CLI::ParseError& e) {
    return usage_error(std::string(e.what()) + " (see hadcs --help)");
  }

  if (!o.config_file.empty()) {
    if (auto err = apply_yaml_config(app, o.config_file); !err.empty()) return usage_error(err);
  }
  if (auto err = convert(raw, o); !err.empty()) return usage_error(err);
  if (auto err = validate(o); !err.empty()) return usage_error(err);
  result.run = true;
  return result;
}

}  // namespace ha::dcs
