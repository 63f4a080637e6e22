// Client conformance: KV reads and writes, transactions, compaction.
#include <catch2/catch.hpp>

#include "conformance_util.hpp"

namespace ha::test {

using namespace dcs;  // NOLINT(google-build-using-namespace)

void check_kv(const DcsTarget& t) {
  Client c(options_for(t.endpoints));
  const std::string p = t.prefix + "/kv/";

  auto a = c.put(p + "a", "1");
  REQUIRE(a.ok());
  const auto rev_a = a->header().revision();
  CHECK(rev_a > 0);
  REQUIRE(c.put(p + "b", "2").ok());
  REQUIRE(c.put(p + "c", "3").ok());

  auto one = c.get(p + "a");
  REQUIRE(one.ok());
  REQUIRE(one->kvs_size() == 1);
  CHECK(one->kvs(0).value() == "1");
  CHECK(one->kvs(0).version() == 1);
  CHECK(one->kvs(0).create_revision() == rev_a);

  GetOptions prefix;
  prefix.prefix = true;
  auto all = c.get(p, prefix);
  REQUIRE(all.ok());
  REQUIRE(all->kvs_size() == 3);
  CHECK(all->kvs(0).key() == p + "a");
  CHECK(all->kvs(2).key() == p + "c");

  GetOptions limited = prefix;
  limited.limit = 2;
  auto two = c.get(p, limited);
  REQUIRE(two.ok());
  CHECK(two->kvs_size() == 2);
  CHECK(two->more());
  CHECK(two->count() == 3);

  GetOptions count = prefix;
  count.count_only = true;
  auto counted = c.get(p, count);
  REQUIRE(counted.ok());
  CHECK(counted->count() == 3);
  CHECK(counted->kvs_size() == 0);

  GetOptions keys = prefix;
  keys.keys_only = true;
  keys.serializable = true;
  auto names = c.get(p, keys);
  REQUIRE(names.ok());
  REQUIRE(names->kvs_size() == 3);
  CHECK(names->kvs(1).key() == p + "b");
  CHECK(names->kvs(1).value().empty());

  GetOptions ranged;
  ranged.range_end = p + "c";
  auto ab = c.get(p + "a", ranged);
  REQUIRE(ab.ok());
  CHECK(ab->kvs_size() == 2);

  PutOptions prev;
  prev.prev_kv = true;
  auto again = c.put(p + "a", "1b", prev);
  REQUIRE(again.ok());
  CHECK(again->prev_kv().value() == "1");

  GetOptions old;
  old.revision = rev_a;
  auto historic = c.get(p + "a", old);
  REQUIRE(historic.ok());
  REQUIRE(historic->kvs_size() == 1);
  CHECK(historic->kvs(0).value() == "1");

  auto missing = c.get(p + "nope");
  REQUIRE(missing.ok());
  CHECK(missing->kvs_size() == 0);

  DeleteOptions del_prev;
  del_prev.prev_kv = true;
  auto gone = c.del(p + "b", del_prev);
  REQUIRE(gone.ok());
  CHECK(gone->deleted() == 1);
  REQUIRE(gone->prev_kvs_size() == 1);
  CHECK(gone->prev_kvs(0).value() == "2");

  DeleteOptions del_prefix;
  del_prefix.prefix = true;
  auto rest = c.del(p, del_prefix);
  REQUIRE(rest.ok());
  CHECK(rest->deleted() == 2);
  auto none = c.get(p, count);
  REQUIRE(none.ok());
  CHECK(none->count() == 0);

  auto empty_key = c.put("", "x");
  REQUIRE_FALSE(empty_key.ok());
  CHECK(empty_key.error().code == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(empty_key.error().to_string(), Catch::Matchers::Contains("fix the request"));
}

void check_txn_cas(const DcsTarget& t) {
  Client c(options_for(t.endpoints));
  const std::string key = t.prefix + "/txn/leader";

  auto take = [&](const std::string& who) {
    Txn txn;
    txn.when(key_missing(key)).then(op_put(key, who)).otherwise(op_get(key));
    return c.txn(txn);
  };
  auto first = take("node1");
  REQUIRE(first.ok());
  CHECK(first->succeeded());
  auto second = take("node2");
  REQUIRE(second.ok());
  CHECK_FALSE(second->succeeded());
  REQUIRE(second->responses_size() == 1);
  REQUIRE(second->responses(0).response_range().kvs_size() == 1);
  CHECK(second->responses(0).response_range().kvs(0).value() == "node1");

  // The holder refreshes with a compare-and-set; running it twice is harmless, so retry-safe.
  CallOptions safe;
  safe.retry_safe = true;
  Txn refresh;
  refresh.when(value_is(key, "node1")).then(op_put(key, "node1"));
  auto refreshed = c.txn(refresh, safe);
  REQUIRE(refreshed.ok());
  CHECK(refreshed->succeeded());

  Txn usurp;
  usurp.when(value_is(key, "node2")).then(op_put(key, "node2"));
  auto usurped = c.txn(usurp);
  REQUIRE(usurped.ok());
  CHECK_FALSE(usurped->succeeded());

  auto now = c.get(key);
  REQUIRE(now.ok());
  REQUIRE(now->kvs_size() == 1);
  CHECK(now->kvs(0).value() == "node1");
  const auto& kv = now->kvs(0);

  Txn checks;
  checks.when(compare_version(key, CompareOp::kEqual, 2))
      .when(compare_mod_revision(key, CompareOp::kEqual, kv.mod_revision()))
      .when(compare_create_revision(key, CompareOp::kLess, kv.mod_revision()))
      .when(compare_lease(key, CompareOp::kEqual, 0))
      .when(compare_value(key, CompareOp::kNotEqual, "node2"));
  auto all_hold = c.txn(checks);
  REQUIRE(all_hold.ok());
  CHECK(all_hold->succeeded());

  Txn read_only;
  read_only.when(key_exists(key)).then(op_get(key)).otherwise(op_get(key));
  REQUIRE(read_only.read_only());
  auto read = c.txn(read_only);
  REQUIRE(read.ok());
  CHECK(read->succeeded());
  CHECK(read->responses(0).response_range().kvs(0).value() == "node1");
}

void check_compaction(const DcsTarget& t) {
  Client c(options_for(t.endpoints));
  const std::string key = t.prefix + "/compact/k";
  auto v1 = c.put(key, "v1");
  REQUIRE(v1.ok());
  auto v2 = c.put(key, "v2");
  REQUIRE(v2.ok());
  REQUIRE(c.compact(v2->header().revision()).ok());

  GetOptions old;
  old.revision = v1->header().revision();
  auto gone = c.get(key, old);
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().is_compacted());
  CHECK_THAT(gone.error().to_string(), Catch::Matchers::Contains("ask for a newer revision"));

  auto current = c.get(key);
  REQUIRE(current.ok());
  CHECK(current->kvs(0).value() == "v2");
}

}  // namespace ha::test
