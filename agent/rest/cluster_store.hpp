// ClusterStore: the few DCS writes the REST API makes — the /failover key (switchover and
// failover requests) and the /config key (PATCH and PUT /config) — behind an interface so the
// routes are tested with a fake. DcsClusterStore (dcs_cluster_store.hpp) is the real one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "agent/cluster_view.hpp"

namespace ha::agent::rest {

struct StoredValue {
  std::string value;
  std::int64_t mod_revision = 0;
};

struct StoreRead {
  std::optional<StoredValue> value;  // nothing when the key does not exist
  std::string error;                 // set when the DCS did not answer
};

struct StoreWrite {
  enum class Result { written, conflict, failed };
  Result result = Result::failed;
  std::string error;  // conflict / failed: what happened

  bool ok() const { return result == Result::written; }
};

class ClusterStore {
 public:
  virtual ~ClusterStore() = default;

  // Writes /failover = encode_failover(request): created when `expected_mod_revision` is empty
  // and the key is absent, else replaced only while its mod_revision still equals it.
  virtual StoreWrite write_failover(const FailoverRequest& request,
                                    std::optional<std::int64_t> expected_mod_revision) = 0;
  virtual StoreRead read_config() = 0;
  // Writes /config: only while its mod_revision still equals `expected_mod_revision` when one
  // is given, unconditionally otherwise.
  virtual StoreWrite write_config(const std::string& json,
                                  std::optional<std::int64_t> expected_mod_revision) = 0;
};

}  // namespace ha::agent::rest
