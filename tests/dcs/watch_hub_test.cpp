// The watch hub: every event once and in revision order, replay from a past revision, the
// compaction error, filters, prev_kv, cancel, duplicate ids, progress, catch-up after a
// snapshot restore, and a random run checked against the store's own history.
#include "dcs/watch_hub.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "dcs/key_range.hpp"
#include "dcs/state_machine.hpp"

using ha::dcs::StateMachine;
using ha::dcs::WatchHub;

namespace {

struct Member {
  StateMachine sm;
  WatchHub hub{sm.kv()};
  std::uint64_t index = 0;

  ha::dcs::ApplyResult apply(const ha::dcspb::InternalRequest& r) {
    auto out = sm.apply(++index, r);
    if (!out.events.empty()) hub.on_apply(out.revision, out.events);
    return out;
  }
  void put(const std::string& k, const std::string& v) {
    ha::dcspb::InternalRequest r;
    r.mutable_put()->set_key(k);
    r.mutable_put()->set_value(v);
    REQUIRE(apply(r).status.ok());
  }
  void del(const std::string& k, const std::string& end = {}) {
    ha::dcspb::InternalRequest r;
    r.mutable_delete_range()->set_key(k);
    r.mutable_delete_range()->set_range_end(end);
    REQUIRE(apply(r).status.ok());
  }
  void compact(std::int64_t rev) {
    ha::dcspb::InternalRequest r;
    r.mutable_compaction()->set_revision(rev);
    REQUIRE(apply(r).status.ok());
  }
};

etcdserverpb::WatchCreateRequest watch(const std::string& key, const std::string& end = {},
                                       std::int64_t start = 0) {
  etcdserverpb::WatchCreateRequest w;
  w.set_key(key);
  w.set_range_end(end);
  w.set_start_revision(start);
  return w;
}

// "PUT key=value@rev" / "DELETE key@rev" for every event of the responses with `id`.
std::vector<std::string> events_of(const std::vector<etcdserverpb::WatchResponse>& rs,
                                   std::int64_t id) {
  std::vector<std::string> out;
  for (const auto& r : rs) {
    if (r.watch_id() != id) continue;
    for (const auto& ev : r.events()) {
      std::string s = ev.type() == mvccpb::Event::PUT ? "PUT " : "DELETE ";
      s += ev.kv().key();
      if (ev.type() == mvccpb::Event::PUT) s += "=" + ev.kv().value();
      s += "@" + std::to_string(ev.kv().mod_revision());
      out.push_back(s);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("a watcher gets the matching events of each revision, in order") {
  Member m;
  const auto s = m.hub.open_stream();
  int ready = 0;
  m.hub.set_ready_callback([&](WatchHub::StreamId id) {
    CHECK(id == s);
    ++ready;
  });
  m.hub.create(s, watch("/svc/", ha::dcs::prefix_end("/svc/")));
  auto created = m.hub.take(s);
  REQUIRE(created.size() == 1);
  CHECK(created[0].created());
  CHECK(created[0].watch_id() == 0);
  CHECK(created[0].header().revision() == 1);
  CHECK(ready == 1);

  m.put("/svc/a", "1");
  m.put("/other", "x");
  m.put("/svc/b", "2");
  m.del("/svc/", ha::dcs::prefix_end("/svc/"));
  auto rs = m.hub.take(s);
  REQUIRE(rs.size() == 3);  // one response per revision with a matching event
  CHECK(rs[0].header().revision() == 2);
  CHECK(events_of(rs, 0) == std::vector<std::string>{"PUT /svc/a=1@2", "PUT /svc/b=2@4",
                                                     "DELETE /svc/a@5", "DELETE /svc/b@5"});
  CHECK_FALSE(rs[2].events(0).has_prev_kv());  // not asked for
  CHECK(m.hub.pending(s) == 0);
  CHECK(ready == 4);
}

TEST_CASE("start revision in the past replays history; in the future waits") {
  Member m;
  m.put("k", "1");  // rev 2
  m.put("k", "2");  // rev 3
  m.put("j", "x");  // rev 4
  m.del("k");       // rev 5
  const auto s = m.hub.open_stream();
  auto w = watch("k", {}, 3);
  w.set_prev_kv(true);
  m.hub.create(s, w);
  m.hub.create(s, watch("k", {}, 7));
  auto rs = m.hub.take(s);
  REQUIRE(rs.size() >= 3);
  CHECK(rs[0].created());
  CHECK(events_of(rs, 0) == std::vector<std::string>{"PUT k=2@3", "DELETE k@5"});
  for (const auto& r : rs)
    for (const auto& ev : r.events())
      CHECK(ev.prev_kv().value() == (ev.type() == mvccpb::Event::PUT ? "1" : "2"));
  m.put("k", "3");  // rev 6: the first watcher only
  m.put("k", "4");  // rev 7: both
  rs = m.hub.take(s);
  CHECK(events_of(rs, 0) == std::vector<std::string>{"PUT k=3@6", "PUT k=4@7"});
  CHECK(events_of(rs, 1) == std::vector<std::string>{"PUT k=4@7"});
}

TEST_CASE("a compacted start revision cancels the watcher with the compaction error") {
  Member m;
  for (int i = 0; i < 5; ++i) m.put("k", std::to_string(i));  // revs 2..6
  m.compact(4);
  const auto s = m.hub.open_stream();
  m.hub.create(s, watch("k", {}, 3));
  auto rs = m.hub.take(s);
  REQUIRE(rs.size() == 2);
  CHECK(rs[0].created());
  CHECK(rs[1].canceled());
  CHECK(rs[1].compact_revision() == 4);
  CHECK(rs[1].cancel_reason() == "etcdserver: mvcc: required revision has been compacted");
  CHECK(m.hub.watcher_count() == 0);
  // Watching from the compaction point itself works (clients resume from compact_revision).
  m.hub.create(s, watch("k", {}, 4));
  rs = m.hub.take(s);
  CHECK(events_of(rs, 1) == std::vector<std::string>{"PUT k=2@4", "PUT k=3@5", "PUT k=4@6"});
}

TEST_CASE("filters, prev_kv, cancel, ids and progress") {
  Member m;
  const auto s = m.hub.open_stream();
  auto noput = watch("a", std::string(1, '\0'));
  noput.add_filters(etcdserverpb::WatchCreateRequest::NOPUT);
  noput.set_prev_kv(true);
  noput.set_watch_id(10);
  auto nodel = watch("a", std::string(1, '\0'));
  nodel.add_filters(etcdserverpb::WatchCreateRequest::NODELETE);
  m.hub.create(s, noput);
  m.hub.create(s, nodel);  // auto id: 0
  m.hub.create(s, noput);  // id 10 again: refused
  auto rs = m.hub.take(s);
  REQUIRE(rs.size() == 3);
  CHECK(rs[1].watch_id() == 0);
  CHECK(rs[2].created());
  CHECK(rs[2].canceled());
  CHECK(rs[2].watch_id() == -1);
  CHECK_FALSE(rs[2].cancel_reason().empty());
  CHECK(m.hub.watcher_count() == 2);

  m.put("a", "1");
  m.del("a");
  rs = m.hub.take(s);
  CHECK(events_of(rs, 10) == std::vector<std::string>{"DELETE a@3"});
  CHECK(events_of(rs, 0) == std::vector<std::string>{"PUT a=1@2"});
  for (const auto& r : rs)
    if (r.watch_id() == 10) CHECK(r.events(0).prev_kv().value() == "1");

  m.hub.request_progress(s);
  rs = m.hub.take(s);
  REQUIRE(rs.size() == 1);
  CHECK(rs[0].watch_id() == WatchHub::kStreamProgressId);
  CHECK(rs[0].header().revision() == 3);
  CHECK(rs[0].events_size() == 0);

  m.hub.cancel(s, 10);
  m.hub.cancel(s, 12345);  // unknown: no answer
  rs = m.hub.take(s);
  REQUIRE(rs.size() == 1);
  CHECK(rs[0].canceled());
  CHECK(rs[0].watch_id() == 10);
  m.put("a", "2");
  CHECK(events_of(m.hub.take(s), 10).empty());

  auto empty_range = watch("b", "a");
  m.hub.create(s, empty_range);
  rs = m.hub.take(s);
  REQUIRE(rs.size() == 1);
  CHECK(rs[0].canceled());

  m.hub.close_stream(s);
  CHECK(m.hub.watcher_count() == 0);
  m.put("a", "3");  // nothing to deliver to, nothing breaks
  CHECK(m.hub.take(s).empty());
}

TEST_CASE("progress notify: only to idle watchers that asked for it") {
  Member m;
  const auto s = m.hub.open_stream();
  auto w = watch("a");
  w.set_progress_notify(true);
  m.hub.create(s, w);
  m.hub.create(s, watch("b"));
  (void)m.hub.take(s);
  m.hub.progress_tick();
  auto rs = m.hub.take(s);
  REQUIRE(rs.size() == 1);
  CHECK(rs[0].watch_id() == 0);
  CHECK(rs[0].events_size() == 0);
  m.put("a", "1");
  (void)m.hub.take(s);
  m.hub.progress_tick();  // it just got an event: no notification
  CHECK(m.hub.take(s).empty());
  m.hub.progress_tick();
  CHECK(m.hub.take(s).size() == 1);
}

TEST_CASE("after a snapshot restore, watchers catch up from history or are cancelled") {
  Member leader;
  Member follower;
  const auto s = follower.hub.open_stream();
  follower.hub.create(s, watch("k"));
  follower.hub.create(s, watch("j"));
  (void)follower.hub.take(s);
  leader.put("k", "1");
  leader.put("j", "1");
  leader.put("k", "2");
  // The follower jumps to the leader's state by snapshot.
  REQUIRE(follower.sm.restore(leader.sm.snapshot()).ok());
  follower.hub.on_restore();
  auto rs = follower.hub.take(s);
  CHECK(events_of(rs, 0) == std::vector<std::string>{"PUT k=1@2", "PUT k=2@4"});
  CHECK(events_of(rs, 1) == std::vector<std::string>{"PUT j=1@3"});

  // A snapshot whose history no longer covers what a watcher needs cancels it.
  leader.put("k", "3");  // rev 5
  leader.put("j", "2");  // rev 6
  leader.compact(6);
  REQUIRE(follower.sm.restore(leader.sm.snapshot()).ok());
  follower.hub.on_restore();
  rs = follower.hub.take(s);
  REQUIRE(rs.size() == 2);
  for (const auto& r : rs) {
    CHECK(r.canceled());
    CHECK(r.compact_revision() == 6);
  }
}

TEST_CASE("random writes: every watcher sees exactly the store's history for its range") {
  Member m;
  std::mt19937_64 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  auto key = [&] { return std::string(1, "abc"[pick(3)]) + std::string(1, "xyz"[pick(3)]); };
  struct W {
    WatchHub::StreamId stream;
    std::int64_t id;
    std::string begin, end;
    std::int64_t start;
  };
  std::vector<W> watchers;
  std::map<std::pair<WatchHub::StreamId, std::int64_t>, std::vector<std::string>> got;
  std::vector<WatchHub::StreamId> streams{m.hub.open_stream(), m.hub.open_stream()};
  auto drain = [&] {
    for (auto s : streams)
      for (const auto& r : m.hub.take(s)) {
        for (const auto& ev : r.events()) {
          got[{s, r.watch_id()}].push_back(ev.ShortDebugString());
          CHECK(ev.kv().mod_revision() == r.header().revision());
        }
      }
  };
  for (int step = 0; step < 600; ++step) {
    const int what = pick(10);
    if (what < 6) {
      m.put(key(), std::to_string(step));
    } else if (what < 8) {
      const std::string b = key();
      m.del(b, pick(2) == 0 ? std::string() : ha::dcs::prefix_end(b.substr(0, 1)));
    } else if (what == 8 && watchers.size() < 20) {
      drain();  // so that the first response taken below is the creation's
      const auto s = streams[static_cast<std::size_t>(pick(2))];
      const std::string b = std::string(1, "abc"[pick(3)]);
      const std::string e = pick(2) == 0 ? ha::dcs::prefix_end(b) : std::string(1, '\0');
      const std::int64_t start = pick(2) == 0 ? 0 : 1 + pick(static_cast<int>(m.sm.revision()));
      m.hub.create(s, watch(b, e, start));
      auto rs = m.hub.take(s);
      REQUIRE(!rs.empty());
      REQUIRE(rs[0].created());
      const auto id = rs[0].watch_id();
      watchers.push_back(W{s, id, b, e, start > 0 ? start : m.sm.revision() + 1});
      for (const auto& r : rs)
        for (const auto& ev : r.events()) got[{s, id}].push_back(ev.ShortDebugString());
    } else {
      drain();
    }
  }
  drain();
  REQUIRE(watchers.size() >= 10);
  for (const auto& w : watchers) {
    std::vector<std::string> want;
    REQUIRE(m.sm.kv()
                .replay(w.start, ha::dcs::KeyRange(w.begin, w.end),
                        [&](const mvccpb::Event& ev) {
                          mvccpb::Event e = ev;
                          e.clear_prev_kv();
                          want.push_back(e.ShortDebugString());
                        })
                .ok());
    CHECK(got[{w.stream, w.id}] == want);
  }
}
