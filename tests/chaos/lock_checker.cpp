#include "tests/chaos/lock_checker.hpp"

#include <algorithm>
#include <map>

namespace ha::chaos {

std::vector<LockResult> check_locks(const History& history, std::int64_t clock_bound_ns) {
  std::map<std::string, std::vector<Op>> holds;
  for (const Op& op : history) {
    if (op.kind == OpKind::kLock && op.outcome == Outcome::kOk) holds[op.key].push_back(op);
  }
  std::vector<LockResult> out;
  for (auto& [key, hs] : holds) {
    std::sort(hs.begin(), hs.end(), [](const Op& a, const Op& b) { return a.invoke_ns < b.invoke_ns; });
    LockResult r;
    r.key = key;
    r.holds = hs.size();
    // Every earlier hold still open when a later one begins: compare against each of them.
    std::vector<const Op*> open;
    for (const Op& h : hs) {
      std::erase_if(open, [&](const Op* o) { return o->complete_ns - clock_bound_ns <= h.invoke_ns; });
      for (const Op* o : open) {
        r.overlaps.push_back({*o, h, std::min(o->complete_ns, h.complete_ns) - h.invoke_ns});
      }
      open.push_back(&h);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace ha::chaos
