// A minority serves nothing that needs a quorum: with 2 of 3 members stopped (SIGSTOP) the one
// left refuses writes and linearizable reads; after SIGCONT everything is served again with no
// acknowledged write lost; and a deposed leader that wakes up never serves a stale read.
#include <catch2/catch.hpp>

#include "cluster_harness.hpp"

using namespace ha::itest;

namespace {

std::string describe(const grpc::Status& s) {
  return s.ok() ? "OK" : std::to_string(s.error_code()) + " " + s.error_message();
}

}  // namespace

TEST_CASE("a minority refuses writes and linearizable reads and serves again after SIGCONT",
          "[integration]") {
  Cluster c(3);
  c.start_all();
  int leader = c.wait_leader();
  int follower = (leader + 1) % 3;

  for (int k = 0; k < 10; ++k)
    c.put_ok(k % 3, "mi/" + std::to_string(k), "acked-" + std::to_string(k));

  // Both cases: the one left is the leader (it must notice it lost its quorum), then a follower.
  for (int survivor : {leader, follower}) {
    DYNAMIC_SECTION("survivor " << (survivor == leader ? "was the leader" : "was a follower")) {
      std::vector<int> stopped;
      for (int i = 0; i < 3; ++i) {
        if (i != survivor) stopped.push_back(i);
      }
      for (int i : stopped) c.pause(i);

      // Writes: an error or the deadline, never OK. Several, over more than an election timeout,
      // so that both the "still thinks it leads" and the "knows it lost" phases are covered.
      auto end = Clock::now() + Ms(2000);
      int attempts = 0;
      while (Clock::now() < end) {
        grpc::Status s =
            c.put(survivor, "mi/minority", "must-not-be-acknowledged-" + std::to_string(attempts),
                  nullptr, 0, Ms(700));
        INFO("write attempt " << attempts << ": " << describe(s));
        CHECK_FALSE(s.ok());
        ++attempts;
      }
      // Linearizable reads: refused as well (ReadIndex needs a quorum).
      for (int r = 0; r < 3; ++r) {
        etcdserverpb::RangeRequest req;
        req.set_key("mi/0");
        etcdserverpb::RangeResponse resp;
        grpc::Status s = c.range(survivor, req, &resp, Ms(700));
        INFO("linearizable read: " << describe(s));
        CHECK_FALSE(s.ok());
      }
      // A serializable read is this member's own state, served on request.
      CHECK(c.get(survivor, "mi/0", true) == std::optional<std::string>("acked-0"));
      // Its health says there is no leader.
      CHECK(eventually(Ms(3000), [&] { return c.http_get(survivor, "/health").status == 503; }));

      for (int i : stopped) c.resume(i);
      c.wait_leader(Ms(10000));
      std::int64_t rev = c.put_retry(survivor, "mi/after", "back");
      CHECK(rev > 0);
      for (int i = 0; i < 3; ++i) {
        INFO("read through " << c.name(i));
        CHECK(c.get(i, "mi/after") == std::optional<std::string>("back"));
        for (int k = 0; k < 10; ++k) {
          CHECK(c.get(i, "mi/" + std::to_string(k)) ==
                std::optional<std::string>("acked-" + std::to_string(k)));
        }
      }
    }
  }
}

TEST_CASE("a deposed leader that wakes up never serves a stale linearizable read",
          "[integration]") {
  Cluster c(3);
  c.start_all();
  int old_leader = c.wait_leader();
  c.put_ok(old_leader, "st/k", "old");

  c.pause(old_leader);
  std::vector<int> majority;
  for (int i = 0; i < 3; ++i) {
    if (i != old_leader) majority.push_back(i);
  }
  int new_leader = c.wait_leader(Ms(10000), majority);
  REQUIRE(new_leader != old_leader);
  REQUIRE(c.put_retry(majority[0], "st/k", "new") > 0);

  // The old leader wakes up still believing it leads; the first linearizable reads through it
  // must return the new value or fail, never the old one.
  c.resume(old_leader);
  int served = 0;
  auto end = Clock::now() + Ms(3000);
  while (Clock::now() < end) {
    etcdserverpb::RangeRequest req;
    req.set_key("st/k");
    etcdserverpb::RangeResponse resp;
    grpc::Status s = c.range(old_leader, req, &resp, Ms(1000));
    if (!s.ok()) continue;
    REQUIRE(resp.kvs_size() == 1);
    INFO("read " << served << " through the old leader");
    REQUIRE(resp.kvs(0).value() == "new");
    if (++served >= 20) break;
  }
  CHECK(served >= 20);
  c.wait_leader();
}
