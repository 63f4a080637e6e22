// Linearizability of a History against one register per key (initial value 0), by the
// Wing & Gong search with Lowe's memoisation, key by key. Unanswered puts that some node applied
// may take effect at any point after their invocation; other unanswered operations are ignored.
// Not a general model checker: puts write unique values, gets read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/raft/sim/history.hpp"

namespace ha::raft::sim {

struct LinearizabilityResult {
  bool ok = true;
  bool unknown = false;  // the search budget ran out on some key (treated as ok)
  std::string failure;   // which key and operations could not be linearised
  std::size_t operations = 0;
};

// One key's operations (any order); `budget` bounds the search steps.
LinearizabilityResult check_register(const std::vector<Operation>& ops, std::uint64_t budget = 2'000'000);
LinearizabilityResult check_linearizable(const History& history, std::uint64_t budget = 2'000'000);

}  // namespace ha::raft::sim
