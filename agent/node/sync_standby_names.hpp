// synchronous_standby_names as the agent writes and reads it back: FIRST n ("a", "b") with every
// member name double-quoted, and in strict mode without standbys a placeholder name that no
// standby uses (so commits wait). Text only; setting it on a server is PostgresNode's job.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ha::agent::node {

// The standby name that strict synchronous mode uses when no real standby qualifies. No member
// is called this (member names that collide are the operator's problem, as in Patroni).
inline constexpr const char* kNoSyncStandbyPlaceholder = "ha_no_sync_standby";

struct SyncStandbyNames {
  std::vector<std::string> names;  // member names, placeholder excluded, in the order written
  int count = 0;                   // how many must confirm (FIRST/ANY n; 1 for a bare list)
  bool any = false;                // ANY n (...): quorum, not priority
  bool placeholder = false;        // the strict placeholder was among the names
};

// "FIRST n (\"a\",\"b\")"; "" when there are no names and not strict; the placeholder with
// FIRST 1 when there are no names and strict. `count` is at least 1 and, unless strict, at
// most the number of names.
std::string render_sync_standby_names(const std::vector<std::string>& names, int count,
                                      bool strict);

// PostgreSQL's forms: "", "*", "a, b", "n (a, b)", "FIRST n (...)", "ANY n (...)", names bare
// or double-quoted ("" inside quotes is one "). Whatever does not parse yields the words found
// (best effort: the value came from a server that accepted it).
SyncStandbyNames parse_sync_standby_names(std::string_view text);

}  // namespace ha::agent::node
