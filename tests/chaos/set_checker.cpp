#include "tests/chaos/set_checker.hpp"

#include <map>
#include <set>

namespace ha::chaos {

std::vector<SetResult> check_sets(const History& history) {
  struct Acc {
    std::map<Value, Outcome> adds;
    std::map<Value, int> reads;
    bool read = false;
  };
  std::map<std::string, Acc> sets;
  for (const Op& op : history) {
    if (op.kind == OpKind::kAdd) {
      sets[op.key].adds[op.value] = op.outcome;
    }
  }
  for (const Op& op : history) {
    if (op.kind != OpKind::kRead || op.outcome != Outcome::kOk) continue;
    auto it = sets.find(op.key);
    if (it == sets.end()) continue;
    it->second.read = true;
    if (op.result != kNil) ++it->second.reads[op.result];
  }
  std::vector<SetResult> out;
  for (const auto& [key, acc] : sets) {
    SetResult r;
    r.key = key;
    r.final_read = acc.read;
    r.attempted = acc.adds.size();
    for (const auto& [v, n] : acc.reads) {
      r.read += static_cast<std::size_t>(n);
      if (n > 1) r.duplicated.push_back(v);
      auto a = acc.adds.find(v);
      if (a == acc.adds.end() || a->second == Outcome::kFail) r.invented.push_back(v);
    }
    for (const auto& [v, outcome] : acc.adds) {
      bool present = acc.reads.count(v) > 0;
      if (outcome == Outcome::kOk) {
        ++r.acknowledged;
        if (!present) r.lost.push_back(v);
      } else if (outcome == Outcome::kUnknown) {
        ++r.unknown;
        if (present) ++r.unknown_present;
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace ha::chaos
