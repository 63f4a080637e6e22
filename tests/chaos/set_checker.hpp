// Set checker: a set built by adding unique elements (kAdd ops), then read whole once at the end
// (kRead ops on the set's key, one per element read, outcome ok). No acknowledged add may be
// missing from the final read, and no element may appear that was never added or whose add
// surely failed. Unknown adds may go either way. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tests/chaos/history.hpp"

namespace ha::chaos {

struct SetResult {
  std::string key;
  bool final_read = false;      // a final read was recorded (else nothing is checked)
  std::size_t attempted = 0;
  std::size_t acknowledged = 0;
  std::size_t unknown = 0;
  std::size_t unknown_present = 0;  // unknown adds found in the final read
  std::size_t read = 0;             // elements in the final read
  std::vector<Value> lost;          // acknowledged, not read
  std::vector<Value> invented;      // read, never added (or the add surely failed)
  std::vector<Value> duplicated;    // read more than once
  bool ok() const { return final_read && lost.empty() && invented.empty() && duplicated.empty(); }
};

// Every set in the history (by key).
std::vector<SetResult> check_sets(const History& history);

}  // namespace ha::chaos
