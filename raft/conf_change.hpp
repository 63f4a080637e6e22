// Membership changes: one server at a time (add voter, add learner, promote, remove),
// encoded into a kConfChange entry. A configuration takes effect as soon as it is in the log.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "raft/types.hpp"

namespace ha::raft {

enum class ConfChangeType : std::uint8_t {
  kAddVoter = 0,    // add a new voter, or promote a learner
  kAddLearner = 1,  // add a non-voting member that receives the log
  kRemoveNode = 2,  // remove a voter or learner
};

struct ConfChange {
  ConfChangeType type = ConfChangeType::kAddVoter;
  NodeId node = kNone;
  std::string context;  // opaque to Raft (the DCS stores the member's name and URLs here)

  bool operator==(const ConfChange&) const = default;
};

std::string encode_conf_change(const ConfChange& cc);
// Returns nothing when `data` is not a well-formed encoding.
std::optional<ConfChange> decode_conf_change(std::string_view data);

// Applies `cc` to `cs`; returns false (and leaves `cs` unchanged) when the change is a no-op
// or not allowed, e.g. removing an unknown node or adding a voter twice.
bool apply_conf_change(ConfState& cs, const ConfChange& cc);

}  // namespace ha::raft
