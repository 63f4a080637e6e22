// LeaseKeeper: keeps one lease alive from a background thread over a LeaseKeepAlive stream —
// a keep-alive every third of the TTL, another endpoint when the stream fails or stops
// answering — and knows until when the lease is surely alive. Not a lease manager: one lease,
// granted by the caller (Client::lease_grant) and revoked by the caller.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "proto/etcd/rpc.pb.h"

namespace ha::dcs {

class Client;
namespace client_detail {
class EndpointSet;
template <class Req, class Resp>
class ClientStream;
}  // namespace client_detail

struct LeaseKeeperOptions {
  // Time between keep-alives; 0 = a third of the TTL the server last returned.
  std::chrono::milliseconds interval{0};
  // A keep-alive without an answer for this long abandons the stream for another endpoint;
  // 0 = the smaller of the interval and the client's default timeout.
  std::chrono::milliseconds reply_timeout{0};
};

class LeaseKeeper {
 public:
  using Clock = std::chrono::steady_clock;
  // Called once, from the keeper's thread, when the server says the lease is gone (TTL 0 or
  // not found). `why` is for logs. Must not destroy the LeaseKeeper.
  using LostFn = std::function<void(std::int64_t lease_id, const std::string& why)>;

  // Starts at once: the first keep-alive goes out immediately. Until it is answered the
  // lease counts as not alive (no expiry is known that is surely not optimistic).
  LeaseKeeper(const Client& client, std::int64_t lease_id, LostFn on_lost = {}, LeaseKeeperOptions options = {});
  // Stops the thread (cancels the stream); does not revoke the lease.
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  std::int64_t id() const { return id_; }
  // The last confirmed expiry is in the future and the server never said the lease is gone.
  bool alive() const;
  // The server said the lease is gone.
  bool lost() const { return lost_.load(); }
  // When the lease expires at the earliest: the time the last answered keep-alive was SENT
  // plus the TTL in its answer. Clock::time_point{} until the first answer.
  Clock::time_point expiry() const;
  // The TTL in seconds the server last returned (0 until the first answer).
  std::int64_t ttl() const;
  // Waits until the first keep-alive is answered or the lease is lost; true if alive then.
  bool wait_confirmed(std::chrono::milliseconds timeout) const;
  // Stops keeping the lease alive (also done by the destructor). Safe from the callback.
  void stop();

 private:
  using Stream = client_detail::ClientStream<etcdserverpb::LeaseKeepAliveRequest, etcdserverpb::LeaseKeepAliveResponse>;
  void run();
  // One stream on one endpoint; returns when it fails, the lease is lost, or stop() was called.
  // True if at least one keep-alive was answered.
  bool session(std::size_t endpoint_index);
  void confirm(Clock::time_point sent_at, std::int64_t ttl);
  void declare_lost(const std::string& why);
  void trouble(const std::string& what);
  bool sleep_unless_stopped(std::chrono::milliseconds d);

  std::shared_ptr<client_detail::EndpointSet> set_;
  const std::int64_t id_;
  LostFn on_lost_;
  LeaseKeeperOptions options_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  Clock::time_point expiry_{};
  std::int64_t ttl_ = 0;
  bool confirmed_ = false;
  Stream* stream_ = nullptr;  // the open stream, for stop() to cancel
  bool warned_ = false;       // keeper thread only: an outage was already logged
  std::atomic<bool> stopping_{false};
  std::atomic<bool> lost_{false};
  std::thread thread_;
};

}  // namespace ha::dcs
