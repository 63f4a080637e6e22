// Leases and watches across members: lease expiry deletes the attached keys exactly once, at
// the same revision, on every member; a watch on a member that stays up sees every acknowledged
// put exactly once and in order while the leader is killed, and a resume on another member from
// the last seen revision + 1 has no gap.
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <thread>

#include "cluster_harness.hpp"

using namespace ha::itest;

namespace {

etcdserverpb::WatchCreateRequest prefix_watch(const std::string& prefix,
                                              std::int64_t start_revision) {
  etcdserverpb::WatchCreateRequest w;
  w.set_key(prefix);
  std::string end = prefix;
  end.back() = static_cast<char>(end.back() + 1);
  w.set_range_end(end);
  w.set_start_revision(start_revision);
  return w;
}

std::string dump(const std::vector<mvccpb::Event>& events) {
  std::string out;
  for (const auto& e : events) out += "  " + describe(e) + "\n";
  return out;
}

}  // namespace

TEST_CASE(
    "lease expiry deletes the attached keys exactly once at the same revision on every member",
    "[integration]") {
  Cluster c(3);
  c.start_all();
  int leader = c.wait_leader();
  int follower = (leader + 1) % 3;

  etcdserverpb::LeaseGrantRequest grant;
  grant.set_ttl(3);
  etcdserverpb::LeaseGrantResponse granted;
  auto gctx = deadline_ctx(Ms(3000));
  grpc::Status gs = c.lease(follower)->LeaseGrant(gctx.get(), grant, &granted);
  INFO(gs.error_message());
  REQUIRE(gs.ok());
  REQUIRE(granted.id() != 0);
  CHECK(granted.ttl() == 3);
  auto granted_at = Clock::now();

  const std::vector<std::string> keys = {"lx/a", "lx/b", "lx/c"};
  std::int64_t last_put = 0;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    etcdserverpb::PutResponse put;
    grpc::Status s = c.put(static_cast<int>(k % 3), keys[k], "leased", &put, granted.id());
    INFO(s.error_message());
    REQUIRE(s.ok());
    last_put = put.header().revision();
  }
  // An unleased key under the same prefix must survive the expiry.
  c.put_ok(leader, "lx/keep", "unleased");
  last_put += 1;

  // TimeToLive lists the attached keys.
  etcdserverpb::LeaseTimeToLiveRequest ttl_req;
  ttl_req.set_id(granted.id());
  ttl_req.set_keys(true);
  etcdserverpb::LeaseTimeToLiveResponse ttl;
  auto tctx = deadline_ctx(Ms(3000));
  REQUIRE(c.lease(leader)->LeaseTimeToLive(tctx.get(), ttl_req, &ttl).ok());
  CHECK(ttl.ttl() > 0);
  CHECK(ttl.ttl() <= 3);
  CHECK(ttl.keys_size() == 3);

  // One watch per member, from after the puts: only the expiry's deletes (and a sentinel) follow.
  std::vector<std::unique_ptr<WatchClient>> watches;
  for (int i = 0; i < 3; ++i) {
    watches.push_back(
        std::make_unique<WatchClient>(c.channel(i), prefix_watch("lx/", last_put + 1)));
    watches.back()->wait_created(Ms(3000));
  }
  for (int i = 0; i < 3; ++i) {
    INFO("watch on " << c.name(i) << ":\n" << dump(watches[i]->events()));
    REQUIRE(watches[i]->wait_events(3, Ms(10000)));
  }
  auto expired_after = std::chrono::duration_cast<Ms>(Clock::now() - granted_at);
  // The lease did not expire early (the leader counts from before our grant returned, so a little
  // slack), and the keys are gone.
  CHECK(expired_after >= Ms(2500));
  for (int i = 0; i < 3; ++i) {
    for (const auto& k : keys) CHECK_FALSE(c.get(i, k, true).has_value());
    CHECK(c.get(i, "lx/keep") == std::optional<std::string>("unleased"));
  }

  // A duplicate expiry would be proposed about a second after the first (the leader's retry):
  // wait past that, then a sentinel put marks the end of what each watch may have received.
  std::this_thread::sleep_for(Ms(1500));
  std::int64_t sentinel = c.put_retry(leader, "lx/zz-sentinel", "end");
  std::set<std::int64_t> delete_revisions;
  for (int i = 0; i < 3; ++i) {
    INFO("watch on " << c.name(i));
    REQUIRE(watches[i]->wait_revision(sentinel, Ms(5000)));
    auto ev = watches[i]->events();
    INFO("events:\n" << dump(ev));
    REQUIRE(ev.size() == 4);
    std::map<std::string, int> deletes;
    for (std::size_t e = 0; e < 3; ++e) {
      CHECK(ev[e].type() == mvccpb::Event::DELETE);
      deletes[ev[e].kv().key()]++;
      delete_revisions.insert(ev[e].kv().mod_revision());
    }
    for (const auto& k : keys) CHECK(deletes[k] == 1);
    CHECK(ev[3].type() == mvccpb::Event::PUT);
    CHECK(ev[3].kv().key() == "lx/zz-sentinel");
    CHECK_FALSE(watches[i]->finished().has_value());
  }
  // One revoke entry in the log: one revision for all three deletes, the same on every member.
  CHECK(delete_revisions.size() == 1);
  CHECK(*delete_revisions.begin() > last_put);
  CHECK(*delete_revisions.begin() < sentinel);

  // The lease itself is gone everywhere.
  for (int i = 0; i < 3; ++i) {
    etcdserverpb::LeaseTimeToLiveResponse gone;
    auto ctx = deadline_ctx(Ms(3000));
    REQUIRE(c.lease(i)->LeaseTimeToLive(ctx.get(), ttl_req, &gone).ok());
    CHECK(gone.ttl() == -1);
  }
}

