// Watcher: follows the changes of a key, a prefix or a range from a start revision on a
// background thread and hands them to a callback in revision order. When its stream fails
// (member gone, no leader, no answer to a progress probe) it resumes on another endpoint from
// the last delivered revision + 1, so no event is lost or repeated. A compacted start revision
// ends the watch with a distinct error. One watch per Watcher.
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
#include <vector>

#include "proto/etcd/kv.pb.h"
#include "proto/etcd/rpc.pb.h"

namespace ha::dcs {

class Client;
namespace client_detail {
class EndpointSet;
template <class Req, class Resp>
class ClientStream;
}  // namespace client_detail

struct WatchOptions {
  std::string key;
  bool prefix = false;           // every key starting with `key`
  std::string range_end;         // else [key, range_end) when not empty
  std::int64_t start_revision = 0;  // first revision to deliver; 0 = changes after the watch is set up
  bool prev_kv = false;          // events carry the key before the change
  bool no_put = false;           // drop PUT events
  bool no_delete = false;        // drop DELETE events
  // A stream quiet for this long is asked for a progress report; no answer within
  // probe_timeout (0 = the client's default timeout) moves the watch to another endpoint.
  std::chrono::milliseconds probe_interval{5000};
  std::chrono::milliseconds probe_timeout{0};
};

struct WatchError {
  enum class Kind {
    kCompacted,  // start/resume revision older than the store's history: re-read, then watch anew
    kCanceled,   // the server refused or ended the watch for good (message says why)
  };
  Kind kind = Kind::kCanceled;
  std::int64_t compact_revision = 0;  // kCompacted: the oldest revision still available
  std::string message;

  std::string to_string() const;
};

class Watcher {
 public:
  // Events of one or more whole revisions, oldest first. Called on the watcher's thread, one
  // call at a time; must not destroy the Watcher.
  using EventsFn = std::function<void(const std::vector<mvccpb::Event>& events)>;
  // Called once when the watch ends for good; the thread ends after it.
  using ErrorFn = std::function<void(const WatchError& error)>;

  Watcher(const Client& client, WatchOptions options, EventsFn on_events, ErrorFn on_error = {});
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Stops the thread promptly (cancels the stream). Safe from the callbacks.
  void stop();
  // Until stop() or a final error.
  bool running() const { return !finished_.load(); }
  // Waits until a server confirmed the watch (events after that point are sure to come).
  bool wait_created(std::chrono::milliseconds timeout) const;
  // The next revision the watch asks for when it resumes (0 = not known yet).
  std::int64_t next_revision() const;
  // How many times the watch moved to a new stream after a failure.
  int resumes() const { return resumes_.load(); }

 private:
  using Stream = client_detail::ClientStream<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>;
  enum class SessionEnd { kRetry, kFinal, kStopped };
  void run();
  SessionEnd session(std::size_t endpoint_index, bool& delivered);
  // Handles one message; kRetry = keep going on this stream (returned as "continue").
  bool handle(const etcdserverpb::WatchResponse& r, std::int64_t& watch_id, bool& created, SessionEnd& end,
              bool& delivered);
  void fail(WatchError error);
  void trouble(const std::string& what);
  bool sleep_unless_stopped(std::chrono::milliseconds d);

  std::shared_ptr<client_detail::EndpointSet> set_;
  WatchOptions options_;
  std::string range_end_;
  EventsFn on_events_;
  ErrorFn on_error_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  Stream* stream_ = nullptr;
  bool created_once_ = false;
  bool warned_ = false;  // watcher thread only: an outage was already logged
  std::atomic<std::int64_t> next_rev_{0};
  std::atomic<int> resumes_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

}  // namespace ha::dcs
