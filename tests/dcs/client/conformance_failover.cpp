// Client conformance: a leader killed under a writer, a watcher and a lease keeper.
#include <catch2/catch.hpp>

#include "conformance_util.hpp"
#include "dcs/client/lease_keeper.hpp"
#include "dcs/client/watcher.hpp"

namespace ha::test {

using namespace dcs;  // NOLINT(google-build-using-namespace)
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

void check_survives_leader_loss(const DcsTarget& t, const std::function<void(const Endpoint&)>& kill) {
  REQUIRE(t.endpoints.size() >= 3);
  Client c(options_for(t.endpoints, 5000ms));
  auto leader = c.leader();
  REQUIRE(leader.ok());
  REQUIRE(leader->in_endpoint_list);

  const std::string p = t.prefix + "/failover/";
  auto lease = c.lease_grant(t.lease_ttl);
  REQUIRE(lease.ok());
  PutOptions with_lease;
  with_lease.lease = lease->id();
  REQUIRE(c.put(p + "member", "me", with_lease).ok());
  LeaseKeeper keeper(c, lease->id());
  REQUIRE(keeper.wait_confirmed(3000ms));

  WatchQueue q;
  WatchOptions w;
  w.key = p + "seq/";
  w.prefix = true;
  w.probe_interval = 1000ms;
  Watcher watcher(c, w, q.events_sink(), q.error_sink());
  REQUIRE(watcher.wait_created(3000ms));

  CallOptions safe;
  safe.retry_safe = true;
  std::vector<int> acknowledged;
  int failures = 0;
  const int total = 60;
  int dead_samples = 0;
  for (int i = 0; i < total; ++i) {
    if (i == 20) kill(leader->endpoint);
    char key[16];
    std::snprintf(key, sizeof key, "%04d", i);
    auto r = c.put(p + "seq/" + key, std::to_string(i), {}, safe);
    if (r.ok()) {
      acknowledged.push_back(i);
    } else {
      ++failures;
      UNSCOPED_INFO("write " << i << " failed: " << r.error().to_string());
    }
    if (!keeper.alive()) ++dead_samples;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(failures == 0);
  CHECK(dead_samples == 0);
  CHECK_FALSE(keeper.lost());

  // Every acknowledged write arrives once, in order (a retried write may add a repeat revision
  // of the same key and value: that is a second write, not a repeated event).
  auto events = take_events(q, acknowledged.size(), 10000ms);
  std::size_t next = 0;
  std::int64_t last_rev = 0;
  for (const auto& e : events) {
    CHECK(e.kv().mod_revision() > last_rev);
    last_rev = e.kv().mod_revision();
    if (next < acknowledged.size() && e.kv().value() == std::to_string(acknowledged[next])) ++next;
  }
  while (next < acknowledged.size()) {
    auto more = take_events(q, 1, 3000ms);
    if (more.empty()) break;
    CHECK(more[0].kv().mod_revision() > last_rev);
    last_rev = more[0].kv().mod_revision();
    if (more[0].kv().value() == std::to_string(acknowledged[next])) ++next;
  }
  CHECK(next == acknowledged.size());
  CHECK(watcher.running());

  auto member = c.get(p + "member");
  REQUIRE(member.ok());
  CHECK(member->kvs_size() == 1);
  auto after = c.leader();
  REQUIRE(after.ok());
  CHECK_FALSE(after->endpoint == leader->endpoint);
  REQUIRE(c.lease_revoke(lease->id()).ok());
}

}  // namespace ha::test
