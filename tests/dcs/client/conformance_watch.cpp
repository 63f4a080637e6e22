// Client conformance: watches — order, replay from a revision, resume after a cut with nothing
// lost or repeated, compaction reported as its own error.
#include <catch2/catch.hpp>

#include <atomic>

#include "conformance_util.hpp"
#include "dcs/client/watcher.hpp"
#include "tcp_proxy.hpp"

namespace ha::test {

using namespace dcs;  // NOLINT(google-build-using-namespace)
using namespace std::chrono_literals;

namespace {

WatchOptions prefix_watch(const std::string& prefix, std::int64_t start = 0) {
  WatchOptions w;
  w.key = prefix;
  w.prefix = true;
  w.start_revision = start;
  w.probe_interval = 1000ms;
  return w;
}

// Every event exactly once and in order: keys as expected, revisions never going back.
void check_sequence(const std::vector<mvccpb::Event>& got, const std::string& prefix, int first, int count) {
  REQUIRE(got.size() == static_cast<std::size_t>(count));
  std::int64_t last = 0;
  for (int i = 0; i < count; ++i) {
    const auto& e = got[static_cast<std::size_t>(i)];
    CHECK(e.type() == mvccpb::Event::PUT);
    CHECK(e.kv().key() == prefix + std::to_string(first + i));
    CHECK(e.kv().mod_revision() > last);
    last = e.kv().mod_revision();
  }
}

}  // namespace

void check_watch_order(const DcsTarget& t) {
  Client c(options_for(t.endpoints));
  const std::string p = t.prefix + "/watch/order/";
  WatchQueue q;
  Watcher w(c, prefix_watch(p), q.events_sink(), q.error_sink());
  REQUIRE(w.wait_created(5000ms));

  auto first = c.put(p + "a", "1");
  REQUIRE(first.ok());
  REQUIRE(c.put(p + "b", "2").ok());
  REQUIRE(c.put(p + "a", "3").ok());
  REQUIRE(c.del(p + "b").ok());
  Txn two;
  two.then(op_put(p + "c", "x")).then(op_put(p + "d", "y"));
  REQUIRE(c.txn(two).ok());
  REQUIRE(c.put(t.prefix + "/watch/elsewhere", "z").ok());  // outside the prefix

  auto got = take_events(q, 6);
  REQUIRE(got.size() == 6);
  CHECK(got[0].kv().key() == p + "a");
  CHECK(got[0].kv().value() == "1");
  CHECK(got[0].kv().mod_revision() == first->header().revision());
  CHECK(got[1].kv().key() == p + "b");
  CHECK(got[2].kv().value() == "3");
  CHECK(got[2].kv().version() == 2);
  CHECK(got[3].type() == mvccpb::Event::DELETE);
  CHECK(got[3].kv().key() == p + "b");
  CHECK(got[4].kv().key() == p + "c");
  CHECK(got[5].kv().key() == p + "d");
  CHECK(got[4].kv().mod_revision() == got[5].kv().mod_revision());  // one transaction, one revision
  for (std::size_t i = 1; i < 4; ++i) CHECK(got[i].kv().mod_revision() == got[i - 1].kv().mod_revision() + 1);
  CHECK_FALSE(q.pop(300ms));  // nothing else, in particular not the key outside the prefix
  CHECK(w.next_revision() == got[5].kv().mod_revision() + 1);

  // A second watcher replays the same history from the first revision, with the previous values.
  WatchOptions replay = prefix_watch(p, first->header().revision());
  replay.prev_kv = true;
  replay.no_delete = true;
  WatchQueue q2;
  Watcher w2(c, replay, q2.events_sink(), q2.error_sink());
  auto again = take_events(q2, 5);
  REQUIRE(again.size() == 5);
  CHECK(again[0].kv().value() == "1");
  CHECK(again[2].kv().value() == "3");
  CHECK(again[2].prev_kv().value() == "1");
  CHECK(again[3].kv().key() == p + "c");  // the DELETE was filtered out
}

void check_watch_resume_after_outage(const DcsTarget& t) {
  TcpProxy proxy(t.endpoints.front());
  Client writer(options_for(t.endpoints));
  Client watching(options_for({proxy.endpoint()}, 1000ms));
  const std::string p = t.prefix + "/watch/outage/";
  WatchQueue q;
  Watcher w(watching, prefix_watch(p), q.events_sink(), q.error_sink());
  REQUIRE(w.wait_created(5000ms));

  for (int i = 0; i < 5; ++i) REQUIRE(writer.put(p + std::to_string(i), "v").ok());
  check_sequence(take_events(q, 5), p, 0, 5);

  proxy.set_open(false);  // the watcher's only endpoint is gone
  for (int i = 5; i < 10; ++i) REQUIRE(writer.put(p + std::to_string(i), "v").ok());
  std::this_thread::sleep_for(500ms);
  CHECK(q.size() == 0);
  proxy.set_open(true);
  for (int i = 10; i < 13; ++i) REQUIRE(writer.put(p + std::to_string(i), "v").ok());

  check_sequence(take_events(q, 8, 10000ms), p, 5, 8);
  CHECK_FALSE(q.pop(300ms));
  CHECK(w.resumes() >= 1);
  CHECK(w.running());
}

void check_watch_resume_elsewhere(const DcsTarget& t) {
  TcpProxy proxy(t.endpoints.front());
  std::vector<Endpoint> endpoints{proxy.endpoint()};
  endpoints.insert(endpoints.end(), t.endpoints.begin(), t.endpoints.end());
  Client writer(options_for(t.endpoints));
  Client watching(options_for(endpoints, 1000ms));
  const std::string p = t.prefix + "/watch/elsewhere/";
  WatchQueue q;
  Watcher w(watching, prefix_watch(p), q.events_sink(), q.error_sink());
  REQUIRE(w.wait_created(5000ms));

  // Writes go on while the watcher's connection is cut under it.
  std::atomic<bool> done{false};
  std::thread cutter([&] {
    while (!done) {
      std::this_thread::sleep_for(150ms);
      proxy.set_open(false);
      std::this_thread::sleep_for(50ms);
      proxy.set_open(true);
    }
  });
  for (int i = 0; i < 40; ++i) {
    REQUIRE(writer.put(p + std::to_string(i), "v").ok());
    std::this_thread::sleep_for(20ms);
  }
  done = true;
  cutter.join();

  check_sequence(take_events(q, 40, 10000ms), p, 0, 40);
  CHECK_FALSE(q.pop(300ms));
  CHECK(proxy.cut_count() >= 1);
  CHECK(w.resumes() >= 1);
}

void check_watch_compacted(const DcsTarget& t) {
  Client c(options_for(t.endpoints));
  const std::string p = t.prefix + "/watch/compacted/";
  auto first = c.put(p + "a", "1");
  REQUIRE(first.ok());
  REQUIRE(c.put(p + "a", "2").ok());
  auto last = c.put(p + "a", "3");
  REQUIRE(last.ok());
  REQUIRE(c.compact(last->header().revision()).ok());

  WatchQueue q;
  Watcher w(c, prefix_watch(p, first->header().revision()), q.events_sink(), q.error_sink());
  auto item = q.pop(5000ms);
  REQUIRE(item);
  REQUIRE(std::holds_alternative<WatchError>(*item));
  const auto& error = std::get<WatchError>(*item);
  CHECK(error.kind == WatchError::Kind::kCompacted);
  CHECK(error.compact_revision == last->header().revision());
  CHECK_THAT(error.to_string(), Catch::Matchers::Contains("compacted up to revision"));
  for (int i = 0; i < 50 && w.running(); ++i) std::this_thread::sleep_for(20ms);
  CHECK_FALSE(w.running());
}

}  // namespace ha::test
