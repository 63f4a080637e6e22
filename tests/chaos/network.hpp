// Network: N "machines" as network namespaces, each with its own address 10.78.0.<i+1> on a veth
// to a bridge in a switch namespace, plus one client namespace (10.78.0.100) for the workload,
// so nothing touches the host's network. Faults are packet filters inside the namespaces
// (iptables DROP, random loss), netem delay when the kernel has it, and bridge ports going down.
// Every namespace it made is deleted, by name, when it is destroyed.
#pragma once

#include <string>
#include <vector>

namespace ha::chaos {

class Network {
 public:
  // Creates the namespaces and links; throws std::runtime_error on failure (after removing
  // what it made). Names end in `tag` (the campaign's PID) so parallel runs do not collide.
  Network(int nodes, const std::string& tag, const std::string& log_path);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  int nodes() const { return static_cast<int>(ns_.size()); }
  const std::string& ns(int i) const { return ns_.at(static_cast<std::size_t>(i)); }
  std::string ip(int i) const { return "10.78.0." + std::to_string(i + 1); }
  const std::string& client_ns() const { return client_ns_; }
  static std::string client_ip() { return "10.78.0.100"; }

  // Packets from node `from` to node `to` are dropped at `to` (one way).
  void drop(int from, int to);
  // Drop both ways between every node of `a` and every node of `b`.
  void partition(const std::vector<int>& a, const std::vector<int>& b);
  // Random loss of `percent` % of the packets node i receives (from anyone, clients included).
  void loss(int i, int percent);
  // Extra delay on node i's outgoing packets; false when the kernel has no netem.
  bool delay(int i, int ms);
  bool delay_available() const { return netem_; }
  // Node i's bridge port goes down (a silent machine: no resets) / up.
  void cut(int i);
  // Removes every filter, delay and cut.
  void heal();

 private:
  void ns_run(const std::string& ns, std::vector<std::string> argv, bool must = true);
  void add_ns(const std::string& name);
  void destroy();

  std::string log_;
  std::string sw_;
  std::string client_ns_;
  std::vector<std::string> ns_;
  std::vector<std::string> created_;
  bool netem_ = false;
};

// Whether this process may build the network: root, and `ip netns add` works. Empty when yes,
// else why not (the campaign then exits as skipped).
std::string network_unavailable_reason();

// Joins the calling thread (and the threads it starts later) to namespace `ns`; throws
// std::runtime_error when it cannot.
void enter_namespace(const std::string& ns);

}  // namespace ha::chaos
