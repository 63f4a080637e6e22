// Client conformance: leases, the LeaseKeeper, and a keeper that loses its connection.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>

#include "conformance_util.hpp"
#include "dcs/client/lease_keeper.hpp"
#include "tcp_proxy.hpp"

namespace ha::test {

using namespace dcs;  // NOLINT(google-build-using-namespace)
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

bool key_exists_now(Client& c, const std::string& key) {
  auto r = c.get(key);
  REQUIRE(r.ok());
  return r->kvs_size() == 1;
}

}  // namespace

void check_lease_keeper(const DcsTarget& t) {
  Client c(options_for(t.endpoints));
  const std::string kept_key = t.prefix + "/lease/kept";
  const std::string lapsed_key = t.prefix + "/lease/lapsed";

  auto kept = c.lease_grant(t.lease_ttl);
  REQUIRE(kept.ok());
  auto lapsed = c.lease_grant(t.lease_ttl);
  REQUIRE(lapsed.ok());
  const std::int64_t ttl = kept->ttl();
  REQUIRE(ttl >= t.lease_ttl);
  PutOptions with_kept;
  with_kept.lease = kept->id();
  REQUIRE(c.put(kept_key, "me", with_kept).ok());
  PutOptions with_lapsed;
  with_lapsed.lease = lapsed->id();
  REQUIRE(c.put(lapsed_key, "me", with_lapsed).ok());

  std::atomic<int> lost_calls{0};
  std::atomic<std::int64_t> lost_id{0};
  LeaseKeeper keeper(c, kept->id(), [&](std::int64_t id, const std::string&) {
    lost_id = id;
    ++lost_calls;
  });
  const auto before_confirm = Clock::now();
  REQUIRE(keeper.wait_confirmed(3000ms));
  CHECK(keeper.alive());
  CHECK(keeper.ttl() == ttl);
  // The expiry is dated from the send time, so it is never later than "now + TTL".
  CHECK(keeper.expiry() > Clock::now());
  CHECK(keeper.expiry() <= Clock::now() + std::chrono::seconds(ttl));
  CHECK(keeper.expiry() >= before_confirm + std::chrono::seconds(ttl) - 1s);

  // Well past both TTLs: the kept key is there, the other one expired on the server.
  const auto watch_until = Clock::now() + std::chrono::seconds(2 * ttl) + 1500ms;
  int dead_samples = 0;
  while (Clock::now() < watch_until) {
    if (!keeper.alive()) ++dead_samples;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(dead_samples == 0);
  CHECK(key_exists_now(c, kept_key));
  CHECK_FALSE(key_exists_now(c, lapsed_key));

  auto ttl_info = c.lease_time_to_live(kept->id(), true);
  REQUIRE(ttl_info.ok());
  CHECK(ttl_info->ttl() > 0);
  CHECK(ttl_info->grantedttl() == ttl);
  REQUIRE(ttl_info->keys_size() == 1);
  CHECK(ttl_info->keys(0) == kept_key);

  auto leases = c.lease_leases();
  REQUIRE(leases.ok());
  const bool listed = std::any_of(leases->leases().begin(), leases->leases().end(),
                                  [&](const auto& l) { return l.id() == kept->id(); });
  CHECK(listed);

  // Revoking deletes the key at once; the keeper learns the lease is gone and says so once.
  REQUIRE(c.lease_revoke(kept->id()).ok());
  CHECK_FALSE(key_exists_now(c, kept_key));
  const auto lost_by = Clock::now() + std::chrono::seconds(ttl) + 2s;
  while (lost_calls == 0 && Clock::now() < lost_by) std::this_thread::sleep_for(50ms);
  CHECK(lost_calls == 1);
  CHECK(lost_id == kept->id());
  CHECK(keeper.lost());
  CHECK_FALSE(keeper.alive());

  auto twice = c.lease_revoke(kept->id());
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().is_lease_not_found());
}

void check_lease_keeper_moves(const DcsTarget& t) {
  TcpProxy proxy(t.endpoints.front());
  std::vector<Endpoint> via_proxy_first{proxy.endpoint()};
  via_proxy_first.insert(via_proxy_first.end(), t.endpoints.begin(), t.endpoints.end());
  Client direct(options_for(t.endpoints));
  Client c(options_for(via_proxy_first));

  auto lease = direct.lease_grant(t.lease_ttl);
  REQUIRE(lease.ok());
  const std::int64_t ttl = lease->ttl();
  const std::string key = t.prefix + "/lease/moves";
  PutOptions with_lease;
  with_lease.lease = lease->id();
  REQUIRE(direct.put(key, "me", with_lease).ok());

  LeaseKeeper keeper(c, lease->id());
  REQUIRE(keeper.wait_confirmed(3000ms));
  std::this_thread::sleep_for(300ms);
  proxy.set_open(false);  // the keeper's stream goes through the proxy: cut it
  CHECK(proxy.cut_count() >= 1);

  const auto until = Clock::now() + std::chrono::seconds(2 * ttl) + 1s;
  int dead_samples = 0;
  while (Clock::now() < until) {
    if (!keeper.alive()) ++dead_samples;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(dead_samples == 0);
  CHECK_FALSE(keeper.lost());
  CHECK(key_exists_now(direct, key));
  REQUIRE(direct.lease_revoke(lease->id()).ok());
}

}  // namespace ha::test
