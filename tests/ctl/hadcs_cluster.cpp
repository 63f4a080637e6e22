#include "tests/ctl/hadcs_cluster.hpp"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace ha::test {

HadcsCluster::HadcsCluster(int members) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "hactl-it-XXXXXX").string();
  dir_ = ::mkdtemp(tmpl.data());
  std::vector<int> client_ports, peer_ports;
  std::string initial;
  for (int i = 1; i <= members; ++i) {
    client_ports.push_back(free_loopback_port());
    peer_ports.push_back(free_loopback_port());
    initial += (i > 1 ? "," : "") + std::string("n") + std::to_string(i) + "=http://127.0.0.1:" +
               std::to_string(peer_ports.back());
    endpoints_ += (i > 1 ? "," : "") + std::string("127.0.0.1:") + std::to_string(client_ports.back());
  }
  for (int i = 0; i < members; ++i) {
    const std::string name = "n" + std::to_string(i + 1);
    const auto idx = static_cast<std::size_t>(i);
    pids_.push_back(spawn({HADCS_BIN, "--name", name, "--data-dir", dir_ + "/" + name,
                           "--listen-client-urls", "http://127.0.0.1:" + std::to_string(client_ports[idx]),
                           "--listen-peer-urls", "http://127.0.0.1:" + std::to_string(peer_ports[idx]),
                           "--initial-cluster", initial},
                          dir_ + "/" + name + ".log"));
  }
}

HadcsCluster::~HadcsCluster() {
  for (const pid_t pid : pids_) kill_and_reap(pid);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool HadcsCluster::wait_for_leader(int seconds) const {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    const auto r = hactl({"--timeout", "1", "dcs", "status", "--format", "json"});
    if (r.exit_code == 0 && r.out.find("\"is_leader\":true") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

RunResult HadcsCluster::hactl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {HACTL_BIN, "--dcs", endpoints_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, dir_);
}

RunResult HadcsCluster::hactl_with_input(const std::vector<std::string>& args,
                                        const std::string& input) const {
  std::vector<std::string> argv = {HACTL_BIN, "--dcs", endpoints_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, dir_, std::chrono::seconds(60), input);
}

std::string HadcsCluster::logs() const {
  std::string out;
  for (std::size_t i = 1; i <= pids_.size(); ++i) {
    std::ifstream in(dir_ + "/n" + std::to_string(i) + ".log");
    std::string line;
    for (int n = 0; n < 20 && std::getline(in, line); ++n) out += "n" + std::to_string(i) + ": " + line + "\n";
  }
  return out;
}

}  // namespace ha::test
