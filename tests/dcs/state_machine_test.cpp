// The state machine as Raft drives it: entries (encoded requests, no-ops, membership changes)
// applied in order; deterministic replay (two members, same log, byte-identical snapshots);
// snapshot -> restore -> same state, and both keep agreeing afterwards; bad input.
#include "dcs/state_machine.hpp"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "dcs/key_range.hpp"

using ha::dcs::StateMachine;

namespace {

ha::raft::Entry normal(std::uint64_t index, const ha::dcspb::InternalRequest& r) {
  ha::raft::Entry e;
  e.term = 1;
  e.index = index;
  e.data = r.SerializeAsString();
  return e;
}

ha::raft::Entry conf(std::uint64_t index, ha::raft::ConfChangeType type, std::uint64_t node,
                     const std::string& name = {}, const std::string& peer = {}) {
  ha::raft::ConfChange cc;
  cc.type = type;
  cc.node = node;
  if (!name.empty() || !peer.empty()) {
    ha::dcspb::MemberRecord m;
    m.set_id(node);
    m.set_name(name);
    if (!peer.empty()) m.add_peer_urls(peer);
    cc.context = m.SerializeAsString();
  }
  ha::raft::Entry e;
  e.term = 1;
  e.index = index;
  e.type = ha::raft::EntryType::kConfChange;
  e.data = ha::raft::encode_conf_change(cc);
  return e;
}

// A random but valid-looking log: puts (some leased), deletes, txns, lease grants, revokes and
// expiries, compactions, member changes, no-ops, and some requests that fail.
std::vector<ha::raft::Entry> random_log(std::uint64_t seed, std::size_t n) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int k) { return static_cast<int>(rng() % static_cast<std::uint64_t>(k)); };
  auto key = [&] { return "/k/" + std::string(1, "abcdef"[pick(6)]); };
  std::vector<ha::raft::Entry> log;
  std::int64_t approx_rev = 1;
  for (std::uint64_t i = 1; i <= n; ++i) {
    ha::dcspb::InternalRequest r;
    r.set_id(i * 10);
    r.set_proposer(1 + static_cast<std::uint64_t>(pick(3)));
    const int what = pick(100);
    if (what < 35) {
      auto* p = r.mutable_put();
      p->set_key(key());
      p->set_value(std::string(static_cast<std::size_t>(pick(20)), 'v'));
      if (pick(3) == 0) p->set_lease(1 + pick(4));
      ++approx_rev;
    } else if (what < 45) {
      r.mutable_delete_range()->set_key(key());
      if (pick(2) == 0) r.mutable_delete_range()->set_range_end(ha::dcs::prefix_end("/k/"));
    } else if (what < 60) {
      auto* t = r.mutable_txn();
      auto* c = t->add_compare();
      c->set_key(key());
      c->set_target(etcdserverpb::Compare::VERSION);
      c->set_result(static_cast<etcdserverpb::Compare::CompareResult>(pick(4)));
      c->set_version(pick(3));
      auto* put = t->add_success()->mutable_request_put();
      put->set_key(key());
      put->set_value("t");
      t->add_failure()->mutable_request_delete_range()->set_key(key());
      t->add_failure()->mutable_request_range()->set_key(key());
    } else if (what < 68) {
      r.mutable_lease_grant()->set_id(pick(4) == 0 ? 0 : 1 + pick(4));
      r.mutable_lease_grant()->set_ttl(5 + pick(10));
    } else if (what < 74) {
      r.mutable_lease_revoke()->set_id(1 + pick(4));
    } else if (what < 78) {
      r.mutable_lease_expire()->set_id(1 + pick(4));
    } else if (what < 82) {
      r.mutable_compaction()->set_revision(std::max<std::int64_t>(1, approx_rev - pick(10)));
    } else if (what < 86) {
      log.push_back(conf(i, static_cast<ha::raft::ConfChangeType>(pick(3)),
                         1 + static_cast<std::uint64_t>(pick(5)), "m" + std::to_string(pick(5)),
                         "http://10.0.0." + std::to_string(pick(5)) + ":2380"));
      continue;
    } else if (what < 90) {
      auto* m = r.mutable_member_attributes();
      m->set_id(1 + static_cast<std::uint64_t>(pick(5)));
      m->set_name("n" + std::to_string(pick(9)));
      m->add_client_urls("http://c:" + std::to_string(pick(9)));
    } else if (what < 93) {
      // A leader's no-op: an empty entry.
      ha::raft::Entry e;
      e.term = 2;
      e.index = i;
      log.push_back(e);
      continue;
    } else {
      r.mutable_put()->set_key("");  // fails: key is not provided
    }
    log.push_back(normal(i, r));
  }
  return log;
}

}  // namespace

