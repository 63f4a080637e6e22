// AdminRequests: the queue through which the REST API asks the HA loop for what only the loop
// may do to PostgreSQL — restart, reload, reinitialize — and waits for the outcome. The loop
// takes requests between decisions (it is woken when one arrives) and answers each once.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace ha::agent {

struct AdminRequest {
  enum class Kind { restart, reload, reinitialize };
  Kind kind = Kind::restart;
  // restart: only when PostgreSQL has settings waiting for a restart.
  bool only_if_pending_restart = false;
  // reinitialize: also when PostgreSQL is running (stop it first).
  bool force = false;
};

const char* to_string(AdminRequest::Kind kind);

struct AdminOutcome {
  bool ok = false;
  std::string message;  // "restarted", "reinitialize refused: I am the leader", ...
};

class AdminRequests {
 public:
  // Called by the REST server. The future is answered by the loop.
  std::future<AdminOutcome> submit(AdminRequest request) {
    auto item = std::make_shared<Item>();
    item->request = request;
    auto fut = item->promise.get_future();
    std::function<void()> wake;
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(item));
      wake = wake_;
    }
    if (wake) wake();
    return fut;
  }

  // Called by the loop: the oldest request and the promise to answer it, if any.
  struct Taken {
    AdminRequest request;
    std::promise<AdminOutcome> promise;
  };
  std::optional<Taken> take() {
    std::lock_guard lock(mu_);
    if (queue_.empty()) return std::nullopt;
    auto item = std::move(queue_.front());
    queue_.pop_front();
    return Taken{item->request, std::move(item->promise)};
  }

  // What submit() calls to wake the loop.
  void on_submit(std::function<void()> wake) {
    std::lock_guard lock(mu_);
    wake_ = std::move(wake);
  }

 private:
  struct Item {
    AdminRequest request;
    std::promise<AdminOutcome> promise;
  };
  std::mutex mu_;
  std::deque<std::shared_ptr<Item>> queue_;
  std::function<void()> wake_;
};

inline const char* to_string(AdminRequest::Kind kind) {
  switch (kind) {
    case AdminRequest::Kind::restart: return "restart";
    case AdminRequest::Kind::reload: return "reload";
    case AdminRequest::Kind::reinitialize: return "reinitialize";
  }
  return "?";
}

}  // namespace ha::agent
