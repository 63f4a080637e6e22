// Txn semantics case by case: each compare target with each result, missing keys, range
// compares, the duplicate-key rule (flat and nested), op limits, nested txns, one revision per
// txn with sub-ordered events, all-or-nothing on errors; plus the key range conventions and
// the request checks (sizes, required fields, lease TTL bounds).
#include <catch2/catch.hpp>
#include <string>

#include "dcs/key_range.hpp"
#include "dcs/kv_store.hpp"
#include "dcs/request_checks.hpp"
#include "dcs/txn_compare.hpp"
#include "dcs/txn_conflicts.hpp"

using etcdserverpb::Compare;
using ha::dcs::KeyRange;
using ha::dcs::KvStore;
using ha::dcs::Limits;

namespace {

class OneLease : public ha::dcs::LeaseAttachments {
 public:
  bool lease_exists(std::int64_t id) const override { return id == 7; }
  void attach(std::int64_t, const std::string&) override {}
  void detach(std::int64_t, const std::string&) override {}
};

struct Fixture {
  OneLease leases;
  KvStore kv{&leases};
  KvStore::Events events;

  void put(const std::string& k, const std::string& v, std::int64_t lease = 0) {
    etcdserverpb::PutRequest p;
    p.set_key(k);
    p.set_value(v);
    p.set_lease(lease);
    REQUIRE(kv.put(p, events).ok());
  }
};

Compare cmp(const std::string& key, Compare::CompareTarget t, Compare::CompareResult r) {
  Compare c;
  c.set_key(key);
  c.set_target(t);
  c.set_result(r);
  return c;
}

etcdserverpb::RequestOp put_op(const std::string& k, const std::string& v) {
  etcdserverpb::RequestOp op;
  op.mutable_request_put()->set_key(k);
  op.mutable_request_put()->set_value(v);
  return op;
}

etcdserverpb::RequestOp del_op(const std::string& k, const std::string& end = {}) {
  etcdserverpb::RequestOp op;
  op.mutable_request_delete_range()->set_key(k);
  op.mutable_request_delete_range()->set_range_end(end);
  return op;
}

etcdserverpb::RequestOp get_op(const std::string& k) {
  etcdserverpb::RequestOp op;
  op.mutable_request_range()->set_key(k);
  return op;
}

mvccpb::KeyValue kv_of(std::int64_t create, std::int64_t mod, std::int64_t version,
                       std::int64_t lease, const std::string& value) {
  mvccpb::KeyValue kv;
  kv.set_key("k");
  kv.set_create_revision(create);
  kv.set_mod_revision(mod);
  kv.set_version(version);
  kv.set_lease(lease);
  kv.set_value(value);
  return kv;
}

}  // namespace

TEST_CASE("each compare target with each result") {
  const auto kv = kv_of(5, 9, 3, 7, "m");
  struct Case {
    Compare::CompareTarget target;
    std::int64_t below, equal, above;  // numeric targets
  };
  for (const auto& c : {Case{Compare::VERSION, 2, 3, 4}, Case{Compare::CREATE, 4, 5, 6},
                        Case{Compare::MOD, 8, 9, 10}, Case{Compare::LEASE, 6, 7, 8}}) {
    INFO("target " << Compare::CompareTarget_Name(c.target));
    auto with = [&](Compare::CompareResult r, std::int64_t v) {
      Compare x = cmp("k", c.target, r);
      switch (c.target) {
        case Compare::VERSION: x.set_version(v); break;
        case Compare::CREATE: x.set_create_revision(v); break;
        case Compare::MOD: x.set_mod_revision(v); break;
        default: x.set_lease(v); break;
      }
      return ha::dcs::compare_holds(x, kv);
    };
    CHECK(with(Compare::EQUAL, c.equal));
    CHECK_FALSE(with(Compare::EQUAL, c.below));
    CHECK(with(Compare::NOT_EQUAL, c.above));
    CHECK_FALSE(with(Compare::NOT_EQUAL, c.equal));
    CHECK(with(Compare::GREATER, c.below));  // the key's value is greater than the given one
    CHECK_FALSE(with(Compare::GREATER, c.equal));
    CHECK(with(Compare::LESS, c.above));
    CHECK_FALSE(with(Compare::LESS, c.equal));
  }
  auto value = [&](Compare::CompareResult r, const std::string& v) {
    Compare x = cmp("k", Compare::VALUE, r);
    x.set_value(v);
    return ha::dcs::compare_holds(x, kv);
  };
  CHECK(value(Compare::EQUAL, "m"));
  CHECK_FALSE(value(Compare::EQUAL, "n"));
  CHECK(value(Compare::NOT_EQUAL, "n"));
  CHECK(value(Compare::GREATER, "a"));  // bytewise: "m" > "a"
  CHECK(value(Compare::LESS, "z"));
  CHECK(value(Compare::LESS, "mm"));  // a prefix is smaller
  CHECK(value(Compare::GREATER, ""));
  // Values compare as unsigned bytes.
  Compare hi = cmp("k", Compare::VALUE, Compare::GREATER);
  hi.set_value("\x7f");
  CHECK(ha::dcs::compare_holds(hi, kv_of(1, 1, 1, 0, "\x80")));
  // The target decides which union member is read; an unset one reads as zero.
  Compare unset = cmp("k", Compare::VERSION, Compare::EQUAL);
  unset.set_mod_revision(3);
  CHECK_FALSE(ha::dcs::compare_holds(unset, kv));  // version 3 != 0
  CHECK(ha::dcs::compare_holds(unset, mvccpb::KeyValue{}));
}

