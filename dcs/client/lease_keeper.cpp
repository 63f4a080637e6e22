#include "dcs/client/lease_keeper.hpp"

#include <algorithm>
#include <cassert>
#include <deque>

#include <fmt/format.h>

#include "dcs/client/client_stream.hpp"
#include "dcs/client/client.hpp"
#include "dcs/client/endpoint_set.hpp"
#include "dcs/client/failure.hpp"
#include "dcs/client/log.hpp"

namespace ha::dcs {

using namespace client_detail;  // NOLINT(google-build-using-namespace)

using namespace std::chrono_literals;

LeaseKeeper::LeaseKeeper(const Client& client, std::int64_t lease_id, LostFn on_lost, LeaseKeeperOptions options)
    : set_(client.endpoint_set()), id_(lease_id), on_lost_(std::move(on_lost)), options_(options) {
  thread_ = std::thread([this] { run(); });
}

LeaseKeeper::~LeaseKeeper() {
  assert(std::this_thread::get_id() != thread_.get_id() && "a LeaseKeeper must not be destroyed by its callback");
  stop();
  if (thread_.joinable()) thread_.join();
}

void LeaseKeeper::stop() {
  stopping_ = true;
  std::lock_guard lock(mu_);
  if (stream_ != nullptr) stream_->cancel();
  cv_.notify_all();
}

bool LeaseKeeper::alive() const {
  if (lost_) return false;
  std::lock_guard lock(mu_);
  return confirmed_ && Clock::now() < expiry_;
}

LeaseKeeper::Clock::time_point LeaseKeeper::expiry() const {
  std::lock_guard lock(mu_);
  return expiry_;
}

std::int64_t LeaseKeeper::ttl() const {
  std::lock_guard lock(mu_);
  return ttl_;
}

bool LeaseKeeper::wait_confirmed(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return confirmed_ || lost_ || stopping_; });
  return confirmed_ && !lost_ && Clock::now() < expiry_;
}

void LeaseKeeper::confirm(Clock::time_point sent_at, std::int64_t ttl) {
  std::lock_guard lock(mu_);
  expiry_ = std::max(expiry_, sent_at + std::chrono::seconds(ttl));
  ttl_ = ttl;
  confirmed_ = true;
  cv_.notify_all();
}

void LeaseKeeper::declare_lost(const std::string& why) {
  if (lost_.exchange(true)) return;
  log_warn("dcs-client", "lease {:x} is lost: {}", id_, why);
  {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
  if (on_lost_) on_lost_(id_, why);
}

void LeaseKeeper::trouble(const std::string& what) {
  // One warning per outage; the retries after it only at debug level.
  if (warned_) {
    log_debug("dcs-client", "{}", what);
  } else {
    log_warn("dcs-client", "{}", what);
    warned_ = true;
  }
}

bool LeaseKeeper::sleep_unless_stopped(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [&] { return stopping_.load(); });
}

void LeaseKeeper::run() {
  std::size_t index = set_->attempt_order(false).front();
  auto pause = 100ms;
  while (!stopping_ && !lost_) {
    const bool answered = session(index);
    if (stopping_ || lost_) break;
    set_->mark_bad(index);
    index = (index + 1) % set_->size();
    if (answered) pause = 100ms;
    // A pause only after a whole round of endpoints failed; the next endpoint is tried at once.
    if (index == 0 || set_->size() == 1) {
      if (!sleep_unless_stopped(pause)) break;
      pause = std::min<std::chrono::milliseconds>(pause * 2, 1000ms);
    }
  }
}

bool LeaseKeeper::session(std::size_t endpoint_index) {
  EndpointConn& conn = set_->at(endpoint_index);
  Stream stream([&](grpc::ClientContext* ctx, grpc::CompletionQueue* cq) {
    return conn.lease->PrepareAsyncLeaseKeepAlive(ctx, cq);
  });
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    stream_ = &stream;
  }
  struct Unpublish {
    LeaseKeeper* self;
    ~Unpublish() {
      std::lock_guard lock(self->mu_);
      self->stream_ = nullptr;
    }
  } unpublish{this};

  auto interval_now = [&] {
    if (options_.interval.count() > 0) return options_.interval;
    std::int64_t t = ttl();
    if (t <= 0) return std::chrono::milliseconds(500);  // until the first answer tells the TTL
    return std::max<std::chrono::milliseconds>(std::chrono::milliseconds(t * 1000 / 3), 100ms);
  };
  auto reply_timeout_now = [&] {
    if (options_.reply_timeout.count() > 0) return options_.reply_timeout;
    return std::min(interval_now(), set_->options().default_timeout);
  };

  std::deque<Clock::time_point> unanswered;  // send times, oldest first (answers come in order)
  auto next_send = Clock::now();
  bool answered = false;
  etcdserverpb::LeaseKeepAliveResponse response;
  while (!stopping_) {
    auto now = Clock::now();
    if (now >= next_send) {
      etcdserverpb::LeaseKeepAliveRequest request;
      request.set_id(id_);
      stream.write(request);
      unanswered.push_back(now);
      next_send = now + interval_now();
    }
    auto wake = next_send;
    if (!unanswered.empty()) wake = std::min(wake, unanswered.front() + reply_timeout_now());
    auto event = stream.next(wake, &response);
    if (event == StreamEvent::kTimeout) {
      if (!unanswered.empty() && Clock::now() >= unanswered.front() + reply_timeout_now()) {
        trouble(fmt::format("lease {:x}: no keep-alive answer from {} in {} ms; trying another endpoint", id_,
                            conn.name, reply_timeout_now().count()));
        return answered;
      }
      continue;
    }
    if (event == StreamEvent::kStarted) continue;
    if (event == StreamEvent::kClosed) break;
    // kMessage
    if (unanswered.empty()) continue;  // not an answer to us; cannot be dated
    auto sent_at = unanswered.front();
    unanswered.pop_front();
    if (response.id() != id_) continue;
    if (response.ttl() <= 0) {
      declare_lost("the server says it expired or was revoked (TTL " + std::to_string(response.ttl()) + ")");
      return answered;
    }
    confirm(sent_at, response.ttl());
    answered = true;
    warned_ = false;
  }
  auto status = stream.close();
  if (stopping_) return answered;
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    declare_lost("the server does not know it: " + status.error_message());
    return answered;
  }
  trouble(fmt::format("lease {:x}: keep-alive stream to {} ended ({}: {}); trying another endpoint", id_, conn.name,
                      status_code_name(status.error_code()),
                      status.error_message().empty() ? std::string("no message") : status.error_message()));
  return answered;
}

}  // namespace ha::dcs
