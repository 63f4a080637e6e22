#include "dcs/watch_hub.hpp"

#include <utility>

namespace ha::dcs {

namespace {

constexpr const char* kDuplicateWatchId = "mvcc: duplicate watch ID provided on the WatchStream";
constexpr const char* kEmptyRange = "mvcc: watcher range is empty";
constexpr const char* kCompacted = "etcdserver: mvcc: required revision has been compacted";

}  // namespace

WatchHub::StreamId WatchHub::open_stream() {
  const StreamId id = next_stream_++;
  streams_.emplace(id, Stream{});
  return id;
}

void WatchHub::close_stream(StreamId stream) { streams_.erase(stream); }

etcdserverpb::WatchResponse WatchHub::response(std::int64_t watch_id, std::int64_t revision) const {
  etcdserverpb::WatchResponse r;
  r.mutable_header()->set_revision(revision);
  r.set_watch_id(watch_id);
  return r;
}

void WatchHub::notify(StreamId id, const Stream& s, std::size_t before) {
  if (s.out.size() > before && ready_) ready_(id);
}

void WatchHub::handle(StreamId stream, const etcdserverpb::WatchRequest& req) {
  switch (req.request_union_case()) {
    case etcdserverpb::WatchRequest::kCreateRequest: create(stream, req.create_request()); break;
    case etcdserverpb::WatchRequest::kCancelRequest:
      cancel(stream, req.cancel_request().watch_id());
      break;
    case etcdserverpb::WatchRequest::kProgressRequest: request_progress(stream); break;
    default: break;
  }
}

void WatchHub::create(StreamId stream, const etcdserverpb::WatchCreateRequest& req) {
  auto sit = streams_.find(stream);
  if (sit == streams_.end()) return;
  Stream& s = sit->second;
  const std::size_t before = s.out.size();

  auto refuse = [&](const char* reason) {
    auto r = response(-1, kv_.revision());
    r.set_created(true);
    r.set_canceled(true);
    r.set_cancel_reason(reason);
    s.out.push_back(std::move(r));
    notify(stream, s, before);
  };

  Watcher w;
  w.range = KeyRange(req.key(), req.range_end());
  if (w.range.empty()) return refuse(kEmptyRange);
  if (req.watch_id() != 0) {
    if (s.watchers.count(req.watch_id()) != 0) return refuse(kDuplicateWatchId);
    w.id = req.watch_id();
  } else {
    while (s.watchers.count(s.next_auto_id) != 0) ++s.next_auto_id;
    w.id = s.next_auto_id++;
  }
  w.prev_kv = req.prev_kv();
  w.progress_notify = req.progress_notify();
  for (int f : req.filters()) {
    if (f == etcdserverpb::WatchCreateRequest::NOPUT) w.no_put = true;
    if (f == etcdserverpb::WatchCreateRequest::NODELETE) w.no_delete = true;
  }
  w.next_rev = req.start_revision() > 0 ? req.start_revision() : kv_.revision() + 1;

  auto created = response(w.id, kv_.revision());
  created.set_created(true);
  s.out.push_back(std::move(created));

  auto [wit, inserted] = s.watchers.emplace(w.id, std::move(w));
  (void)inserted;
  if (wit->second.next_rev <= kv_.revision() && !catch_up(s, wit->second)) {
    cancel_compacted(s, wit->first);
    s.watchers.erase(wit);
  }
  notify(stream, s, before);
}

void WatchHub::cancel(StreamId stream, std::int64_t watch_id) {
  auto sit = streams_.find(stream);
  if (sit == streams_.end()) return;
  Stream& s = sit->second;
  if (s.watchers.erase(watch_id) == 0) return;  // etcd: unknown ids get no answer
  const std::size_t before = s.out.size();
  auto r = response(watch_id, kv_.revision());
  r.set_canceled(true);
  s.out.push_back(std::move(r));
  notify(stream, s, before);
}

void WatchHub::request_progress(StreamId stream) {
  auto sit = streams_.find(stream);
  if (sit == streams_.end()) return;
  Stream& s = sit->second;
  const std::size_t before = s.out.size();
  s.out.push_back(response(kStreamProgressId, kv_.revision()));
  notify(stream, s, before);
}

bool WatchHub::wanted(const Watcher& w, const mvccpb::Event& ev) const {
  if (ev.type() == mvccpb::Event::PUT && w.no_put) return false;
  if (ev.type() == mvccpb::Event::DELETE && w.no_delete) return false;
  return w.range.contains(ev.kv().key());
}

bool WatchHub::deliver(Stream& s, Watcher& w, std::int64_t revision,
                       const std::vector<mvccpb::Event>& events) {
  etcdserverpb::WatchResponse r;
  for (const auto& ev : events) {
    if (!wanted(w, ev)) continue;
    auto* out = r.add_events();
    *out = ev;
    if (!w.prev_kv) out->clear_prev_kv();
  }
  w.next_rev = revision + 1;
  if (r.events().empty()) return false;
  r.mutable_header()->set_revision(revision);
  r.set_watch_id(w.id);
  s.out.push_back(std::move(r));
  w.sent_since_tick = true;
  return true;
}

bool WatchHub::catch_up(Stream& s, Watcher& w) {
  std::vector<mvccpb::Event> batch;
  std::int64_t batch_rev = 0;
  auto flush = [&] {
    if (!batch.empty()) deliver(s, w, batch_rev, batch);
    batch.clear();
  };
  const Status st = kv_.replay(w.next_rev, w.range, [&](const mvccpb::Event& ev) {
    const std::int64_t rev = ev.kv().mod_revision();
    if (rev != batch_rev) {
      flush();
      batch_rev = rev;
    }
    batch.push_back(ev);
  });
  if (!st) return false;
  flush();
  w.next_rev = kv_.revision() + 1;
  return true;
}

void WatchHub::cancel_compacted(Stream& s, std::int64_t watch_id) {
  auto r = response(watch_id, kv_.revision());
  r.set_canceled(true);
  r.set_compact_revision(kv_.compact_revision());
  r.set_cancel_reason(kCompacted);
  s.out.push_back(std::move(r));
}

void WatchHub::on_apply(std::int64_t revision, const std::vector<mvccpb::Event>& events) {
  for (auto& [sid, s] : streams_) {
    const std::size_t before = s.out.size();
    for (auto it = s.watchers.begin(); it != s.watchers.end();) {
      Watcher& w = it->second;
      if (w.next_rev == revision) {
        deliver(s, w, revision, events);
      } else if (w.next_rev < revision && !catch_up(s, w)) {
        cancel_compacted(s, w.id);
        it = s.watchers.erase(it);
        continue;
      }
      ++it;
    }
    notify(sid, s, before);
  }
}

void WatchHub::on_restore() {
  for (auto& [sid, s] : streams_) {
    const std::size_t before = s.out.size();
    for (auto it = s.watchers.begin(); it != s.watchers.end();) {
      Watcher& w = it->second;
      if (w.next_rev <= kv_.revision() && !catch_up(s, w)) {
        cancel_compacted(s, w.id);
        it = s.watchers.erase(it);
        continue;
      }
      ++it;
    }
    notify(sid, s, before);
  }
}

void WatchHub::progress_tick() {
  for (auto& [sid, s] : streams_) {
    const std::size_t before = s.out.size();
    for (auto& [id, w] : s.watchers) {
      if (w.progress_notify && !w.sent_since_tick) s.out.push_back(response(id, kv_.revision()));
      w.sent_since_tick = false;
    }
    notify(sid, s, before);
  }
}

std::vector<etcdserverpb::WatchResponse> WatchHub::take(StreamId stream) {
  std::vector<etcdserverpb::WatchResponse> out;
  auto sit = streams_.find(stream);
  if (sit == streams_.end()) return out;
  auto& q = sit->second.out;
  out.reserve(q.size());
  for (auto& r : q) out.push_back(std::move(r));
  q.clear();
  return out;
}

std::size_t WatchHub::pending(StreamId stream) const {
  auto sit = streams_.find(stream);
  return sit == streams_.end() ? 0 : sit->second.out.size();
}

std::size_t WatchHub::watcher_count() const {
  std::size_t n = 0;
  for (const auto& [sid, s] : streams_) n += s.watchers.size();
  return n;
}

}  // namespace ha::dcs