TEST_CASE("compares on missing keys and on ranges, in a txn") {
  Fixture f;
  auto run = [&](const Compare& c) {
    etcdserverpb::TxnRequest t;
    *t.add_compare() = c;
    auto r = f.kv.txn(t, f.events);
    REQUIRE(r.ok());
    return r.value().succeeded();
  };
  // "Create only if absent": version == 0 and create_revision == 0 hold for a missing key.
  Compare absent = cmp("lock", Compare::VERSION, Compare::EQUAL);
  absent.set_version(0);
  CHECK(run(absent));
  Compare created = cmp("lock", Compare::CREATE, Compare::EQUAL);
  created.set_create_revision(0);
  CHECK(run(created));
  // Any value compare on a missing key fails, even NOT_EQUAL and an empty value.
  Compare v = cmp("lock", Compare::VALUE, Compare::EQUAL);
  v.set_value("");
  CHECK_FALSE(run(v));
  v.set_result(Compare::NOT_EQUAL);
  v.set_value("x");
  CHECK_FALSE(run(v));

  f.put("a/1", "x");
  f.put("a/2", "x");
  f.put("a/3", "y");
  Compare rng = cmp("a/", Compare::VALUE, Compare::EQUAL);
  rng.set_range_end(ha::dcs::prefix_end("a/"));
  rng.set_value("x");
  CHECK_FALSE(run(rng));  // a/3 differs: a range compare must hold for every key
  rng.set_range_end("a/3");
  CHECK(run(rng));
  Compare none = cmp("b/", Compare::VERSION, Compare::EQUAL);
  none.set_range_end(ha::dcs::prefix_end("b/"));
  none.set_version(0);
  CHECK(run(none));  // no key in the range: compares against zero
  Compare none_value = cmp("b/", Compare::VALUE, Compare::EQUAL);
  none_value.set_range_end(ha::dcs::prefix_end("b/"));
  CHECK_FALSE(run(none_value));
  // Several compares are a conjunction.
  etcdserverpb::TxnRequest both;
  *both.add_compare() = absent;
  *both.add_compare() = v;
  REQUIRE(f.kv.txn(both, f.events).ok());
  CHECK_FALSE(f.kv.txn(both, f.events).value().succeeded());
}

TEST_CASE("the leader-lock txn: create if absent, refresh if still mine") {
  Fixture f;
  auto acquire = [&](const std::string& me) {
    etcdserverpb::TxnRequest t;
    Compare c = cmp("leader", Compare::CREATE, Compare::EQUAL);
    c.set_create_revision(0);
    *t.add_compare() = c;
    *t.add_success() = put_op("leader", me);
    *t.add_failure() = get_op("leader");
    auto r = f.kv.txn(t, f.events);
    REQUIRE(r.ok());
    return r.value();
  };
  auto first = acquire("node1");
  CHECK(first.succeeded());
  const auto rev = first.header().revision();
  auto second = acquire("node2");
  CHECK_FALSE(second.succeeded());
  REQUIRE(second.responses_size() == 1);
  CHECK(second.responses(0).response_range().kvs(0).value() == "node1");
  CHECK(f.kv.revision() == rev);  // a txn that wrote nothing does not bump the revision

  etcdserverpb::TxnRequest refresh;
  Compare mine = cmp("leader", Compare::VALUE, Compare::EQUAL);
  mine.set_value("node1");
  *refresh.add_compare() = mine;
  *refresh.add_success() = put_op("leader", "node1");
  auto r = f.kv.txn(refresh, f.events);
  REQUIRE(r.ok());
  CHECK(r.value().succeeded());
  CHECK(f.kv.revision() == rev + 1);
}

