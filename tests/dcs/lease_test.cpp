// Leases: the replicated part through the state machine (grant, attached keys, revoke deletes
// them at one revision with delete events, expiry entries, time-to-live, list) and the leader's
// LeaseTimer (promote extends every lease, renew, expiry order, retry, remaining time).
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "dcs/lease_timer.hpp"
#include "dcs/state_machine.hpp"

using ha::dcs::LeaseTimer;
using ha::dcs::StateMachine;
using namespace std::chrono_literals;

namespace {

struct Log {
  StateMachine sm;
  std::uint64_t index = 0;

  ha::dcs::ApplyResult apply(const ha::dcspb::InternalRequest& r) {
    auto out = sm.apply(++index, r);
    REQUIRE(out.applied);
    return out;
  }
  ha::dcs::ApplyResult grant(std::int64_t id, std::int64_t ttl) {
    ha::dcspb::InternalRequest r;
    r.mutable_lease_grant()->set_id(id);
    r.mutable_lease_grant()->set_ttl(ttl);
    return apply(r);
  }
  ha::dcs::ApplyResult put(const std::string& k, std::int64_t lease) {
    ha::dcspb::InternalRequest r;
    r.mutable_put()->set_key(k);
    r.mutable_put()->set_value("v");
    r.mutable_put()->set_lease(lease);
    return apply(r);
  }
  ha::dcs::ApplyResult revoke(std::int64_t id, bool expiry = false) {
    ha::dcspb::InternalRequest r;
    if (expiry)
      r.mutable_lease_expire()->set_id(id);
    else
      r.mutable_lease_revoke()->set_id(id);
    return apply(r);
  }
};

}  // namespace

TEST_CASE("revoking a lease deletes its keys at one revision, with delete events") {
  Log log;
  REQUIRE(log.grant(100, 10).status.ok());
  REQUIRE(log.grant(200, 10).status.ok());
  log.put("/svc/leader", 100);
  log.put("/svc/members/a", 100);
  log.put("/svc/members/b", 200);
  log.put("/svc/config", 0);
  log.put("/svc/members/a", 100);  // rewritten: still attached once

  auto ttl = log.sm.lease_time_to_live(100, true);
  REQUIRE(ttl.ok());
  CHECK(ttl.value().grantedttl() == 10);
  REQUIRE(ttl.value().keys_size() == 2);
  CHECK(ttl.value().keys(0) == "/svc/leader");
  CHECK(ttl.value().keys(1) == "/svc/members/a");

  const auto before = log.sm.revision();
  auto out = log.revoke(100);
  REQUIRE(out.status.ok());
  CHECK(out.removed_lease == 100);
  CHECK(out.revision == before + 1);
  REQUIRE(out.events.size() == 2);
  for (const auto& ev : out.events) {
    CHECK(ev.type() == mvccpb::Event::DELETE);
    CHECK(ev.kv().mod_revision() == before + 1);
    CHECK(ev.prev_kv().lease() == 100);
  }
  CHECK(std::get<etcdserverpb::LeaseRevokeResponse>(out.response).header().revision() ==
        before + 1);
  mvccpb::KeyValue kv;
  CHECK(log.sm.kv().get("/svc/leader", kv) == nullptr);
  CHECK(log.sm.kv().get("/svc/members/b", kv) != nullptr);
  CHECK(log.sm.kv().get("/svc/config", kv) != nullptr);
  CHECK(log.sm.lease_time_to_live(100, false).error().message ==
        "etcdserver: requested lease not found");

  // Revoking again: a client gets "not found"; a duplicate expiry is a silent no-op.
  auto again = log.revoke(100);
  REQUIRE_FALSE(again.status.ok());
  CHECK(again.status.error().code == ha::dcs::ErrorCode::kNotFound);
  auto expire_again = log.revoke(100, true);
  CHECK(expire_again.status.ok());
  CHECK(expire_again.events.empty());
  CHECK(log.sm.revision() == before + 1);

  // Expiry of a lease with no keys left: gone, and no revision bump.
  log.put("/svc/members/b", 0);  // detached by a put without lease
  REQUIRE(log.sm.lease_time_to_live(200, true).value().keys_size() == 0);
  const auto rev = log.sm.revision();
  auto ex = log.revoke(200, true);
  CHECK(ex.status.ok());
  CHECK(ex.removed_lease == 200);
  CHECK(log.sm.revision() == rev);
  CHECK(log.sm.leases().leases_size() == 0);
}

