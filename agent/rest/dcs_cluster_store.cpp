#include "agent/rest/dcs_cluster_store.hpp"

#include "agent/dcs_values.hpp"
#include "dcs/client/txn.hpp"

namespace ha::agent::rest {

DcsClusterStore::DcsClusterStore(ha::dcs::Client& client, std::string key_prefix, Millis timeout)
    : client_(client), prefix_(std::move(key_prefix)), timeout_(timeout) {}

StoreWrite DcsClusterStore::compare_and_put(const std::string& key, const std::string& value,
                                            std::optional<std::int64_t> expected,
                                            bool unconditional) {
  ha::dcs::CallOptions call;
  call.timeout = timeout_;
  if (unconditional) {
    auto put = client_.put(key, value, {}, call);
    if (!put) return {StoreWrite::Result::failed, put.error().to_string()};
    return {StoreWrite::Result::written, {}};
  }
  ha::dcs::Txn txn;
  if (expected) {
    txn.when(ha::dcs::compare_mod_revision(key, ha::dcs::CompareOp::kEqual, *expected));
  } else {
    txn.when(ha::dcs::key_missing(key));
  }
  txn.then(ha::dcs::op_put(key, value));
  auto result = client_.txn(txn, call);
  if (!result) return {StoreWrite::Result::failed, result.error().to_string()};
  if (!result->succeeded()) {
    return {StoreWrite::Result::conflict,
            key + (expected ? " was changed by someone else meanwhile"
                            : " was created by someone else meanwhile")};
  }
  return {StoreWrite::Result::written, {}};
}

StoreWrite DcsClusterStore::write_failover(const FailoverRequest& request,
                                           std::optional<std::int64_t> expected_mod_revision) {
  return compare_and_put(prefix_ + "failover", encode_failover(request), expected_mod_revision,
                         false);
}

StoreRead DcsClusterStore::read_config() {
  ha::dcs::CallOptions call;
  call.timeout = timeout_;
  auto got = client_.get(prefix_ + "config", {}, call);
  if (!got) return {std::nullopt, got.error().to_string()};
  if (got->kvs_size() == 0) return {};
  const auto& kv = got->kvs(0);
  return {StoredValue{kv.value(), kv.mod_revision()}, {}};
}

StoreWrite DcsClusterStore::write_config(const std::string& json,
                                         std::optional<std::int64_t> expected_mod_revision) {
  return compare_and_put(prefix_ + "config", json, expected_mod_revision,
                         !expected_mod_revision.has_value());
}

}  // namespace ha::agent::rest