TEST_CASE("a txn writes at one revision with ordered events, and reads its own writes") {
  Fixture f;
  f.put("x", "0");
  f.put("y", "0");
  f.events.clear();
  const auto before = f.kv.revision();
  etcdserverpb::TxnRequest t;
  *t.add_success() = put_op("a", "1");
  *t.add_success() = del_op("x");
  *t.add_success() = get_op("a");
  *t.add_success() = put_op("b", "2");
  *t.add_success() = del_op("y", "z");  // [y, z): y
  auto r = f.kv.txn(t, f.events);
  REQUIRE(r.ok());
  CHECK(f.kv.revision() == before + 1);
  REQUIRE(f.events.size() == 4);
  CHECK(f.events[0].kv().key() == "a");
  CHECK(f.events[1].kv().key() == "x");
  CHECK(f.events[1].type() == mvccpb::Event::DELETE);
  CHECK(f.events[2].kv().key() == "b");
  CHECK(f.events[3].kv().key() == "y");
  for (const auto& ev : f.events) CHECK(ev.kv().mod_revision() == before + 1);
  // The range in the middle saw the put before it.
  REQUIRE(r.value().responses(2).response_range().kvs_size() == 1);
  CHECK(r.value().responses(2).response_range().kvs(0).value() == "1");
  CHECK(r.value().responses(2).response_range().header().revision() == before + 1);
}

TEST_CASE("duplicate keys in a txn are refused, by etcd's rules") {
  auto dup = [](const etcdserverpb::TxnRequest& t) {
    return !ha::dcs::check_txn_conflicts(t).ok();
  };
  etcdserverpb::TxnRequest t;
  *t.add_success() = put_op("a", "1");
  *t.add_success() = put_op("a", "2");
  CHECK(dup(t));

  etcdserverpb::TxnRequest put_then_delete;
  *put_then_delete.add_success() = put_op("a/1", "1");
  *put_then_delete.add_success() = del_op("a/", ha::dcs::prefix_end("a/"));
  CHECK(dup(put_then_delete));

  etcdserverpb::TxnRequest two_deletes;
  *two_deletes.add_success() = del_op("a", "c");
  *two_deletes.add_success() = del_op("b", "d");
  CHECK_FALSE(dup(two_deletes));  // deletes may overlap

  etcdserverpb::TxnRequest branches;  // success and failure are alternatives
  *branches.add_success() = put_op("a", "1");
  *branches.add_failure() = put_op("a", "2");
  CHECK_FALSE(dup(branches));

  etcdserverpb::TxnRequest nested;
  *nested.add_success() = put_op("a", "1");
  auto* inner = nested.add_success()->mutable_request_txn();
  *inner->add_failure() = put_op("a", "2");
  CHECK(dup(nested));  // the inner failure branch may run after the outer put

  etcdserverpb::TxnRequest nested_alternatives;
  auto* in2 = nested_alternatives.add_success()->mutable_request_txn();
  *in2->add_success() = put_op("a", "1");
  *in2->add_failure() = put_op("a", "2");
  CHECK_FALSE(dup(nested_alternatives));

  etcdserverpb::TxnRequest nested_delete_after;  // order does not matter
  auto* in3 = nested_delete_after.add_success()->mutable_request_txn();
  *in3->add_success() = put_op("k", "1");
  *nested_delete_after.add_success() = del_op("k");
  CHECK(dup(nested_delete_after));

  // Through the store: the error text etcd clients recognise, and nothing written.
  Fixture f;
  const auto rev = f.kv.revision();
  auto r = f.kv.txn(t, f.events);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "etcdserver: duplicate key given in txn request");
  CHECK(r.error().code == ha::dcs::ErrorCode::kInvalidArgument);
  CHECK(f.kv.revision() == rev);
}

TEST_CASE("a failing op fails the whole txn and writes nothing") {
  Fixture f;
  f.put("a", "0");
  const auto rev = f.kv.revision();
  etcdserverpb::TxnRequest t;
  *t.add_success() = put_op("b", "1");
  auto* bad = t.add_success()->mutable_request_put();
  bad->set_key("c");
  bad->set_lease(99);  // no such lease
  auto r = f.kv.txn(t, f.events);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "etcdserver: requested lease not found");
  CHECK(r.error().code == ha::dcs::ErrorCode::kNotFound);
  CHECK(f.kv.revision() == rev);
  mvccpb::KeyValue out;
  CHECK(f.kv.get("b", out) == nullptr);

  // The same bad op on the branch that does not run is fine (etcd checks the chosen branch).
  etcdserverpb::TxnRequest other;
  *other.add_failure() = t.success(1);
  *other.add_success() = put_op("b", "1");
  CHECK(f.kv.txn(other, f.events).ok());

  // A range at a future revision inside a txn.
  etcdserverpb::TxnRequest future;
  auto* g = future.add_success()->mutable_request_range();
  g->set_key("a");
  g->set_revision(f.kv.revision() + 1);
  auto fr = f.kv.txn(future, f.events);
  REQUIRE_FALSE(fr.ok());
  CHECK(fr.error().message == "etcdserver: mvcc: required revision is a future revision");
}

