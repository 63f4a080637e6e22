// Txn: a builder for etcd's transaction (if every compare holds, run the `then` ops, else the
// `otherwise` ops), with helpers for the compares (value, version, create/mod revision, lease)
// and the ops (get, put, delete, nested txn). Building only; Client::txn sends it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dcs/client/kv_options.hpp"
#include "proto/etcd/rpc.pb.h"

namespace ha::dcs {

enum class CompareOp { kEqual, kNotEqual, kGreater, kLess };

etcdserverpb::Compare compare_value(std::string_view key, CompareOp op, std::string_view value);
etcdserverpb::Compare compare_version(std::string_view key, CompareOp op, std::int64_t version);
etcdserverpb::Compare compare_create_revision(std::string_view key, CompareOp op, std::int64_t revision);
etcdserverpb::Compare compare_mod_revision(std::string_view key, CompareOp op, std::int64_t revision);
etcdserverpb::Compare compare_lease(std::string_view key, CompareOp op, std::int64_t lease);
// The compare must hold for every key in [key, range_end) (e.g. prefix_range_end(key)).
etcdserverpb::Compare over_range(etcdserverpb::Compare compare, std::string range_end);

// Shortcuts for locks: the key does not exist / exists / holds exactly `value`.
etcdserverpb::Compare key_missing(std::string_view key);
etcdserverpb::Compare key_exists(std::string_view key);
etcdserverpb::Compare value_is(std::string_view key, std::string_view value);

etcdserverpb::RequestOp op_get(std::string_view key, const GetOptions& options = {});
etcdserverpb::RequestOp op_put(std::string_view key, std::string_view value, const PutOptions& options = {});
etcdserverpb::RequestOp op_del(std::string_view key, const DeleteOptions& options = {});

class Txn {
 public:
  Txn& when(etcdserverpb::Compare compare);
  Txn& then(etcdserverpb::RequestOp op);
  Txn& otherwise(etcdserverpb::RequestOp op);

  const etcdserverpb::TxnRequest& request() const { return request_; }
  // Only gets, at every depth: safe to run twice, so the client retries it like a read.
  bool read_only() const;

 private:
  etcdserverpb::TxnRequest request_;
};

etcdserverpb::RequestOp op_txn(const Txn& txn);
bool is_read_only(const etcdserverpb::TxnRequest& request);

}  // namespace ha::dcs
