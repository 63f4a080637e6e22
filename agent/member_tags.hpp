// MemberTags: a member's tags (Patroni's names: nofailover, noloadbalance, failover_priority,
// clonefrom, nosync, plus free-form ones), read strictly from the YAML config and leniently
// from other members' keys in the DCS. What the tags mean for a decision is decided elsewhere.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

#include "agent/config_reader.hpp"

namespace ha::agent {

struct MemberTags {
  bool nofailover = false;     // never races, never promoted
  bool noloadbalance = false;  // GET /replica answers 503
  std::optional<std::int64_t>
      failover_priority;   // among equal WAL positions, higher wins; 0 = never
  bool clonefrom = false;  // preferred source for new replicas
  bool nosync = false;     // never a synchronous standby
  nlohmann::json other = nlohmann::json::object();  // any other tag, shown and filterable

  // Patroni's rule: nofailover counts as priority 0; an unset priority is 1.
  std::int64_t priority() const { return nofailover ? 0 : failover_priority.value_or(1); }
  bool may_fail_over() const { return priority() > 0; }

  friend bool operator==(const MemberTags&, const MemberTags&) = default;
};

// Only the tags that are set (as Patroni publishes them).
nlohmann::json to_json(const MemberTags& tags);
// From a member key: unknown shapes are ignored (another member's bug must not stop us).
MemberTags tags_from_json(const nlohmann::json& value);
// From the YAML `tags` section, with errors for wrong types and contradictions.
MemberTags read_tags(ConfigSection section);

}  // namespace ha::agent
