// Client conformance: status and leader discovery, member calls, and what the client does when
// endpoints refuse connections or never answer (deadlines, rotation, error texts).
#include <catch2/catch.hpp>

#include <algorithm>

#include "conformance_util.hpp"
#include "dcs/client/endpoint_set.hpp"
#include "dcs/client/lease_keeper.hpp"
#include "dcs/client/watcher.hpp"
#include "etcd_process.hpp"

namespace ha::test {

using namespace dcs;  // NOLINT(google-build-using-namespace)
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

void check_cluster_calls(const DcsTarget& t) {
  Client c(options_for(t.endpoints));

  auto statuses = c.status_all();
  REQUIRE(statuses.size() == t.endpoints.size());
  for (const auto& s : statuses) {
    REQUIRE(s.status.ok());
    CHECK_FALSE(s.status->version().empty());
    CHECK(s.status->leader() != 0);
  }
  auto single = c.status(0);
  REQUIRE(single.ok());
  auto by_address = c.status(t.endpoints.back());
  REQUIRE(by_address.ok());
  CHECK(by_address->header().member_id() == statuses.back().status->header().member_id());
  auto stranger = c.status(Endpoint{"127.0.0.1", 1});
  REQUIRE_FALSE(stranger.ok());
  CHECK(stranger.error().code == grpc::StatusCode::INVALID_ARGUMENT);

  auto leader = c.leader();
  REQUIRE(leader.ok());
  CHECK(leader->in_endpoint_list);
  CHECK(std::find(t.endpoints.begin(), t.endpoints.end(), leader->endpoint) != t.endpoints.end());
  CHECK(leader->member_id == statuses.front().status->leader());
  auto leader_ep = c.leader_endpoint();
  REQUIRE(leader_ep.ok());
  CHECK(leader_ep.value() == leader->endpoint);

  auto members = c.member_list();
  REQUIRE(members.ok());
  CHECK(members->members_size() == static_cast<int>(t.endpoints.size()));
  for (const auto& m : members->members()) CHECK(m.clienturls_size() >= 1);

  // A learner that never starts does not count for quorum: add it, fail to promote it, remove it.
  const std::string peer = Endpoint{"127.0.0.1", free_loopback_port()}.url();
  auto added = c.member_add({peer}, true);
  REQUIRE(added.ok());
  CHECK(added->member().islearner());
  REQUIRE(added->member().peerurls_size() == 1);
  CHECK(added->member().peerurls(0) == peer);
  const auto learner = added->member().id();
  auto listed = c.member_list();
  REQUIRE(listed.ok());
  CHECK(listed->members_size() == static_cast<int>(t.endpoints.size()) + 1);
  auto promoted = c.member_promote(learner);
  CHECK_FALSE(promoted.ok());
  auto removed = c.member_remove(learner);
  REQUIRE(removed.ok());
  CHECK(removed->members_size() == static_cast<int>(t.endpoints.size()));

  auto bogus = c.move_leader(0x5eed);
  CHECK_FALSE(bogus.ok());

  // Writes to the leader first: the client finds and remembers it.
  auto o = options_for(t.endpoints);
  o.writes_to_leader_first = true;
  Client to_leader(o);
  REQUIRE(to_leader.put(t.prefix + "/cluster/k", "v").ok());
  REQUIRE(to_leader.endpoint_set()->leader());
  CHECK(to_leader.endpoint_set()->at(*to_leader.endpoint_set()->leader()).endpoint == leader->endpoint);
}

void check_unreachable(const DcsTarget& t) {
  const Endpoint refused{"127.0.0.1", free_loopback_port()};  // nothing listens there

  {  // Every call ends by its deadline with a text that says what to check.
    Client c(options_for({refused}, 1000ms));
    const auto start = Clock::now();
    auto r = c.get("x");
    CHECK(seconds_since(start) < 1.5);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == grpc::StatusCode::UNAVAILABLE);
    CHECK(r.error().to_string() == "no hadcs member reachable at " + refused.host_port() +
                                       ": connection refused; check that hadcs runs and the endpoints are right");
    const auto put_start = Clock::now();
    auto w = c.put("x", "y");
    CHECK(seconds_since(put_start) < 1.5);
    REQUIRE_FALSE(w.ok());
    CHECK(w.error().is_unreachable());
    auto leader = c.leader();
    REQUIRE_FALSE(leader.ok());
    CHECK_THAT(leader.error().to_string(), Catch::Matchers::Contains("no hadcs member reachable"));
  }

