#include "dcs/client/watcher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>

#include "dcs/client/client_stream.hpp"
#include "dcs/client/client.hpp"
#include "dcs/client/endpoint_set.hpp"
#include "dcs/client/failure.hpp"
#include "dcs/client/log.hpp"
#include "dcs/client/prefix.hpp"

namespace ha::dcs {

using namespace client_detail;  // NOLINT(google-build-using-namespace)

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string WatchError::to_string() const {
  if (kind == Kind::kCompacted) {
    return fmt::format(
        "the watch asked for history the store no longer keeps (compacted up to revision {}); read the "
        "current state and watch again from there",
        compact_revision);
  }
  return "the server ended the watch: " + (message.empty() ? std::string("no reason given") : message);
}

Watcher::Watcher(const Client& client, WatchOptions options, EventsFn on_events, ErrorFn on_error)
    : set_(client.endpoint_set()),
      options_(std::move(options)),
      on_events_(std::move(on_events)),
      on_error_(std::move(on_error)) {
  range_end_ = options_.prefix ? prefix_range_end(options_.key) : options_.range_end;
  next_rev_ = std::max<std::int64_t>(options_.start_revision, 0);
  thread_ = std::thread([this] { run(); });
}

Watcher::~Watcher() {
  assert(std::this_thread::get_id() != thread_.get_id() && "a Watcher must not be destroyed by its callback");
  stop();
  if (thread_.joinable()) thread_.join();
}

void Watcher::stop() {
  stopping_ = true;
  std::lock_guard lock(mu_);
  if (stream_ != nullptr) stream_->cancel();
  cv_.notify_all();
}

bool Watcher::wait_created(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return created_once_ || finished_ || stopping_; });
  return created_once_;
}

std::int64_t Watcher::next_revision() const { return next_rev_.load(); }

void Watcher::trouble(const std::string& what) {
  // One warning per outage; the retries after it only at debug level.
  if (warned_) {
    log_debug("dcs-client", "{}", what);
  } else {
    log_warn("dcs-client", "{}", what);
    warned_ = true;
  }
}

bool Watcher::sleep_unless_stopped(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [&] { return stopping_.load(); });
}

