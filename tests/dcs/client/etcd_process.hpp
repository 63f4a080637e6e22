// EtcdProcess: a single-member etcd (Debian's etcd-server) on free loopback ports in a fresh temp
// directory, for tests that check the client library's wire behaviour without hadcs. Killed by
// PID and its directory removed when the object dies; the child also dies with the test process.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "dcs/client/endpoint.hpp"

namespace ha::test {

class EtcdProcess {
 public:
  // The etcd binary: $HA_ETCD_BIN or /usr/bin/etcd.
  static std::string binary();
  static bool available();

  // Starts etcd and waits until it answers a Status call; nullptr and `error` on failure.
  static std::unique_ptr<EtcdProcess> start(std::string& error);
  ~EtcdProcess();
  EtcdProcess(const EtcdProcess&) = delete;
  EtcdProcess& operator=(const EtcdProcess&) = delete;

  const dcs::Endpoint& client_endpoint() const { return client_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  // The end of etcd's log, for failure messages.
  std::string log_tail(std::size_t bytes = 2000) const;
  // SIGKILL and reap now (the destructor does it otherwise).
  void kill();

 private:
  EtcdProcess() = default;
  pid_t pid_ = -1;
  std::string dir_;
  dcs::Endpoint client_;
  dcs::Endpoint peer_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
std::uint16_t free_loopback_port();

}  // namespace ha::test
