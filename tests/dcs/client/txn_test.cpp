// The Txn builder: compares and ops land in the right request fields.
#include "dcs/client/txn.hpp"

#include <catch2/catch.hpp>

using namespace ha::dcs;  // NOLINT(google-build-using-namespace)

TEST_CASE("compares carry target, result and value") {
  auto v = compare_value("k", CompareOp::kNotEqual, "me");
  CHECK(v.key() == "k");
  CHECK(v.target() == etcdserverpb::Compare::VALUE);
  CHECK(v.result() == etcdserverpb::Compare::NOT_EQUAL);
  CHECK(v.value() == "me");

  auto ver = compare_version("k", CompareOp::kGreater, 3);
  CHECK(ver.target() == etcdserverpb::Compare::VERSION);
  CHECK(ver.result() == etcdserverpb::Compare::GREATER);
  CHECK(ver.version() == 3);

  auto mod = compare_mod_revision("k", CompareOp::kLess, 9);
  CHECK(mod.target() == etcdserverpb::Compare::MOD);
  CHECK(mod.mod_revision() == 9);

  auto lease = compare_lease("k", CompareOp::kEqual, 0x1234);
  CHECK(lease.target() == etcdserverpb::Compare::LEASE);
  CHECK(lease.lease() == 0x1234);

  auto missing = key_missing("leader");
  CHECK(missing.target() == etcdserverpb::Compare::CREATE);
  CHECK(missing.result() == etcdserverpb::Compare::EQUAL);
  CHECK(missing.create_revision() == 0);
  CHECK(missing.target_union_case() == etcdserverpb::Compare::kCreateRevision);

  auto exists = key_exists("leader");
  CHECK(exists.result() == etcdserverpb::Compare::GREATER);

  auto ranged = over_range(compare_version("a/", CompareOp::kEqual, 0), "a0");
  CHECK(ranged.range_end() == "a0");
}

TEST_CASE("a leader-lock transaction has the compares and both branches") {
  Txn t;
  t.when(key_missing("/service/pg/leader"))
      .then(op_put("/service/pg/leader", "node1", PutOptions{7, false, false, false}))
      .otherwise(op_get("/service/pg/leader"));
  const auto& r = t.request();
  REQUIRE(r.compare_size() == 1);
  REQUIRE(r.success_size() == 1);
  REQUIRE(r.failure_size() == 1);
  CHECK(r.success(0).request_put().lease() == 7);
  CHECK(r.success(0).request_put().value() == "node1");
  CHECK(r.failure(0).request_range().key() == "/service/pg/leader");
  CHECK_FALSE(t.read_only());
}

TEST_CASE("read-only transactions are recognised at every depth") {
  GetOptions prefix;
  prefix.prefix = true;
  Txn reads;
  reads.when(key_exists("a")).then(op_get("a")).otherwise(op_get("b", prefix));
  CHECK(reads.read_only());

  Txn nested_read;
  nested_read.then(op_txn(reads));
  CHECK(nested_read.read_only());

  DeleteOptions del_prefix;
  del_prefix.prefix = true;
  Txn writes;
  writes.then(op_del("a", del_prefix));
  Txn nested_write;
  nested_write.then(op_get("x")).otherwise(op_txn(writes));
  CHECK_FALSE(nested_write.read_only());
  CHECK(writes.request().success(0).request_delete_range().range_end() == "b");
}