TEST_CASE("two members applying the same log end byte-identical") {
  const auto log = random_log(11, 3000);
  StateMachine a, b;
  std::size_t failures = 0, events = 0;
  for (const auto& e : log) {
    auto ra = a.apply_entry(e);
    auto rb = b.apply_entry(e);
    REQUIRE(ra.applied);
    REQUIRE(ra.revision == rb.revision);
    REQUIRE(ra.status.ok() == rb.status.ok());
    REQUIRE(ra.events.size() == rb.events.size());
    if (!ra.status.ok()) ++failures;
    events += ra.events.size();
  }
  CHECK(failures > 50);  // the log did exercise error paths
  CHECK(events > 500);
  CHECK(a.applied_index() == 3000);
  const auto snap = a.snapshot();
  CHECK(snap == b.snapshot());
  CHECK(a.kv().hash(0).value() == b.kv().hash(0).value());
  CHECK(a.members().size() > 0);

  // A third member gets there by snapshot halfway, then applies the rest of the log.
  StateMachine a2, c;
  for (std::size_t i = 0; i < 1500; ++i) (void)a2.apply_entry(log[i]);
  REQUIRE(c.restore(a2.snapshot()).ok());
  CHECK(c.applied_index() == 1500);
  CHECK(c.snapshot() == a2.snapshot());
  for (const auto& e : log) (void)c.apply_entry(e);  // entries at or below 1500 are skipped
  CHECK(c.snapshot() == snap);
  CHECK(c.kv().hash(0).value() == a.kv().hash(0).value());
}

TEST_CASE("snapshot then restore gives the same state, history and leases") {
  const auto log = random_log(5, 800);
  StateMachine a;
  for (const auto& e : log) (void)a.apply_entry(e);
  StateMachine b;
  REQUIRE(b.restore(a.snapshot()).ok());
  CHECK(b.revision() == a.revision());
  CHECK(b.kv().compact_revision() == a.kv().compact_revision());
  CHECK(b.kv().live_keys() == a.kv().live_keys());
  CHECK(b.kv().stored_bytes() == a.kv().stored_bytes());
  CHECK(b.leases().ShortDebugString() == a.leases().ShortDebugString());
  CHECK(b.member_list().ShortDebugString() == a.member_list().ShortDebugString());
  for (auto id : a.lease_store().ids())
    CHECK(b.lease_time_to_live(id, true).value().ShortDebugString() ==
          a.lease_time_to_live(id, true).value().ShortDebugString());
  // The same history for watchers.
  auto dump = [](const StateMachine& sm) {
    std::vector<std::string> out;
    REQUIRE(sm.kv()
                .replay(sm.kv().compact_revision(),
                        ha::dcs::KeyRange(std::string(1, '\0'), std::string(1, '\0')),
                        [&](const mvccpb::Event& ev) { out.push_back(ev.ShortDebugString()); })
                .ok());
    return out;
  };
  CHECK(dump(b) == dump(a));
  // And the two keep agreeing.
  const auto more = random_log(6, 1200);
  for (std::size_t i = 800; i < more.size(); ++i) {
    auto ra = a.apply_entry(more[i]);
    auto rb = b.apply_entry(more[i]);
    REQUIRE(ra.revision == rb.revision);
  }
  CHECK(a.snapshot() == b.snapshot());
}

TEST_CASE("entries: idempotent by index, no-ops, undecodable data") {
  StateMachine sm;
  ha::dcspb::InternalRequest put;
  put.set_id(77);
  put.set_proposer(3);
  put.mutable_put()->set_key("k");
  put.mutable_put()->set_value("v");
  auto r = sm.apply_entry(normal(1, put));
  REQUIRE(r.applied);
  CHECK(r.request_id == 77);
  CHECK(r.proposer == 3);
  CHECK(r.revision == 2);
  CHECK(std::get<etcdserverpb::PutResponse>(r.response).header().revision() == 2);
  CHECK_FALSE(sm.apply_entry(normal(1, put)).applied);  // replayed after a restart: skipped
  CHECK(sm.revision() == 2);

  ha::raft::Entry noop;
  noop.index = 2;
  auto n = sm.apply_entry(noop);
  CHECK(n.applied);
  CHECK(std::holds_alternative<std::monostate>(n.response));
  CHECK(sm.applied_index() == 2);

  ha::raft::Entry junk;
  junk.index = 3;
  junk.data = "\xff\xff\xff";
  auto j = sm.apply_entry(junk);
  CHECK(j.applied);
  REQUIRE_FALSE(j.status.ok());
  CHECK(sm.applied_index() == 3);
  CHECK(sm.revision() == 2);

  CHECK_FALSE(sm.restore("not a snapshot").ok());
  CHECK(sm.revision() == 2);  // unchanged
  ha::dcspb::StateMachineSnapshot bad;
  bad.set_format(1);
  bad.set_revision(1);
  bad.set_compact_revision(5);
  CHECK_FALSE(sm.restore(bad.SerializeAsString()).ok());
  CHECK(sm.applied_index() == 3);
}

