// The narrow view of the lease table that the KV store needs: does a lease exist, and which
// keys are attached to it. Implemented by LeaseStore; the KV store keeps it up to date.
#pragma once

#include <cstdint>
#include <string>

namespace ha::dcs {

class LeaseAttachments {
 public:
  virtual ~LeaseAttachments() = default;
  virtual bool lease_exists(std::int64_t id) const = 0;
  virtual void attach(std::int64_t id, const std::string& key) = 0;
  virtual void detach(std::int64_t id, const std::string& key) = 0;
};

}  // namespace ha::dcs