  SilentListener silent;
  REQUIRE(silent.endpoint().port != 0);
  {  // A member that accepts connections but never answers: the call still ends on time.
    Client c(options_for({silent.endpoint()}, 800ms));
    const auto start = Clock::now();
    auto r = c.get("x");
    CHECK(seconds_since(start) < 1.3);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().is_unreachable());
    CHECK_THAT(r.error().to_string(), Catch::Matchers::Contains(silent.endpoint().host_port()));
  }

  {  // Dead and silent endpoints before a live one: reads and writes still succeed, in time.
    std::vector<Endpoint> endpoints{refused, silent.endpoint()};
    endpoints.insert(endpoints.end(), t.endpoints.begin(), t.endpoints.end());
    Client c(options_for(endpoints, 3000ms));
    const auto start = Clock::now();
    auto put = c.put(t.prefix + "/unreachable/k", "v");  // not retry-safe: allowed only because never sent
    REQUIRE(put.ok());
    auto get = c.get(t.prefix + "/unreachable/k");
    REQUIRE(get.ok());
    CHECK(get->kvs_size() == 1);
    CHECK(seconds_since(start) < 3.5);
    // The client now starts where it succeeded.
    auto again_start = Clock::now();
    REQUIRE(c.get(t.prefix + "/unreachable/k").ok());
    CHECK(seconds_since(again_start) < 0.5);
  }
}

void check_prompt_shutdown(const DcsTarget& t) {
  const Endpoint refused{"127.0.0.1", free_loopback_port()};
  SilentListener silent;
  auto timed = [](auto&& destroy) {
    const auto start = Clock::now();
    destroy();
    return seconds_since(start);
  };
  WatchOptions w;
  w.key = t.prefix + "/shutdown/";
  w.prefix = true;

  auto live = std::make_unique<Client>(options_for(t.endpoints));
  auto lease = live->lease_grant(t.lease_ttl);
  REQUIRE(lease.ok());
  auto keeper = std::make_unique<LeaseKeeper>(*live, lease->id());
  auto watcher = std::make_unique<Watcher>(*live, w, [](const auto&) {});
  REQUIRE(keeper->wait_confirmed(3000ms));
  REQUIRE(watcher->wait_created(3000ms));
  CHECK(timed([&] { watcher.reset(); }) < 0.5);  // stream open, nothing happening
  CHECK(timed([&] { keeper.reset(); }) < 0.5);

  Client dead(options_for({refused}));
  auto backing_off = std::make_unique<Watcher>(dead, w, [](const auto&) {});
  auto keeper_off = std::make_unique<LeaseKeeper>(dead, lease->id());
  std::this_thread::sleep_for(700ms);  // several failed attempts: now in a pause
  CHECK(timed([&] { backing_off.reset(); }) < 0.5);
  CHECK(timed([&] { keeper_off.reset(); }) < 0.5);

  Client mute(options_for({silent.endpoint()}));
  auto waiting = std::make_unique<Watcher>(mute, w, [](const auto&) {});
  std::this_thread::sleep_for(300ms);  // waiting for a connection that never completes
  CHECK(timed([&] { waiting.reset(); }) < 0.5);

  REQUIRE(live->lease_revoke(lease->id()).ok());
  CHECK(timed([&] { live.reset(); }) < 0.5);
}

}  // namespace ha::test
