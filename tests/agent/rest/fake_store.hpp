// FakeStore: an in-memory ClusterStore for the write routes' unit tests — the /failover and
// /config keys with mod revisions and real compare-and-set, and a switch to make the DCS fail.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "agent/dcs_values.hpp"
#include "agent/rest/cluster_store.hpp"

namespace ha::agent::rest::test {

class FakeStore final : public ClusterStore {
 public:
  std::optional<StoredValue> failover;
  std::optional<StoredValue> config;
  bool down = false;
  std::int64_t revision = 10;
  int failover_writes = 0;
  std::function<void()> after_failover_write;  // e.g. the cluster reacting

  StoreWrite write_failover(const FailoverRequest& request,
                            std::optional<std::int64_t> expected) override {
    ++failover_writes;
    auto w = compare_and_put(failover, encode_failover(request), expected, false);
    if (w.ok() && after_failover_write) after_failover_write();
    return w;
  }
  StoreRead read_config() override {
    if (down) return {std::nullopt, "no hadcs member reachable"};
    return {config, {}};
  }
  StoreWrite write_config(const std::string& json, std::optional<std::int64_t> expected) override {
    return compare_and_put(config, json, expected, !expected);
  }

 private:
  StoreWrite compare_and_put(std::optional<StoredValue>& key, const std::string& value,
                             std::optional<std::int64_t> expected, bool unconditional) {
    if (down) return {StoreWrite::Result::failed, "no hadcs member reachable"};
    if (!unconditional) {
      const bool holds = expected ? key && key->mod_revision == *expected : !key;
      if (!holds) return {StoreWrite::Result::conflict, "key changed"};
    }
    key = StoredValue{value, ++revision};
    return {StoreWrite::Result::written, {}};
  }
};

}  // namespace ha::agent::rest::test
