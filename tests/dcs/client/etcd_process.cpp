#include "etcd_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "dcs/client/client.hpp"

namespace ha::test {

namespace fs = std::filesystem;

std::uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string EtcdProcess::binary() {
  const char* env = std::getenv("HA_ETCD_BIN");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string("/usr/bin/etcd");
}

bool EtcdProcess::available() { return ::access(binary().c_str(), X_OK) == 0; }

std::unique_ptr<EtcdProcess> EtcdProcess::start(std::string& error) {
  std::unique_ptr<EtcdProcess> p(new EtcdProcess());
  std::string tmpl = (fs::temp_directory_path() / "ha-etcd-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    error = "mkdtemp failed";
    return nullptr;
  }
  p->dir_ = buf.data();
  p->client_ = dcs::Endpoint{"127.0.0.1", free_loopback_port()};
  p->peer_ = dcs::Endpoint{"127.0.0.1", free_loopback_port()};
  if (p->client_.port == 0 || p->peer_.port == 0 || p->client_.port == p->peer_.port) {
    error = "no free loopback port";
    return nullptr;
  }

  const std::string bin = binary();
  const std::string log = p->dir_ + "/etcd.log";
  std::vector<std::string> args = {
      bin,
      "--name=n1",
      "--data-dir=" + p->dir_ + "/data",
      "--listen-client-urls=" + p->client_.url(),
      "--advertise-client-urls=" + p->client_.url(),
      "--listen-peer-urls=" + p->peer_.url(),
      "--initial-advertise-peer-urls=" + p->peer_.url(),
      "--initial-cluster=n1=" + p->peer_.url(),
      "--initial-cluster-state=new",
      "--initial-cluster-token=ha-client-test",
  };
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    error = "fork failed";
    return nullptr;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. Die with the test process.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  p->pid_ = pid;

  // Ready when a Status call answers with a leader (a single member elects itself quickly).
  dcs::ClientOptions options;
  options.endpoints = {p->client_};
  options.default_timeout = std::chrono::milliseconds(500);
  dcs::Client client(options);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < give_up) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      p->pid_ = -1;
      error = "etcd exited at start-up: " + p->log_tail();
      return nullptr;
    }
    auto s = client.status(0);
    if (s.ok() && s->leader() != 0) return p;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  error = "etcd did not become ready in 20 s: " + p->log_tail();
  return nullptr;
}

void EtcdProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

EtcdProcess::~EtcdProcess() {
  kill();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string EtcdProcess::log_tail(std::size_t bytes) const {
  std::ifstream in(dir_ + "/etcd.log");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

}  // namespace ha::test
