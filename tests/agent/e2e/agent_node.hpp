// AgentNode: one member of the e2e cluster — its private directory (owned by postgres), its
// generated config, the haagent process run as postgres through setpriv (the PID held is the
// agent's own; it gets SIGKILL when the test process dies), kill -9 helpers for the agent and
// for its PostgreSQL (postmaster pid from postmaster.pid, and the postmaster's children), and
// HTTP calls to its REST API. Everything it started is killed by PID when it is destroyed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cluster_harness.hpp"
#include "tests/agent/e2e/agent_config.hpp"
#include "tests/agent/e2e/e2e_env.hpp"

namespace ha::e2e {

struct HttpResult {
  int status = 0;  // 0: no answer
  std::string body;
};

class AgentNode {
 public:
  // `dir` exists and belongs to postgres; the data directory is <dir>/data.
  AgentNode(AgentConfigSpec spec, std::string dir, std::string haagent_path);
  ~AgentNode();
  AgentNode(const AgentNode&) = delete;
  AgentNode& operator=(const AgentNode&) = delete;

  const std::string& name() const { return spec_.name; }
  std::uint16_t pg_port() const { return spec_.pg_port; }
  std::uint16_t api_port() const { return spec_.api_port; }
  const std::string& data_dir() const { return spec_.data_dir; }
  const std::string& config_path() const { return config_path_; }
  const std::string& log_path() const { return log_path_; }
  std::string log_tail(std::size_t bytes = 3000) const;

  // Starts haagent (again); the log file is appended to.
  void start_agent();
  bool agent_running();
  int agent_pid() const;
  // kill -9 and reap (its helper processes, e.g. the fence guard, live on until the node is
  // destroyed).
  void kill_agent();
  // SIGTERM, wait up to `timeout`, then SIGKILL.
  void stop_agent(Ms timeout = Ms(15000));

  // The live postmaster's pid from <data_dir>/postmaster.pid, 0 when none.
  int postmaster_pid() const;
  // kill -9 the postmaster and every process it started; waits until they are gone. Returns
  // the postmaster's pid (0 when none was running).
  int kill_postgres();
  // kill -9 of the agent and PostgreSQL together (the postmaster's pid is read first, so the
  // agent's own fencing cannot race it away). `agent_and_postgres` leaves the agent's helper
  // processes (its fence guard) alone, as `kill -9` of the two programs would; `whole_node` also
  // kills them, as a machine that dies would. Returns the postmaster's pid.
  enum class Crash { agent_and_postgres, whole_node };
  int crash_node(Crash how = Crash::agent_and_postgres);

  HttpResult api_get(const std::string& path, Ms timeout = Ms(2000)) const;
  HttpResult api_post(const std::string& path, const std::string& json_body,
                      Ms timeout = Ms(10000)) const;

 private:
  AgentConfigSpec spec_;
  std::string dir_;
  std::string haagent_;
  std::string config_path_;
  std::string log_path_;
  std::unique_ptr<ha::itest::Child> agent_;
  std::vector<int> helpers_;  // the agent's children left running when it was killed
};

// Whether `pid` is a live process (a zombie is not).
bool process_alive(int pid);
// The pids whose parent is `pid`.
std::vector<int> children_of(int pid);

}  // namespace ha::e2e
