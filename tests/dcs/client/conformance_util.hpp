// Helpers shared by the client conformance scenarios: client options for a target, waiting
// for watch events, a listening socket that never answers.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <thread>
#include <variant>
#include <vector>

#include "client_conformance.hpp"
#include "dcs/client/client.hpp"
#include "dcs/client/watch_queue.hpp"

namespace ha::test {

inline dcs::ClientOptions options_for(std::vector<dcs::Endpoint> endpoints,
                                      std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
  dcs::ClientOptions o;
  o.endpoints = std::move(endpoints);
  o.default_timeout = timeout;
  return o;
}

// Up to `n` events from the queue, each waited for at most `each`; stops at a watch error.
inline std::vector<mvccpb::Event> take_events(dcs::WatchQueue& q, std::size_t n,
                                              std::chrono::milliseconds each = std::chrono::milliseconds(5000)) {
  std::vector<mvccpb::Event> out;
  while (out.size() < n) {
    auto item = q.pop(each);
    if (!item || std::holds_alternative<dcs::WatchError>(*item)) break;
    out.push_back(std::get<mvccpb::Event>(*item));
  }
  return out;
}

// A socket that accepts TCP connections (the kernel does) but never speaks: a stopped member.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd_, 16) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      endpoint_ = dcs::Endpoint{"127.0.0.1", ntohs(a.sin_port)};
    }
  }
  ~SilentListener() {
    if (fd_ >= 0) ::close(fd_);
  }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  const dcs::Endpoint& endpoint() const { return endpoint_; }

 private:
  int fd_ = -1;
  dcs::Endpoint endpoint_;
};

inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace ha::test