void Watcher::fail(WatchError error) {
  log_warn("dcs-client", "watch on '{}': {}", options_.key, error.to_string());
  finished_ = true;
  {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
  if (on_error_) on_error_(error);
}

void Watcher::run() {
  std::size_t index = set_->attempt_order(false).front();
  auto pause = 100ms;
  for (;;) {
    bool delivered = false;
    const auto end = session(index, delivered);
    if (end != SessionEnd::kRetry || stopping_) break;
    ++resumes_;
    set_->mark_bad(index);
    index = (index + 1) % set_->size();
    if (delivered) pause = 100ms;
    if (index == 0 || set_->size() == 1) {
      if (!sleep_unless_stopped(pause)) break;
      pause = std::min<std::chrono::milliseconds>(pause * 2, 1000ms);
    }
  }
  finished_ = true;
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

Watcher::SessionEnd Watcher::session(std::size_t endpoint_index, bool& delivered) {
  EndpointConn& conn = set_->at(endpoint_index);
  Stream stream([&](grpc::ClientContext* ctx, grpc::CompletionQueue* cq) {
    return conn.watch->PrepareAsyncWatch(ctx, cq);
  });
  {
    std::lock_guard lock(mu_);
    if (stopping_) return SessionEnd::kStopped;
    stream_ = &stream;
  }
  struct Unpublish {
    Watcher* self;
    ~Unpublish() {
      std::lock_guard lock(self->mu_);
      self->stream_ = nullptr;
    }
  } unpublish{this};

  etcdserverpb::WatchRequest create;
  auto* c = create.mutable_create_request();
  c->set_key(options_.key);
  c->set_range_end(range_end_);
  c->set_start_revision(next_rev_.load());
  c->set_prev_kv(options_.prev_kv);
  c->set_progress_notify(true);
  if (options_.no_put) c->add_filters(etcdserverpb::WatchCreateRequest::NOPUT);
  if (options_.no_delete) c->add_filters(etcdserverpb::WatchCreateRequest::NODELETE);
  stream.write(create);

  const auto probe_timeout =
      options_.probe_timeout.count() > 0 ? options_.probe_timeout : set_->options().default_timeout;
  auto last_heard = Clock::now();
  std::optional<Clock::time_point> probe_sent;
  std::int64_t watch_id = -2;
  bool created = false;
  SessionEnd end = SessionEnd::kRetry;
  etcdserverpb::WatchResponse response;

  while (!stopping_) {
    Clock::time_point wake;
    if (!created) {
      wake = last_heard + probe_timeout;  // the create must be answered in time
    } else if (probe_sent) {
      wake = *probe_sent + probe_timeout;
    } else {
      wake = last_heard + options_.probe_interval;
    }
    auto event = stream.next(wake, &response);
    if (event == StreamEvent::kStarted) continue;
    if (event == StreamEvent::kClosed) break;
    if (event == StreamEvent::kTimeout) {
      if (Clock::now() < wake) continue;
      if (!created || probe_sent) {
        trouble(fmt::format("watch on '{}': no answer from {} in {} ms; resuming elsewhere from revision {}",
                            options_.key, conn.name, probe_timeout.count(), next_rev_.load()));
        return SessionEnd::kRetry;
      }
      etcdserverpb::WatchRequest probe;
      probe.mutable_progress_request();
      stream.write(probe);
      probe_sent = Clock::now();
      continue;
    }
    // kMessage
    last_heard = Clock::now();
    probe_sent.reset();
    if (!handle(response, watch_id, created, end, delivered)) return end;
  }
  auto status = stream.close();
  if (stopping_) return SessionEnd::kStopped;
  switch (status.error_code()) {
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      fail({WatchError::Kind::kCanceled, 0,
            conn.name + " refused the watch: " + status_code_name(status.error_code()) + ": " + status.error_message()});
      return SessionEnd::kFinal;
    default: break;
  }
  trouble(fmt::format("watch on '{}': stream to {} ended ({}: {}); resuming from revision {}", options_.key,
                      conn.name, status_code_name(status.error_code()),
                      status.error_message().empty() ? std::string("no message") : status.error_message(),
                      next_rev_.load()));
  return SessionEnd::kRetry;
}

bool Watcher::handle(const etcdserverpb::WatchResponse& r, std::int64_t& watch_id, bool& created, SessionEnd& end,
                     bool& delivered) {
  if (r.created() && !created) {
    created = true;
    watch_id = r.watch_id();
    // A watch "from now" resumes after the revision it was created at.
    if (next_rev_.load() == 0) next_rev_ = r.header().revision() + 1;
    warned_ = false;
    std::lock_guard lock(mu_);
    created_once_ = true;
    cv_.notify_all();
  }
  // A reply to a progress request (watch_id -1) proves the stream alive but is not ordered with
  // the events in every server version, so it never moves the resume point.
  if (r.watch_id() != watch_id) return true;
  if (r.canceled()) {
    if (r.compact_revision() > 0) {
      fail({WatchError::Kind::kCompacted, r.compact_revision(), r.cancel_reason()});
      end = SessionEnd::kFinal;
      return false;
    }
    if (classify_failure(grpc::StatusCode::OK, r.cancel_reason(), true) != FailureKind::kFinal) {
      trouble(fmt::format("watch on '{}' canceled by the server ({}); resuming elsewhere", options_.key,
                          r.cancel_reason()));
      end = SessionEnd::kRetry;
      return false;
    }
    fail({WatchError::Kind::kCanceled, 0, r.cancel_reason()});
    end = SessionEnd::kFinal;
    return false;
  }
  if (r.events_size() == 0) {
    // The watcher's own progress notification: everything up to this revision was sent.
    if (!r.created() && r.header().revision() > 0) {
      next_rev_ = std::max(next_rev_.load(), r.header().revision() + 1);
    }
    return true;
  }
  std::vector<mvccpb::Event> fresh;
  fresh.reserve(static_cast<std::size_t>(r.events_size()));
  for (const auto& e : r.events()) {
    if (e.kv().mod_revision() >= next_rev_.load()) fresh.push_back(e);  // older ones were delivered
  }
  if (fresh.empty()) return true;
  next_rev_ = fresh.back().kv().mod_revision() + 1;
  delivered = true;
  if (on_events_) on_events_(fresh);
  return true;
}

}  // namespace ha::dcs
