#include "dcs/client/txn.hpp"

namespace ha::dcs {

namespace {

etcdserverpb::Compare base(std::string_view key, CompareOp op, etcdserverpb::Compare::CompareTarget target) {
  etcdserverpb::Compare c;
  c.set_key(std::string(key));
  c.set_target(target);
  switch (op) {
    case CompareOp::kEqual: c.set_result(etcdserverpb::Compare::EQUAL); break;
    case CompareOp::kNotEqual: c.set_result(etcdserverpb::Compare::NOT_EQUAL); break;
    case CompareOp::kGreater: c.set_result(etcdserverpb::Compare::GREATER); break;
    case CompareOp::kLess: c.set_result(etcdserverpb::Compare::LESS); break;
  }
  return c;
}

bool ops_read_only(const google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>& ops) {
  for (const auto& op : ops) {
    if (op.has_request_range()) continue;
    if (op.has_request_txn() && is_read_only(op.request_txn())) continue;
    return false;
  }
  return true;
}

}  // namespace

etcdserverpb::Compare compare_value(std::string_view key, CompareOp op, std::string_view value) {
  auto c = base(key, op, etcdserverpb::Compare::VALUE);
  c.set_value(std::string(value));
  return c;
}

etcdserverpb::Compare compare_version(std::string_view key, CompareOp op, std::int64_t version) {
  auto c = base(key, op, etcdserverpb::Compare::VERSION);
  c.set_version(version);
  return c;
}

etcdserverpb::Compare compare_create_revision(std::string_view key, CompareOp op, std::int64_t revision) {
  auto c = base(key, op, etcdserverpb::Compare::CREATE);
  c.set_create_revision(revision);
  return c;
}

etcdserverpb::Compare compare_mod_revision(std::string_view key, CompareOp op, std::int64_t revision) {
  auto c = base(key, op, etcdserverpb::Compare::MOD);
  c.set_mod_revision(revision);
  return c;
}

etcdserverpb::Compare compare_lease(std::string_view key, CompareOp op, std::int64_t lease) {
  auto c = base(key, op, etcdserverpb::Compare::LEASE);
  c.set_lease(lease);
  return c;
}

etcdserverpb::Compare over_range(etcdserverpb::Compare compare, std::string range_end) {
  compare.set_range_end(std::move(range_end));
  return compare;
}

etcdserverpb::Compare key_missing(std::string_view key) { return compare_create_revision(key, CompareOp::kEqual, 0); }

etcdserverpb::Compare key_exists(std::string_view key) { return compare_create_revision(key, CompareOp::kGreater, 0); }

etcdserverpb::Compare value_is(std::string_view key, std::string_view value) {
  return compare_value(key, CompareOp::kEqual, value);
}

etcdserverpb::RequestOp op_get(std::string_view key, const GetOptions& options) {
  etcdserverpb::RequestOp op;
  *op.mutable_request_range() = make_range_request(key, options);
  return op;
}

etcdserverpb::RequestOp op_put(std::string_view key, std::string_view value, const PutOptions& options) {
  etcdserverpb::RequestOp op;
  *op.mutable_request_put() = make_put_request(key, value, options);
  return op;
}

etcdserverpb::RequestOp op_del(std::string_view key, const DeleteOptions& options) {
  etcdserverpb::RequestOp op;
  *op.mutable_request_delete_range() = make_delete_request(key, options);
  return op;
}

etcdserverpb::RequestOp op_txn(const Txn& txn) {
  etcdserverpb::RequestOp op;
  *op.mutable_request_txn() = txn.request();
  return op;
}

Txn& Txn::when(etcdserverpb::Compare compare) {
  *request_.add_compare() = std::move(compare);
  return *this;
}

Txn& Txn::then(etcdserverpb::RequestOp op) {
  *request_.add_success() = std::move(op);
  return *this;
}

Txn& Txn::otherwise(etcdserverpb::RequestOp op) {
  *request_.add_failure() = std::move(op);
  return *this;
}

bool Txn::read_only() const { return is_read_only(request_); }

bool is_read_only(const etcdserverpb::TxnRequest& request) {
  return ops_read_only(request.success()) && ops_read_only(request.failure());
}

}  // namespace ha::dcs