TEST_CASE("membership changes keep the member table in step with Raft") {
  StateMachine sm;
  std::uint64_t i = 0;
  auto add =
      sm.apply_entry(conf(++i, ha::raft::ConfChangeType::kAddVoter, 1, "n1", "http://a:2380"));
  REQUIRE(std::holds_alternative<etcdserverpb::MemberAddResponse>(add.response));
  (void)sm.apply_entry(conf(++i, ha::raft::ConfChangeType::kAddVoter, 2, "n2", "http://b:2380"));
  auto learner =
      sm.apply_entry(conf(++i, ha::raft::ConfChangeType::kAddLearner, 4, "", "http://d:2380"));
  const auto& added = std::get<etcdserverpb::MemberAddResponse>(learner.response);
  CHECK(added.member().id() == 4);
  CHECK(added.member().islearner());
  CHECK(added.members_size() == 3);
  CHECK(added.member().name().empty());  // not started yet

  // Checks for proposers: the errors etcd gives.
  ha::dcspb::MemberRecord clash;
  clash.set_id(9);
  clash.add_peer_urls("http://a:2380");
  CHECK(sm.members().check_add(clash).error().message == "etcdserver: Peer URLs already exists");
  clash.set_id(1);
  CHECK(sm.members().check_add(clash).error().message == "etcdserver: member ID already exist");
  CHECK(sm.members().check_promote(2).error().message ==
        "etcdserver: can only promote a learner member");
  CHECK(sm.members().check_promote(8).error().message == "etcdserver: member not found");
  CHECK(sm.members().check_promote(4).ok());

  // The learner starts and publishes its name and client URLs, then is promoted.
  ha::dcspb::InternalRequest attrs;
  attrs.mutable_member_attributes()->set_id(4);
  attrs.mutable_member_attributes()->set_name("n4");
  attrs.mutable_member_attributes()->add_client_urls("http://d:2379");
  (void)sm.apply_entry(normal(++i, attrs));
  auto promoted = sm.apply_entry(conf(++i, ha::raft::ConfChangeType::kAddVoter, 4));
  REQUIRE(std::holds_alternative<etcdserverpb::MemberPromoteResponse>(promoted.response));
  const auto* m4 = sm.members().find(4);
  REQUIRE(m4 != nullptr);
  CHECK_FALSE(m4->is_learner());
  CHECK(m4->name() == "n4");
  CHECK(m4->client_urls(0) == "http://d:2379");
  CHECK(m4->peer_urls(0) == "http://d:2380");  // kept through the promotion

  ha::dcspb::InternalRequest move;
  move.mutable_member_update()->set_id(2);
  move.mutable_member_update()->add_peerurls("http://a:2380");
  CHECK_FALSE(sm.apply_entry(normal(++i, move)).status.ok());  // taken by member 1
  move.mutable_member_update()->set_peerurls(0, "http://bb:2380");
  CHECK(sm.apply_entry(normal(++i, move)).status.ok());
  CHECK(sm.members().find(2)->peer_urls(0) == "http://bb:2380");

  auto removed = sm.apply_entry(conf(++i, ha::raft::ConfChangeType::kRemoveNode, 2));
  CHECK(std::get<etcdserverpb::MemberRemoveResponse>(removed.response).members_size() == 2);
  auto list = sm.member_list();
  REQUIRE(list.members_size() == 2);
  CHECK(list.members(0).id() == 1);
  CHECK(list.members(1).id() == 4);
  CHECK(sm.applied_index() == i);
}

TEST_CASE(
    "a snapshot encoded in steps while entries are applied equals the one taken at its start") {
  const auto log = random_log(11, 3000);
  StateMachine sm;
  std::size_t next = 0;
  int finished = 0, given_up = 0;
  while (next < log.size()) {
    for (std::size_t k = 0; k < 37 && next < log.size(); ++k) (void)sm.apply_entry(log[next++]);
    const std::string expected = sm.snapshot();
    const std::uint64_t generation = sm.kv().generation();
    auto job = sm.begin_snapshot();
    bool valid = true;
    // One key per step, with entries applied between the steps.
    while (!job.done) {
      if (!sm.continue_snapshot(job, 1)) {
        valid = false;
        break;
      }
      if (next < log.size()) (void)sm.apply_entry(log[next++]);
    }
    if (valid) {
      REQUIRE(job.data == expected);
      ++finished;
    } else {
      CHECK(sm.kv().generation() != generation);  // only a compaction invalidates it
      ++given_up;
    }
  }
  CHECK(finished > 20);
  CHECK(given_up > 0);

  // Many keys, several per step; the steps' output restores to the same state.
  StateMachine big;
  std::uint64_t index = 1;
  for (int i = 0; i < 2000; ++i) {
    ha::dcspb::InternalRequest r;
    r.mutable_put()->set_key("/big/" + std::to_string(i * 7919 % 2000));
    r.mutable_put()->set_value(std::string(static_cast<std::size_t>(i % 300), 'v'));
    (void)big.apply_entry(normal(index++, r));
  }
  const std::string expected = big.snapshot();
  auto job = big.begin_snapshot();
  while (!job.done) {
    REQUIRE(big.continue_snapshot(job, 64));
    ha::dcspb::InternalRequest r;
    r.mutable_put()->set_key("/big/" + std::to_string(index % 2500));
    r.mutable_put()->set_value("later");
    (void)big.apply_entry(normal(index++, r));
  }
  CHECK(job.data == expected);
  StateMachine restored;
  REQUIRE(restored.restore(job.data).ok());
  CHECK(restored.snapshot() == expected);
}
