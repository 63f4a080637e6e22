// PgNodes: the three "machines" of the PostgreSQL-layer campaign, one per network namespace of a
// ha::chaos::Network, each running hadcs and haagent (which starts PostgreSQL 15) as the postgres
// user from the configs deploy/ha-config.sh writes. Processes are tracked by PID: hadcs and the
// agents are our children (started through ip netns exec + setpriv, which exec in place, with
// --pdeathsig SIGKILL); the agent's fence guard (its child named haagent-fence) and the
// postmaster (from postmaster.pid) are found through /proc. The faults that act on processes
// live here: kill -9 of an agent, of PostgreSQL, of hadcs or of a whole node, SIGSTOP/SIGCONT of
// an agent. Everything started (and every guard and postmaster left behind) is killed by PID when
// the object is destroyed.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/chaos/network.hpp"

namespace ha::chaos::pg {

struct NodesOptions {
  std::string hadcs, haagent, hactl;  // binaries (copied into work/bin for the postgres user)
  std::string work;                   // an empty folder, traversable by postgres
  bool synchronous_mode = true;
  std::string repo;                   // for deploy/ha-config.sh
};

class PgNodes {
 public:
  // Writes the configs (throws std::runtime_error on failure). Starts nothing.
  PgNodes(const Network& net, NodesOptions options);
  ~PgNodes();
  PgNodes(const PgNodes&) = delete;
  PgNodes& operator=(const PgNodes&) = delete;

  int size() const { return static_cast<int>(n_.size()); }
  std::string ip(int i) const { return net_.ip(i); }
  std::string name(int i) const { return "n" + std::to_string(i + 1); }
  const std::string& superuser_password() const { return su_password_; }
  std::string conninfo(int i) const;  // to node i's PostgreSQL as the superuser
  std::string agent_log(int i) const { return dir(i) + "/haagent.log"; }
  std::string dcs_log(int i) const { return dir(i) + "/hadcs.log"; }
  std::string pg_data(int i) const { return dir(i) + "/data/postgresql"; }
  std::string dir(int i) const { return work_ + "/" + name(i); }

  void start_dcs(int i);
  void start_agent(int i);
  bool dcs_running(int i) const { return n_.at(static_cast<std::size_t>(i)).dcs > 0; }
  bool agent_running(int i) const { return n_.at(static_cast<std::size_t>(i)).agent > 0; }
  pid_t agent_pid(int i) const { return n_.at(static_cast<std::size_t>(i)).agent; }
  bool agent_paused(int i) const { return n_.at(static_cast<std::size_t>(i)).paused; }

  // kill -9 the agent alone (its fence guard and PostgreSQL live on, as after `kill -9 haagent`).
  void kill_agent(int i);
  // kill -9 the postmaster and its postgres children; returns the postmaster's pid (0: none).
  int kill_postgres(int i);
  void kill_dcs(int i);
  // The machine dies: fence guard (and any other child of the agent), agent, PostgreSQL and
  // hadcs get SIGKILL, the guard first so it cannot fence on the agent's death.
  void kill_node(int i);
  void pause_agent(int i);
  void resume_agent(int i);
  // SIGCONT to paused agents; starts hadcs and agents that are not running.
  void restart_missing();
  // SIGTERM to agents (they stop PostgreSQL), then hadcs; SIGKILL after 20 s; then any guard or
  // postmaster left is killed by PID.
  void stop_all();
  // Agents and hadcs members that exited although we did not kill them ("haagent n2 (pid 12)
  // exited with code 1"); each reported once, and counted as not running afterwards.
  std::vector<std::string> reap_unexpected();

  // The node whose hadcs says it is the Raft leader (metrics), or -1.
  int dcs_leader() const;
  // The nodes whose agent answers 200 to GET /primary.
  std::vector<int> api_primaries() const;
  // `hactl list` through the DCS (for the report).
  std::string hactl_list() const;

 private:
  struct Node {
    pid_t dcs = -1;
    pid_t agent = -1;
    bool paused = false;
  };
  void write_configs(const NodesOptions& o);
  int postmaster_pid(int i) const;
  void kill_leftovers();

  const Network& net_;
  std::string work_, bin_;
  std::string su_password_;
  std::vector<Node> n_;
  std::vector<pid_t> guards_;  // fence guards seen as children of our agents
};

// /proc helpers.
bool process_alive(pid_t pid);  // exists and is not a zombie
std::vector<pid_t> children_of(pid_t parent);
std::string process_comm(pid_t pid);

}  // namespace ha::chaos::pg
