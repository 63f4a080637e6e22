// WatchQueue: a thread-safe queue between a Watcher's thread and a consumer that prefers to
// pull (pop with a timeout) rather than be called back. Events keep their order; a final watch
// error is queued after the last event.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <variant>

#include "dcs/client/watcher.hpp"

namespace ha::dcs {

using WatchItem = std::variant<mvccpb::Event, WatchError>;

class WatchQueue {
 public:
  // Callbacks to hand to a Watcher; the queue must outlive it.
  Watcher::EventsFn events_sink();
  Watcher::ErrorFn error_sink();

  void push(WatchItem item);
  // The oldest item, waiting up to `timeout`; nullopt if none came.
  std::optional<WatchItem> pop(std::chrono::milliseconds timeout);
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WatchItem> items_;
};

}  // namespace ha::dcs