TEST_CASE("a leader change never expires a lease early and the new leader still expires it",
          "[integration]") {
  Cluster c(3);
  c.start_all();
  int leader = c.wait_leader();
  int survivor = (leader + 1) % 3;

  etcdserverpb::LeaseGrantRequest grant;
  grant.set_ttl(3);
  etcdserverpb::LeaseGrantResponse granted;
  auto gctx = deadline_ctx(Ms(3000));
  REQUIRE(c.lease(survivor)->LeaseGrant(gctx.get(), grant, &granted).ok());
  c.put_ok(survivor, "ll/lock", "me", granted.id());

  // Most of the TTL passes under the old leader, then it dies. The new leader gives the lease a
  // full TTL from its election, which comes after the kill: the key must live at least 3 s more.
  std::this_thread::sleep_for(Ms(2000));
  c.kill(leader);
  auto killed_at = Clock::now();
  int reads = 0;
  while (Clock::now() < killed_at + Ms(2900)) {
    etcdserverpb::RangeRequest req;
    req.set_key("ll/lock");
    req.set_serializable(true);
    etcdserverpb::RangeResponse resp;
    grpc::Status s = c.range(survivor, req, &resp, Ms(500));
    if (!s.ok()) continue;
    auto since = std::chrono::duration_cast<Ms>(Clock::now() - killed_at).count();
    INFO("read " << reads << ", " << since << " ms after the kill");
    REQUIRE(resp.kvs_size() == 1);
    ++reads;
    std::this_thread::sleep_for(Ms(50));
  }
  CHECK(reads > 10);
  // And it does expire under the new leader (no lease leaks across a leader change).
  bool expired = eventually(
      Ms(6000), [&] { return !c.get(survivor, "ll/lock", true).has_value(); }, Ms(50));
  INFO(c.logs_tail());
  CHECK(expired);
  int other = 3 - leader - survivor;
  CHECK_FALSE(c.get(other, "ll/lock").has_value());
}