TEST_CASE("nested txns run their own compares against the txn's writes so far") {
  Fixture f;
  etcdserverpb::TxnRequest t;
  *t.add_success() = put_op("a", "1");
  auto* inner = t.add_success()->mutable_request_txn();
  Compare seen = cmp("a", Compare::VALUE, Compare::EQUAL);
  seen.set_value("1");
  *inner->add_compare() = seen;
  *inner->add_success() = put_op("b", "inner-success");
  *inner->add_failure() = put_op("c", "inner-failure");
  auto r = f.kv.txn(t, f.events);
  REQUIRE(r.ok());
  REQUIRE(r.value().responses_size() == 2);
  const auto& nested = r.value().responses(1).response_txn();
  CHECK(nested.succeeded());
  CHECK(nested.header().revision() == f.kv.revision());
  mvccpb::KeyValue out;
  CHECK(f.kv.get("b", out) != nullptr);
  CHECK(f.kv.get("c", out) == nullptr);
  CHECK(f.kv.get("b", out)->mod_revision() == f.kv.get("a", out)->mod_revision());
}

TEST_CASE("put flags: prev_kv, ignore_value, ignore_lease and their errors") {
  Fixture f;
  etcdserverpb::PutRequest p;
  p.set_key("k");
  p.set_value("v1");
  p.set_lease(7);
  REQUIRE(f.kv.put(p, f.events).ok());

  etcdserverpb::PutRequest keep;
  keep.set_key("k");
  keep.set_ignore_value(true);
  keep.set_ignore_lease(true);
  keep.set_prev_kv(true);
  auto r = f.kv.put(keep, f.events);
  REQUIRE(r.ok());
  CHECK(r.value().prev_kv().value() == "v1");
  mvccpb::KeyValue out;
  REQUIRE(f.kv.get("k", out) != nullptr);
  CHECK(out.value() == "v1");
  CHECK(out.lease() == 7);
  CHECK(out.version() == 2);

  etcdserverpb::PutRequest drop_lease;  // a put without lease detaches it
  drop_lease.set_key("k");
  drop_lease.set_ignore_value(true);
  REQUIRE(f.kv.put(drop_lease, f.events).ok());
  CHECK(f.kv.get("k", out)->lease() == 0);

  etcdserverpb::PutRequest bad = keep;
  bad.set_value("x");
  CHECK(f.kv.put(bad, f.events).error().message == "etcdserver: value is provided");
  bad = keep;
  bad.set_lease(7);
  CHECK(f.kv.put(bad, f.events).error().message == "etcdserver: lease is provided");
  bad = keep;
  bad.set_key("missing");
  CHECK(f.kv.put(bad, f.events).error().message == "etcdserver: key not found");
  bad = keep;
  bad.set_key("");
  CHECK(f.kv.put(bad, f.events).error().message == "etcdserver: key is not provided");
}

TEST_CASE("key range conventions") {
  CHECK(KeyRange::single("a").contains("a"));
  CHECK_FALSE(KeyRange::single("a").contains("ab"));
  const KeyRange from("b", std::string(1, '\0'));
  CHECK(from.unbounded());
  CHECK(from.contains("b"));
  CHECK(from.contains("\xff\xff"));
  CHECK_FALSE(from.contains("a"));
  const KeyRange half("b", "d");
  CHECK(half.contains("c"));
  CHECK_FALSE(half.contains("d"));
  CHECK(KeyRange("d", "b").empty());
  CHECK(ha::dcs::prefix_end("a/") == "a0");
  CHECK(ha::dcs::prefix_end("a\xff") == "b");
  CHECK(ha::dcs::prefix_end("\xff\xff").empty());
  CHECK(KeyRange::prefix("\xff").unbounded());
  CHECK(KeyRange::prefix("a/").contains("a/x"));
  CHECK_FALSE(KeyRange::prefix("a/").contains("a0"));
  CHECK(half.overlaps(KeyRange::single("c")));
  CHECK_FALSE(half.overlaps(KeyRange("d", "e")));
  CHECK(half.overlaps(KeyRange("a", std::string(1, '\0'))));
}

