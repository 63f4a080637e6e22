#include "tests/raft/sim/linearizability.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <unordered_set>

namespace ha::raft::sim {

namespace {

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

// The set of linearised operations plus the register value: one search state.
struct Key {
  std::vector<std::uint64_t> bits;
  std::uint64_t value = 0;
  bool operator==(const Key&) const = default;
};

struct KeyHash {
  std::size_t operator()(const Key& k) const {
    std::uint64_t h = k.value * 0x9e3779b97f4a7c15ULL;
    for (std::uint64_t w : k.bits) h = (h ^ w) * 0x100000001b3ULL + (h >> 29);
    return static_cast<std::size_t>(h);
  }
};

struct Event {
  bool call = false;
  std::size_t op = 0;
  std::uint64_t time = 0;
  std::size_t match = 0;  // the call's return event, or the return's call event
  std::size_t prev = 0;
  std::size_t next = 0;
};

}  // namespace

LinearizabilityResult check_register(const std::vector<Operation>& all, std::uint64_t budget) {
  LinearizabilityResult result;
  std::vector<Operation> ops;
  for (const Operation& op : all) {
    if (op.answered() || op.kind == OpKind::kPut) ops.push_back(op);
  }
  result.operations = ops.size();
  if (ops.empty()) return result;

  // Events 1..2n in time order; 0 is the list head, 2n+1 the tail.
  std::vector<Event> ev;
  ev.reserve(2 * ops.size() + 2);
  ev.push_back(Event{});
  for (std::size_t i = 0; i < ops.size(); ++i) {
    ev.push_back(Event{true, i, ops[i].invoke, 0, 0, 0});
    ev.push_back(Event{false, i, ops[i].answered() ? ops[i].complete : kNever, 0, 0, 0});
  }
  std::stable_sort(ev.begin() + 1, ev.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
  std::vector<std::size_t> call_of(ops.size()), ret_of(ops.size());
  for (std::size_t i = 1; i < ev.size(); ++i) (ev[i].call ? call_of : ret_of)[ev[i].op] = i;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    ev[call_of[i]].match = ret_of[i];
    ev[ret_of[i]].match = call_of[i];
  }
  std::size_t tail = ev.size();
  ev.push_back(Event{});
  for (std::size_t i = 0; i < ev.size(); ++i) {
    ev[i].prev = i == 0 ? 0 : i - 1;
    ev[i].next = i + 1 < ev.size() ? i + 1 : tail;
  }
  auto unlink = [&](std::size_t e) {
    ev[ev[e].prev].next = ev[e].next;
    ev[ev[e].next].prev = ev[e].prev;
  };
  auto relink = [&](std::size_t e) {
    ev[ev[e].prev].next = e;
    ev[ev[e].next].prev = e;
  };

  Key cur;
  cur.bits.assign((ops.size() + 63) / 64, 0);
  std::unordered_set<Key, KeyHash> seen;
  struct Frame {
    std::size_t call;
    std::uint64_t value;
  };
  std::vector<Frame> stack;
  std::size_t deepest = 0;
  std::size_t blocking_return = 0;  // the return event at which the deepest attempt got stuck
  std::uint64_t steps = 0;

  std::size_t e = ev[0].next;
  while (ev[0].next != tail) {
    if (++steps > budget) {
      result.unknown = true;
      return result;
    }
    if (e == tail) break;  // cannot happen: a return always precedes the tail
    if (ev[e].call) {
      const Operation& op = ops[ev[e].op];
      bool legal = op.kind == OpKind::kPut || op.value == cur.value;
      std::uint64_t next_value = op.kind == OpKind::kPut ? op.value : cur.value;
      if (legal) {
        Key k = cur;
        k.bits[ev[e].op / 64] |= std::uint64_t{1} << (ev[e].op % 64);
        k.value = next_value;
        if (seen.insert(k).second) {
          stack.push_back(Frame{e, cur.value});
          cur = std::move(k);
          unlink(e);
          unlink(ev[e].match);
          e = ev[0].next;
          continue;
        }
      }
      e = ev[e].next;
    } else {
      if (stack.size() >= deepest) {
        deepest = stack.size();
        blocking_return = e;
      }
      if (stack.empty()) break;
      Frame f = stack.back();
      stack.pop_back();
      cur.value = f.value;
      cur.bits[ev[f.call].op / 64] &= ~(std::uint64_t{1} << (ev[f.call].op % 64));
      relink(ev[f.call].match);
      relink(f.call);
      e = ev[f.call].next;
    }
  }
  if (ev[0].next == tail) return result;

  result.ok = false;
  const Operation& stuck = ops[ev[blocking_return].op];
  result.failure = "key '" + stuck.key + "' is not linearizable: after linearising " + std::to_string(deepest) +
                   " operations, no order lets " + describe(stuck) + " return. Operations on the key:";
  std::vector<const Operation*> sorted;
  for (const Operation& op : ops) sorted.push_back(&op);
  std::sort(sorted.begin(), sorted.end(), [](const Operation* a, const Operation* b) { return a->invoke < b->invoke; });
  // Show the operations overlapping the stuck one plus a little context, not the whole history.
  std::size_t shown = 0;
  for (const Operation* op : sorted) {
    bool near = op->invoke <= stuck.complete && (!op->answered() || op->complete >= stuck.invoke);
    bool writes_read_value = stuck.kind == OpKind::kGet && op->kind == OpKind::kPut && op->value == stuck.value;
    bool recent = op->answered() && op->complete < stuck.invoke && stuck.invoke - op->complete < 40;
    if ((near || writes_read_value || recent) && shown < 40) {
      result.failure += "\n    " + describe(*op);
      ++shown;
    }
  }
  return result;
}

LinearizabilityResult check_linearizable(const History& history, std::uint64_t budget) {
  std::map<std::string, std::vector<Operation>> by_key;
  for (const auto& [id, op] : history.ops()) {
    if (op.kind == OpKind::kPut && !op.answered() && !history.applied(op.value)) continue;  // never happened
    by_key[op.key].push_back(op);
  }
  LinearizabilityResult total;
  for (const auto& [key, ops] : by_key) {
    LinearizabilityResult r = check_register(ops, budget);
    total.operations += r.operations;
    total.unknown = total.unknown || r.unknown;
    if (!r.ok) {
      r.operations = total.operations;
      return r;
    }
  }
  return total;
}

}  // namespace ha::raft::sim
