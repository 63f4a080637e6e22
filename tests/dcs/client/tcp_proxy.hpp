// TcpProxy: a TCP forwarder on a free loopback port in front of one DCS endpoint, that a test
// can close (every connection cut with a reset, new ones refused) and open again — how client
// tests break streams on purpose. One thread; for test traffic only.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "dcs/client/endpoint.hpp"

namespace ha::test {

class TcpProxy {
 public:
  explicit TcpProxy(dcs::Endpoint target);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // Where clients connect (127.0.0.1:port).
  const dcs::Endpoint& endpoint() const { return self_; }
  // false: cut every connection and refuse new ones; true: accept again. Returns once done.
  void set_open(bool open);
  // Connections cut by set_open(false) so far.
  int cut_count() const { return cut_.load(); }

 private:
  struct Pair {
    int down = -1;  // the client's side
    int up = -1;    // the target's side
  };
  void run();
  bool listen_now();
  void close_all();
  void command(char c);

  dcs::Endpoint target_;
  dcs::Endpoint self_;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::vector<Pair> pairs_;  // proxy thread only
  std::mutex mu_;            // serialises set_open()
  std::atomic<int> cut_{0};
  std::atomic<int> acks_{0};
  std::thread thread_;
};

}  // namespace ha::test