TEST_CASE("request checks: sizes, op counts and lease TTL bounds") {
  Limits l;
  l.max_key_bytes = 4;
  l.max_value_bytes = 8;
  l.max_txn_ops = 2;
  l.min_lease_ttl = 3;
  l.max_lease_ttl = 100;
  etcdserverpb::PutRequest p;
  p.set_key("12345");
  auto s = ha::dcs::check_put(p, l);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find("key is too large: 5 bytes, the limit is 4") != std::string::npos);
  p.set_key("k");
  p.set_value("123456789");
  s = ha::dcs::check_put(p, l);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find("value is too large") != std::string::npos);
  CHECK(ha::dcs::check_request_size(2'000'000, Limits{}).error().message ==
        "etcdserver: request is too large");

  etcdserverpb::TxnRequest t;
  for (int i = 0; i < 3; ++i) *t.add_success() = put_op("k" + std::to_string(i), "v");
  CHECK(ha::dcs::check_txn(t, l).error().message ==
        "etcdserver: too many operations in txn request");
  etcdserverpb::TxnRequest nested;  // nested lists are limited too
  *nested.add_success()->mutable_request_txn() = t;
  CHECK(ha::dcs::check_txn(nested, l).error().message ==
        "etcdserver: too many operations in txn request");
  CHECK(ha::dcs::check_txn(t, Limits::structural_only()).ok());
  etcdserverpb::TxnRequest empty_op;
  empty_op.add_success();
  CHECK_FALSE(ha::dcs::check_txn(empty_op, l).ok());

  etcdserverpb::LeaseGrantRequest g;
  g.set_ttl(2);
  s = ha::dcs::check_lease_grant(g, l);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find("lease TTL 2s is below the minimum of 3s") != std::string::npos);
  g.set_ttl(101);
  CHECK(ha::dcs::check_lease_grant(g, l).error().message == "etcdserver: too large lease TTL");
  g.set_ttl(3);
  CHECK(ha::dcs::check_lease_grant(g, l).ok());
  CHECK(ha::dcs::min_lease_ttl_for(1000) == 2);
  CHECK(ha::dcs::min_lease_ttl_for(100) == 1);
  CHECK(ha::dcs::min_lease_ttl_for(5000) == 8);

  etcdserverpb::RangeRequest r;
  CHECK(ha::dcs::check_range(r, l).error().message == "etcdserver: key is not provided");
}

TEST_CASE("range: limit, more, count, sorting, keys_only, count_only, revision filters") {
  Fixture f;
  f.put("a", "3");
  f.put("b", "1");
  f.put("c", "2");
  f.put("b", "1b");
  etcdserverpb::RangeRequest r;
  r.set_key("a");
  r.set_range_end(std::string(1, '\0'));
  r.set_limit(2);
  auto got = f.kv.range(r).value();
  CHECK(got.count() == 3);
  CHECK(got.more());
  REQUIRE(got.kvs_size() == 2);
  CHECK(got.kvs(0).key() == "a");

  r.set_limit(0);
  r.set_sort_order(etcdserverpb::RangeRequest::DESCEND);
  r.set_sort_target(etcdserverpb::RangeRequest::MOD);
  got = f.kv.range(r).value();
  REQUIRE(got.kvs_size() == 3);
  CHECK(got.kvs(0).key() == "b");
  CHECK(got.kvs(1).key() == "c");

  r.set_sort_order(etcdserverpb::RangeRequest::NONE);  // a non-key target alone sorts ascending
  r.set_sort_target(etcdserverpb::RangeRequest::VALUE);
  r.set_keys_only(true);
  got = f.kv.range(r).value();
  REQUIRE(got.kvs_size() == 3);
  CHECK(got.kvs(0).key() == "b");
  CHECK(got.kvs(2).key() == "a");
  CHECK(got.kvs(0).value().empty());

  etcdserverpb::RangeRequest c;
  c.set_key("a");
  c.set_range_end("c");
  c.set_count_only(true);
  got = f.kv.range(c).value();
  CHECK(got.count() == 2);
  CHECK(got.kvs_size() == 0);

  etcdserverpb::RangeRequest m;
  m.set_key("a");
  m.set_range_end(std::string(1, '\0'));
  m.set_min_mod_revision(4);
  got = f.kv.range(m).value();
  CHECK(got.count() == 3);  // count ignores the filters, as in etcd
  REQUIRE(got.kvs_size() == 2);
  m.clear_min_mod_revision();
  m.set_max_create_revision(2);
  got = f.kv.range(m).value();
  REQUIRE(got.kvs_size() == 1);
  CHECK(got.kvs(0).key() == "a");
}
