// HaCluster: the whole e2e setup on loopback — 3 hadcs members (tests/dcs/integration's
// Cluster, at hadcs's default timing), 3 AgentNodes with their configs in a private temp
// directory, and the SplitBrainMonitor over their PostgreSQL ports — with the waits the tests
// share (a primary that holds the leader key, replicas streaming from it, a row everywhere) and
// reads of the cluster's DCS keys. Destroyed: monitor stopped, then every agent, postmaster and
// hadcs killed by PID; on a failure (exception) the logs are printed and the directory kept.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster_harness.hpp"
#include "tests/agent/e2e/agent_node.hpp"
#include "tests/agent/e2e/e2e_env.hpp"
#include "tests/agent/e2e/split_brain_monitor.hpp"

namespace ha::e2e {

struct HaClusterOptions {
  int nodes = 3;
  bool synchronous_mode = false;
  bool fsync = false;        // PostgreSQL's fsync (off in tests, for speed)
  bool start_agents = true;  // start every agent in the constructor (not waiting for anything)
};

class HaCluster {
 public:
  explicit HaCluster(HaClusterOptions options = {});
  ~HaCluster();
  HaCluster(const HaCluster&) = delete;
  HaCluster& operator=(const HaCluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  AgentNode& node(int i) { return *nodes_.at(static_cast<std::size_t>(i)); }
  ha::itest::Cluster& dcs() { return *dcs_; }
  SplitBrainMonitor& monitor() { return *monitor_; }
  const std::string& dir() const { return dir_; }
  int index_of(const std::string& name) const;
  std::vector<std::uint16_t> pg_ports() const;

  void start_agents();

  // The value of a key of this cluster ("leader", "sync", ...) read through any live hadcs
  // member; nullopt when absent or when no member answered.
  std::optional<std::string> dcs_get(const std::string& key);
  void dcs_put(const std::string& key, const std::string& value);
  // The member named by the leader key, -1 when none (or the DCS did not answer).
  int leader();

  // Waits until exactly one node is writable, it is not `not_this`, and the leader key names
  // it, and the monitor had a round since; returns its index. Throws with the state and the
  // logs on timeout.
  int wait_primary(Ms timeout, int not_this = -1);
  // Waits until each of `replicas` is streaming from `primary` in 3 polls 100 ms apart.
  void wait_streaming(int primary, const std::vector<int>& replicas, Ms timeout);
  // Every node other than `primary`.
  std::vector<int> others(int primary) const;
  // Waits until `sql` returns `expected` as its first value on node i.
  bool wait_value(int i, const std::string& sql, const std::string& expected, Ms timeout);

  // One line per node: role seen by the monitor, agent and postmaster pids; then the leader key.
  std::string state();
  // Every agent's and PostgreSQL's log tail.
  std::string logs(std::size_t bytes = 2500) const;

 private:
  HaClusterOptions options_;
  std::string dir_;
  std::unique_ptr<ha::itest::Cluster> dcs_;
  std::vector<std::unique_ptr<AgentNode>> nodes_;
  std::unique_ptr<SplitBrainMonitor> monitor_;
};

}  // namespace ha::e2e