TEST_CASE("grants: chosen ids are deterministic, explicit ids must be free, puts need a lease") {
  Log a, b;
  auto ga = a.grant(0, 5);
  auto gb = b.grant(0, 5);
  REQUIRE(ga.status.ok());
  const auto id = std::get<etcdserverpb::LeaseGrantResponse>(ga.response).id();
  CHECK(id > 0);
  CHECK(std::get<etcdserverpb::LeaseGrantResponse>(gb.response).id() == id);
  CHECK(ga.granted_lease == id);
  CHECK(ga.granted_ttl == 5);

  auto dup = a.grant(id, 5);
  REQUIRE_FALSE(dup.status.ok());
  CHECK(dup.status.error().message == "etcdserver: lease already exists");

  auto orphan = a.put("k", 12345);
  REQUIRE_FALSE(orphan.status.ok());
  CHECK(orphan.status.error().message == "etcdserver: requested lease not found");

  a.grant(7, 30);
  auto list = a.sm.leases();
  REQUIRE(list.leases_size() == 2);
  CHECK(list.leases(0).id() == 7);  // ascending
  CHECK(a.sm.lease_ttls() == std::vector<std::pair<std::int64_t, std::int64_t>>{{7, 30}, {id, 5}});

  // An id chosen for a later index never collides with an existing lease.
  ha::dcs::LeaseStore store;
  const auto first = store.choose_id(42);
  REQUIRE(store.grant(first, 1).ok());
  CHECK(store.choose_id(42) != first);
}

TEST_CASE("lease timer: expiry order, renew, remaining, retry") {
  LeaseTimer t;
  const LeaseTimer::TimePoint t0{};
  t.add(1, 10, t0);
  t.add(2, 5, t0);
  t.add(3, 5, t0);
  CHECK(t.expired(t0 + 4s, 1s).empty());
  CHECK(t.remaining_seconds(1, t0 + 2500ms) == 8);  // 7.5 s left, rounded up
  CHECK(*t.next_deadline() == t0 + 5s);

  // Renew extends from now by the TTL.
  CHECK(t.renew(3, t0 + 4s) == 5);
  CHECK(t.expired(t0 + 5s, 1s) == std::vector<std::int64_t>{2});
  // Reported once; a keep-alive can no longer save it; reported again after the retry delay.
  CHECK(t.expired(t0 + 5500ms, 1s).empty());
  CHECK_FALSE(t.renew(2, t0 + 5500ms).has_value());
  CHECK(t.remaining_seconds(2, t0 + 5500ms) == -1);
  CHECK(t.expired(t0 + 6s, 1s) == std::vector<std::int64_t>{2});
  t.remove(2);  // its revoke applied
  CHECK(t.expired(t0 + 9s, 1s) == std::vector<std::int64_t>{3});
  // Same deadline: ascending id.
  t.add(9, 1, t0 + 20s);
  t.add(8, 1, t0 + 20s);
  auto both = t.expired(t0 + 30s, 1s);
  CHECK(both == std::vector<std::int64_t>{1, 3, 8, 9});
  CHECK_FALSE(t.renew(42, t0).has_value());
  CHECK(t.remaining_seconds(42, t0) == -1);
}

TEST_CASE("lease timer: a new leader gives every lease a full TTL") {
  LeaseTimer old_leader;
  const LeaseTimer::TimePoint t0{};
  old_leader.add(1, 10, t0);
  old_leader.add(2, 10, t0);
  CHECK(old_leader.remaining_seconds(1, t0 + 9s) == 1);

  // The new leader takes over at t0 + 9s (1 s before the old deadline): it knows only the
  // replicated (id, TTL) pairs and starts every lease afresh.
  LeaseTimer leader;
  leader.add(99, 1, t0);  // stale state from an earlier term is dropped by promote
  leader.promote({{1, 10}, {2, 10}}, t0 + 9s);
  CHECK(leader.size() == 2);
  CHECK(leader.expired(t0 + 18s, 1s).empty());  // nothing expires early
  CHECK(leader.remaining_seconds(1, t0 + 9s) == 10);
  CHECK(leader.renew(1, t0 + 15s) == 10);
  CHECK(leader.expired(t0 + 19s, 1s) == std::vector<std::int64_t>{2});
  CHECK(leader.expired(t0 + 25s, 1s) ==
        std::vector<std::int64_t>{2, 1});  // 2 again (retry, due at 20 s), then 1
  leader.clear();
  CHECK(leader.size() == 0);
  CHECK_FALSE(leader.next_deadline().has_value());
}
