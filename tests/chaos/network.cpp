#include "tests/chaos/network.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <stdexcept>

#include "tests/chaos/command.hpp"

namespace ha::chaos {

void enter_namespace(const std::string& ns) {
  int fd = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) throw std::runtime_error("cannot enter namespace " + ns);
  close(fd);
}

std::string network_unavailable_reason() {
  if (geteuid() != 0) return "needs root to create network namespaces";
  if (!have_program("ip")) return "'ip' (iproute2) is not installed";
  if (!have_program("iptables")) return "'iptables' is not installed (apt-get install iptables)";
  const std::string probe = "ha-chaos-probe-" + std::to_string(getpid());
  if (run_command({"ip", "netns", "add", probe}) != 0) return "cannot create network namespaces here";
  run_command({"ip", "netns", "del", probe});
  return {};
}

Network::Network(int nodes, const std::string& tag, const std::string& log_path) : log_(log_path) {
  sw_ = "hac-sw-" + tag;
  client_ns_ = "hac-c-" + tag;
  for (int i = 0; i < nodes; ++i) ns_.push_back("hac-n" + std::to_string(i + 1) + "-" + tag);
  try {
    add_ns(sw_);
    must_run({"ip", "-n", sw_, "link", "add", "br0", "type", "bridge"}, log_);
    must_run({"ip", "-n", sw_, "link", "set", "br0", "up"}, log_);
    auto attach = [&](const std::string& ns, const std::string& port, const std::string& ip) {
      add_ns(ns);
      must_run({"ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", sw_}, log_);
      must_run({"ip", "-n", sw_, "link", "set", port, "master", "br0", "up"}, log_);
      must_run({"ip", "-n", ns, "addr", "add", ip + "/24", "dev", "eth0"}, log_);
      must_run({"ip", "-n", ns, "link", "set", "eth0", "up"}, log_);
    };
    for (int i = 0; i < nodes; ++i) attach(ns_[static_cast<std::size_t>(i)], "port" + std::to_string(i), ip(i));
    attach(client_ns_, "portc", client_ip());
    for (int i = 0; i < nodes; ++i) {
      bool reached = false;
      for (int t = 0; t < 50 && !reached; ++t) {
        reached = run_command({"ip", "netns", "exec", client_ns_, "ping", "-c", "1", "-W", "1", ip(i)}) == 0;
        if (!reached) usleep(100'000);
      }
      if (!reached) throw std::runtime_error("the client namespace cannot reach " + ip(i) + " over the bridge");
    }
    // netem is optional (many kernels build it as a module, some not at all).
    netem_ = run_command({"ip", "netns", "exec", ns_[0], "tc", "qdisc", "add", "dev", "eth0", "root", "netem",
                          "delay", "1ms"}, log_) == 0;
    if (netem_) run_command({"ip", "netns", "exec", ns_[0], "tc", "qdisc", "del", "dev", "eth0", "root"}, log_);
  } catch (...) {
    destroy();
    throw;
  }
}

Network::~Network() { destroy(); }

void Network::destroy() {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) run_command({"ip", "netns", "del", *it}, log_);
  created_.clear();
}

void Network::add_ns(const std::string& name) {
  must_run({"ip", "netns", "add", name}, log_);
  created_.push_back(name);
  must_run({"ip", "-n", name, "link", "set", "lo", "up"}, log_);
}

void Network::ns_run(const std::string& ns, std::vector<std::string> argv, bool must) {
  argv.insert(argv.begin(), {"ip", "netns", "exec", ns});
  if (must) {
    must_run(argv, log_);
  } else {
    run_command(argv, log_);
  }
}

void Network::drop(int from, int to) {
  ns_run(ns(to), {"iptables", "-w", "-A", "INPUT", "-s", ip(from), "-j", "DROP"});
}

void Network::partition(const std::vector<int>& a, const std::vector<int>& b) {
  for (int x : a) {
    for (int y : b) {
      drop(x, y);
      drop(y, x);
    }
  }
}

void Network::loss(int i, int percent) {
  ns_run(ns(i), {"iptables", "-w", "-A", "INPUT", "-m", "statistic", "--mode", "random", "--probability",
                 std::to_string(percent / 100.0), "-j", "DROP"});
}

bool Network::delay(int i, int ms) {
  if (!netem_) return false;
  ns_run(ns(i), {"tc", "qdisc", "replace", "dev", "eth0", "root", "netem", "delay", std::to_string(ms) + "ms",
                 std::to_string(ms / 4) + "ms"});
  return true;
}

void Network::cut(int i) { must_run({"ip", "-n", sw_, "link", "set", "port" + std::to_string(i), "down"}, log_); }

void Network::heal() {
  for (int i = 0; i < nodes(); ++i) {
    ns_run(ns(i), {"iptables", "-w", "-F", "INPUT"}, false);
    if (netem_) ns_run(ns(i), {"tc", "qdisc", "del", "dev", "eth0", "root"}, false);
    run_command({"ip", "-n", sw_, "link", "set", "port" + std::to_string(i), "up"}, log_);
  }
}

}  // namespace ha::chaos
