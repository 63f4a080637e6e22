#include "dcs/client/watch_queue.hpp"

namespace ha::dcs {

Watcher::EventsFn WatchQueue::events_sink() {
  return [this](const std::vector<mvccpb::Event>& events) {
    std::lock_guard lock(mu_);
    for (const auto& e : events) items_.emplace_back(e);
    cv_.notify_all();
  };
}

Watcher::ErrorFn WatchQueue::error_sink() {
  return [this](const WatchError& error) { push(error); };
}

void WatchQueue::push(WatchItem item) {
  std::lock_guard lock(mu_);
  items_.push_back(std::move(item));
  cv_.notify_all();
}

std::optional<WatchItem> WatchQueue::pop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return !items_.empty(); })) return std::nullopt;
  WatchItem item = std::move(items_.front());
  items_.pop_front();
  return item;
}

std::size_t WatchQueue::size() const {
  std::lock_guard lock(mu_);
  return items_.size();
}

}  // namespace ha::dcs
