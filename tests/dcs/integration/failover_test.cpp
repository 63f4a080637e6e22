// Failover and catch-up: kill -9 of the leader gives a new leader that serves writes; the killed
// member restarts and catches up from the log, or through a snapshot when the log was compacted.
#include <catch2/catch.hpp>
#include <map>

#include "cluster_harness.hpp"

using namespace ha::itest;

namespace {

etcdserverpb::RangeResponse read_prefix(const Cluster& c, int i, const std::string& prefix,
                                        bool serializable) {
  etcdserverpb::RangeRequest req;
  req.set_key(prefix);
  std::string end = prefix;
  end.back() = static_cast<char>(end.back() + 1);
  req.set_range_end(end);
  req.set_serializable(serializable);
  etcdserverpb::RangeResponse resp;
  grpc::Status s = c.range(i, req, &resp, Ms(5000));
  if (!s.ok())
    throw HarnessError("range " + prefix + " through " + c.name(i) + ": " + s.error_message());
  return resp;
}

}  // namespace

TEST_CASE("kill -9 of the leader: a new leader serves writes and the killed member catches up",
          "[integration]") {
  Cluster c(3);
  c.start_all();
  int old_leader = c.wait_leader();
  std::uint64_t old_id = c.member_id(old_leader);
  etcdserverpb::StatusResponse before;
  REQUIRE(c.status(old_leader, &before).ok());

  for (int k = 0; k < 20; ++k)
    c.put_ok(old_leader, "fo/before/" + std::to_string(k), "v" + std::to_string(k));

  c.kill(old_leader);
  auto killed_at = Clock::now();
  int survivor = (old_leader + 1) % 3;
  // The first write through a survivor that is acknowledged after the kill.
  std::int64_t after_rev = c.put_retry(survivor, "fo/after", "1", Ms(10000));
  auto failover = std::chrono::duration_cast<Ms>(Clock::now() - killed_at);
  INFO("first acknowledged write " << failover.count() << " ms after the kill");
  int new_leader = c.wait_leader(Ms(10000));
  REQUIRE(new_leader != old_leader);
  etcdserverpb::StatusResponse now;
  REQUIRE(c.status(new_leader, &now).ok());
  CHECK(now.raftterm() > before.raftterm());
  CHECK(failover < Ms(5000));

  // More writes while the old leader is down, through both survivors.
  for (int k = 0; k < 50; ++k) {
    int through = k % 2 == 0 ? survivor : 3 - old_leader - survivor;
    c.put_ok(through, "fo/down/" + std::to_string(k), "d" + std::to_string(k));
  }
  std::int64_t last_rev = c.put_ok(new_leader, "fo/after", "2");
  CHECK(last_rev > after_rev);

  // The killed member restarts from its data directory and catches up: its own (serializable)
  // read returns the latest value and the latest revision.
  c.start(old_leader);
  CHECK(c.member_id(old_leader) == old_id);
  bool caught_up = eventually(Ms(10000), [&] {
    etcdserverpb::RangeRequest req;
    req.set_key("fo/after");
    req.set_serializable(true);
    etcdserverpb::RangeResponse resp;
    return c.range(old_leader, req, &resp).ok() && resp.kvs_size() == 1 &&
           resp.kvs(0).value() == "2" && resp.kvs(0).mod_revision() == last_rev;
  });
  INFO(c.logs_tail());
  REQUIRE(caught_up);
  // Everything written before the kill (acknowledged by the old leader) and while it was down.
  auto all = read_prefix(c, old_leader, "fo/", true);
  CHECK(all.count() == 20 + 50 + 1);
  std::map<std::string, std::string> got;
  for (const auto& kv : all.kvs()) got[kv.key()] = kv.value();
  for (int k = 0; k < 20; ++k)
    CHECK(got["fo/before/" + std::to_string(k)] == "v" + std::to_string(k));
  for (int k = 0; k < 50; ++k)
    CHECK(got["fo/down/" + std::to_string(k)] == "d" + std::to_string(k));

  // The cluster agrees on one leader again and the restarted member serves writes.
  c.wait_leader();
  c.put_ok(old_leader, "fo/after", "3");
  for (int i = 0; i < 3; ++i) CHECK(c.get(i, "fo/after") == std::optional<std::string>("3"));
}

TEST_CASE("a member that missed compacted entries catches up through a snapshot", "[integration]") {
  ClusterOptions o;
  o.snapshot_count = 50;
  Cluster c(o);
  c.start_all();
  int leader = c.wait_leader();
  int lagger = (leader + 1) % 3;
  int other = 3 - leader - lagger;
  c.stop(lagger);

  constexpr int kKeys = 500;
  etcdserverpb::PutResponse last;
  for (int k = 0; k < kKeys; ++k) {
    char key[32];
    std::snprintf(key, sizeof key, "snap/%04d", k);
    grpc::Status s = c.put(k % 2 == 0 ? leader : other, key, "value-" + std::to_string(k), &last);
    INFO("put " << key << ": " << s.error_message());
    REQUIRE(s.ok());
  }
  // The others took snapshots and compacted their logs past where the lagger stopped.
  auto snaps = c.metric(leader, "hadcs_snapshots_total");
  REQUIRE(snaps.has_value());
  CHECK(*snaps >= 5);

  c.start(lagger);
  bool complete = eventually(Ms(15000), [&] {
    auto r = read_prefix(c, lagger, "snap/", true);
    return r.count() == kKeys && r.header().revision() >= last.header().revision();
  });
  INFO(c.logs_tail());
  REQUIRE(complete);
  auto mine = read_prefix(c, lagger, "snap/", true);
  auto theirs = read_prefix(c, leader, "snap/", false);
  REQUIRE(mine.kvs_size() == kKeys);
  REQUIRE(theirs.kvs_size() == kKeys);
  for (int k = 0; k < kKeys; ++k) {
    CHECK(mine.kvs(k).key() == theirs.kvs(k).key());
    CHECK(mine.kvs(k).value() == "value-" + std::to_string(k));
    CHECK(mine.kvs(k).mod_revision() == theirs.kvs(k).mod_revision());
    CHECK(mine.kvs(k).create_revision() == theirs.kvs(k).create_revision());
    CHECK(mine.kvs(k).version() == theirs.kvs(k).version());
  }
  // It got there through the leader's snapshot, not by replaying the log from where it stopped.
  CHECK(c.log(lagger).find("installed the leader's snapshot") != std::string::npos);

  // And it keeps up from there: a write afterwards reaches it too.
  std::int64_t rev = c.put_retry(lagger, "snap/after", "x");
  CHECK(eventually(Ms(5000), [&] {
    etcdserverpb::RangeRequest req;
    req.set_key("snap/after");
    req.set_serializable(true);
    etcdserverpb::RangeResponse resp;
    return c.range(lagger, req, &resp).ok() && resp.kvs_size() == 1 &&
           resp.kvs(0).mod_revision() == rev;
  }));
}
