#include "tests/agent/e2e/ha_cluster.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "tests/agent/e2e/pg_probe.hpp"

namespace ha::e2e {

namespace fs = std::filesystem;

namespace {
const char* role_name(SplitBrainMonitor::Role r) {
  switch (r) {
    case SplitBrainMonitor::Role::writable: return "writable";
    case SplitBrainMonitor::Role::recovery: return "in recovery";
    case SplitBrainMonitor::Role::unknown: return "no answer";
  }
  return "?";
}
}  // namespace

HaCluster::HaCluster(HaClusterOptions options) : options_(options) {
  const std::string bin_dir = pg_bin_dir();
  postgres_user();  // throws unless root with a postgres account
  std::string tmpl = "/tmp/ha-e2e-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw E2eError("mkdtemp failed");
  dir_ = tmpl;
  ::chmod(dir_.c_str(), 0755);
  const std::string haagent = reachable_copy(haagent_binary(), dir_);

  ha::itest::ClusterOptions dcs_options;
  dcs_options.size = 3;
  dcs_options.heartbeat_ms = 100;  // hadcs's defaults (etcd's)
  dcs_options.election_ms = 1000;
  dcs_ = std::make_unique<ha::itest::Cluster>(dcs_options);
  dcs_->start_all();
  dcs_->wait_leader(Ms(15000));

  std::vector<std::string> endpoints;
  for (int i = 0; i < dcs_->size(); ++i) endpoints.push_back(dcs_->client_addr(i));
  std::vector<SplitBrainMonitor::Node> watched;
  for (int i = 0; i < options_.nodes; ++i) {
    AgentConfigSpec spec;
    spec.name = "node" + std::to_string(i + 1);
    const std::string node_dir = dir_ + "/" + spec.name;
    fs::create_directory(node_dir);
    ::chmod(node_dir.c_str(), 0700);
    give_to_postgres(node_dir);
    spec.data_dir = node_dir + "/data";
    spec.socket_dir = node_dir;
    spec.bin_dir = bin_dir;
    spec.pg_port = ha::itest::free_port();
    spec.api_port = ha::itest::free_port();
    spec.dcs_endpoints = endpoints;
    spec.synchronous_mode = options_.synchronous_mode;
    spec.fsync = options_.fsync;
    watched.push_back({spec.name, spec.pg_port});
    nodes_.push_back(std::make_unique<AgentNode>(spec, node_dir, haagent));
  }
  monitor_ = std::make_unique<SplitBrainMonitor>(watched);
  if (options_.start_agents) start_agents();
}

HaCluster::~HaCluster() {
  const bool failed = std::uncaught_exceptions() > 0;
  if (monitor_) monitor_->stop();
  if (failed) {
    std::cerr << "---- e2e state ----\n"
              << state() << "---- haagent logs (kept in " << dir_ << ") ----\n"
              << logs(6000);
  }
  for (auto& n : nodes_) n->kill_agent();
  nodes_.clear();  // kills each postmaster and its children
  dcs_.reset();
  if (!failed && std::getenv("HA_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

int HaCluster::index_of(const std::string& name) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->name() == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<std::uint16_t> HaCluster::pg_ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& n : nodes_) out.push_back(n->pg_port());
  return out;
}

void HaCluster::start_agents() {
  for (auto& n : nodes_) n->start_agent();
}

std::optional<std::string> HaCluster::dcs_get(const std::string& key) {
  for (int i : dcs_->live()) {
    try {
      return dcs_->get(i, cluster_key(key), false, Ms(1000));
    } catch (const std::exception&) {
      continue;
    }
  }
  return std::nullopt;
}

void HaCluster::dcs_put(const std::string& key, const std::string& value) {
  const auto live = dcs_->live();
  if (live.empty()) throw E2eError("no hadcs member is running");
  dcs_->put_retry(live.front(), cluster_key(key), value, Ms(10000));
}

int HaCluster::leader() {
  const auto v = dcs_get("leader");
  return v ? index_of(*v) : -1;
}

int HaCluster::wait_primary(Ms timeout, int not_this) {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    int writable = -1;
    int count = 0;
    for (int i = 0; i < size(); ++i) {
      if (pg_in_recovery(node(i).pg_port(), Ms(500)) == std::optional<bool>(false)) {
        writable = i;
        ++count;
      }
    }
    if (count == 1 && writable != not_this && leader() == writable) {
      monitor_->wait_round();  // so that the monitor has seen it too
      return writable;
    }
    std::this_thread::sleep_for(Ms(50));
  }
  throw E2eError("no single primary holding the leader key within " +
                 std::to_string(timeout.count()) + " ms\n" + state() + logs());
}

void HaCluster::wait_streaming(int primary, const std::vector<int>& replicas, Ms timeout) {
  const auto end = Clock::now() + timeout;
  const auto want = node(primary).pg_port();
  int in_a_row = 0;  // a replica that cannot follow (a timeline fork) streams for moments only
  while (true) {
    bool all = true;
    for (int r : replicas) {
      all = all && streaming_from(node(r).pg_port()) == std::optional<std::uint16_t>(want);
    }
    in_a_row = all ? in_a_row + 1 : 0;
    if (in_a_row >= 3) return;
    if (Clock::now() >= end) break;
    std::this_thread::sleep_for(Ms(100));
  }
  std::ostringstream s;
  for (int r : replicas) {
    const auto from = streaming_from(node(r).pg_port());
    s << node(r).name() << " streams from " << (from ? std::to_string(*from) : "nothing") << "\n";
  }
  throw E2eError("replicas not streaming from " + node(primary).name() + " (port " +
                 std::to_string(want) + ") within " + std::to_string(timeout.count()) + " ms\n" +
                 s.str() + state() + logs());
}

std::vector<int> HaCluster::others(int primary) const {
  std::vector<int> out;
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
    if (i != primary) out.push_back(i);
  }
  return out;
}

bool HaCluster::wait_value(int i, const std::string& sql, const std::string& expected, Ms timeout) {
  const auto end = Clock::now() + timeout;
  while (true) {
    if (pg_value(node(i).pg_port(), sql, Ms(1000)) == std::optional<std::string>(expected)) {
      return true;
    }
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(Ms(50));
  }
}

std::string HaCluster::state() {
  std::ostringstream s;
  for (int i = 0; i < size(); ++i) {
    auto& n = node(i);
    s << n.name() << ": pg port " << n.pg_port() << " " << role_name(monitor_->role(i))
      << ", agent pid " << (n.agent_running() ? std::to_string(n.agent_pid()) : "-")
      << ", postmaster pid " << n.postmaster_pid() << "\n";
  }
  s << "leader key: " << dcs_get("leader").value_or("(none or no answer)") << "\n";
  return s.str();
}

std::string HaCluster::logs(std::size_t bytes) const {
  std::ostringstream s;
  for (const auto& n : nodes_) {
    s << "--- " << n->name() << " (" << n->log_path() << ")\n" << n->log_tail(bytes) << "\n";
    s << "--- " << n->name() << " PostgreSQL (" << n->data_dir() << "/postmaster.log)\n"
      << ha::itest::file_tail(n->data_dir() + "/postmaster.log", bytes / 2) << "\n";
  }
  return s.str();
}

}  // namespace ha::e2e
