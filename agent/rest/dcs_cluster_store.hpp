// DcsClusterStore: ClusterStore on the DCS client — compare-and-set transactions on
// <prefix>failover and <prefix>config, each call within `timeout`.
#pragma once

#include <string>

#include "agent/clock.hpp"
#include "agent/rest/cluster_store.hpp"
#include "dcs/client/client.hpp"

namespace ha::agent::rest {

class DcsClusterStore final : public ClusterStore {
 public:
  // `key_prefix` is AgentConfig::key_prefix(): "<namespace>/<scope>/".
  DcsClusterStore(ha::dcs::Client& client, std::string key_prefix, Millis timeout = Millis{5000});

  StoreWrite write_failover(const FailoverRequest& request,
                            std::optional<std::int64_t> expected_mod_revision) override;
  StoreRead read_config() override;
  StoreWrite write_config(const std::string& json,
                          std::optional<std::int64_t> expected_mod_revision) override;

 private:
  StoreWrite compare_and_put(const std::string& key, const std::string& value,
                             std::optional<std::int64_t> expected_mod_revision, bool unconditional);

  ha::dcs::Client& client_;
  std::string prefix_;
  Millis timeout_;
};

}  // namespace ha::agent::rest