TEST_CASE(
    "a watch survives a leader change with no lost or repeated event and resumes on another member",
    "[integration]") {
  Cluster c(3);
  c.start_all();
  int leader = c.wait_leader();
  int watcher = (leader + 1) % 3;     // the member we watch through; never killed
  int writer = 3 - leader - watcher;  // the member we write through; never killed
  std::int64_t start = c.put_retry(writer, "wl-start", "x");

  WatchClient watch(c.channel(watcher), prefix_watch("wl/", start + 1));
  watch.wait_created(Ms(3000));

  // Four clients write concurrently through `writer`, so that puts are in flight when the leader
  // dies. Each attempt writes a distinct value: an attempt that failed for the client but was
  // applied anyway is told apart from the acknowledged one.
  constexpr int kThreads = 4;
  constexpr int kPerThread = 40;
  constexpr int kKillAfter = 40;     // acknowledged puts before the kill
  constexpr int kResumeAfter = 100;  // acknowledged puts before the second watch starts
  struct Ack {
    std::string key;
    std::string value;
    std::int64_t revision;
  };
  std::vector<std::vector<Ack>> acked(kThreads);
  std::vector<std::set<std::pair<std::string, std::string>>> failed(kThreads);
  std::vector<std::string> errors(kThreads);
  std::atomic<int> total{0};
  std::atomic<bool> give_up{false};
  auto deadline = Clock::now() + Ms(30000);
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int k = 0; k < kPerThread; ++k) {
        char key[32];
        std::snprintf(key, sizeof key, "wl/t%d/%03d", t, k);
        for (int attempt = 0;; ++attempt) {
          if (give_up || Clock::now() > deadline) {
            errors[t] = std::string("no acknowledgement for ") + key + " within 30 s";
            return;
          }
          std::string value = std::to_string(k) + "." + std::to_string(attempt);
          etcdserverpb::PutResponse put;
          if (c.put(writer, key, value, &put, 0, Ms(1000)).ok()) {
            acked[t].push_back({key, value, put.header().revision()});
            ++total;
            break;
          }
          failed[t].insert({key, value});
        }
      }
    });
  }
  struct JoinAll {  // also when a REQUIRE below fails
    std::vector<std::thread>& threads;
    std::atomic<bool>& give_up;
    ~JoinAll() {
      give_up = true;
      for (auto& th : threads) th.join();
    }
  } join_all{writers, give_up};

  REQUIRE(eventually(
      Ms(10000), [&] { return total >= kKillAfter; }, Ms(1)));
  c.kill(leader);
  REQUIRE(eventually(
      Ms(20000), [&] { return total >= kResumeAfter; }, Ms(5)));
  // A client that lost its stream resumes on another member from the last revision it saw + 1.
  auto seen = watch.events();
  REQUIRE_FALSE(seen.empty());
  std::int64_t resumed_from = seen.back().kv().mod_revision() + 1;
  WatchClient resumed(c.channel(writer), prefix_watch("wl/", resumed_from));
  resumed.wait_created(Ms(3000));
  for (auto& th : writers) th.join();
  writers.clear();
  for (int t = 0; t < kThreads; ++t) {
    INFO("writer " << t);
    REQUIRE(errors[t].empty());
    REQUIRE(acked[t].size() == static_cast<std::size_t>(kPerThread));
  }

  std::int64_t last = 0;
  for (const auto& a : acked) last = std::max(last, a.back().revision);
  REQUIRE(watch.wait_revision(last, Ms(10000)));
  REQUIRE(resumed.wait_revision(last, Ms(10000)));
  auto events = watch.events();
  INFO("events:\n" << dump(events));

  // Revisions strictly increase: nothing repeated, nothing out of order.
  for (std::size_t e = 1; e < events.size(); ++e)
    CHECK(events[e].kv().mod_revision() > events[e - 1].kv().mod_revision());
  std::map<std::int64_t, const mvccpb::Event*> by_rev;
  std::map<std::pair<std::string, std::string>, int> copies;
  for (const auto& e : events) {
    by_rev[e.kv().mod_revision()] = &e;
    copies[{e.kv().key(), e.kv().value()}]++;
  }
  // Every acknowledged put appears exactly once, at its revision; one client's puts in the order
  // it made them.
  std::size_t n_acked = 0;
  for (int t = 0; t < kThreads; ++t) {
    std::int64_t prev = 0;
    for (const Ack& a : acked[t]) {
      INFO("acknowledged put " << a.key << "=" << a.value << " @" << a.revision);
      ++n_acked;
      CHECK(a.revision > prev);
      prev = a.revision;
      auto it = by_rev.find(a.revision);
      REQUIRE(it != by_rev.end());
      CHECK(it->second->type() == mvccpb::Event::PUT);
      CHECK(it->second->kv().key() == a.key);
      CHECK(it->second->kv().value() == a.value);
      CHECK(copies[{a.key, a.value}] == 1);
    }
  }
  // Anything else the watch saw is an attempt that failed for its client but was applied anyway,
  // once; never something nobody wrote.
  std::size_t extra = 0;
  for (const auto& [kv, n] : copies) {
    INFO("event " << kv.first << "=" << kv.second);
    CHECK(n == 1);
    bool was_acked = false;
    for (const auto& list : acked) {
      for (const Ack& a : list)
        was_acked = was_acked || (a.key == kv.first && a.value == kv.second);
    }
    if (!was_acked) {
      ++extra;
      bool attempted = false;
      for (const auto& f : failed) attempted = attempted || f.count(kv) != 0;
      CHECK(attempted);
    }
  }
  CHECK(events.size() == n_acked + extra);

  // The resumed watch saw exactly the first watch's events from its start revision on.
  auto again = resumed.events();
  std::vector<mvccpb::Event> expected;
  for (const auto& e : events) {
    if (e.kv().mod_revision() >= resumed_from) expected.push_back(e);
  }
  INFO("resumed from " << resumed_from << ":\n" << dump(again));
  REQUIRE(again.size() == expected.size());
  for (std::size_t e = 0; e < again.size(); ++e) {
    CHECK(again[e].kv().key() == expected[e].kv().key());
    CHECK(again[e].kv().value() == expected[e].kv().value());
    CHECK(again[e].kv().mod_revision() == expected[e].kv().mod_revision());
  }
  CHECK_FALSE(watch.finished().has_value());
  CHECK_FALSE(resumed.finished().has_value());
}
