#include "tests/chaos/linearizability.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

#include "tests/chaos/register_model.hpp"

namespace ha::chaos {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::kLinearizable: return "linearizable";
    case Verdict::kNotLinearizable: return "NOT linearizable";
    case Verdict::kUndecided: return "undecided (search budget exhausted)";
  }
  return "?";
}

namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

// One call or return event in the doubly linked list; index 0 is the head sentinel.
struct Node {
  int op = -1;       // index into the key's ops
  bool call = false;
  int match = -1;    // a call's return node
  int prev = -1;
  int next = -1;
};

class Bits {
 public:
  explicit Bits(std::size_t n) : w_((n + 63) / 64, 0) {}
  void set(std::size_t i) { w_[i / 64] |= (std::uint64_t{1} << (i % 64)); }
  void clear(std::size_t i) { w_[i / 64] &= ~(std::uint64_t{1} << (i % 64)); }
  bool operator==(const Bits&) const = default;
  std::size_t hash() const {
    std::uint64_t h = 1469598103934665603ULL;
    for (std::uint64_t w : w_) h = (h ^ w) * 1099511628211ULL + (h >> 29);
    return static_cast<std::size_t>(h);
  }

 private:
  std::vector<std::uint64_t> w_;
};

struct CacheEntry {
  Bits bits;
  Value state;
};

class Search {
 public:
  Search(const History& ops, const LinearizabilityOptions& options) : ops_(ops), options_(options) { build(); }

  KeyResult run(const std::string& key) {
    KeyResult r;
    r.key = key;
    r.ops = ops_.size();
    Bits linearized(ops_.size());
    Value state = kNil;
    std::vector<std::pair<int, Value>> calls;  // (call node, state before it)
    std::unordered_map<std::size_t, std::vector<CacheEntry>> cache;
    int entry = nodes_[0].next;
    std::string stuck;
    while (nodes_[0].next != -1) {
      if (++r.steps > options_.max_steps_per_key) {
        r.verdict = Verdict::kUndecided;
        r.history = ops_;
        return r;
      }
      const Node& n = nodes_[entry];
      if (n.call) {
        std::optional<Value> next = register_step(state, ops_[n.op]);
        bool taken = false;
        if (next) {
          Bits with = linearized;
          with.set(static_cast<std::size_t>(n.op));
          auto& bucket = cache[with.hash()];
          bool seen = std::any_of(bucket.begin(), bucket.end(),
                                  [&](const CacheEntry& c) { return c.state == *next && c.bits == with; });
          if (!seen) {
            bucket.push_back({with, *next});
            calls.emplace_back(entry, state);
            state = *next;
            linearized = std::move(with);
            lift(entry);
            r.best = std::max(r.best, calls.size());
            entry = nodes_[0].next;
            taken = true;
          }
        }
        if (!taken) entry = n.next;
      } else {
        // A return whose call is not linearized yet: everything before it has been tried.
        if (calls.size() >= r.best) stuck = describe(ops_[n.op]);
        if (calls.empty()) {
          r.verdict = Verdict::kNotLinearizable;
          r.stuck_at = stuck;
          r.history = ops_;
          return r;
        }
        auto [call, before] = calls.back();
        calls.pop_back();
        state = before;
        linearized.clear(static_cast<std::size_t>(nodes_[call].op));
        unlift(call);
        entry = nodes_[call].next;
      }
    }
    return r;
  }

 private:
  void build() {
    struct Event {
      std::int64_t t;
      bool call;
      int op;
    };
    std::vector<Event> events;
    for (int i = 0; i < static_cast<int>(ops_.size()); ++i) {
      const Op& op = ops_[static_cast<std::size_t>(i)];
      events.push_back({op.invoke_ns, true, i});
      events.push_back({op.outcome == Outcome::kUnknown ? kNever : op.complete_ns, false, i});
    }
    // Calls before returns at equal times: such ops count as concurrent (never a false alarm).
    std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      if (a.t != b.t) return a.t < b.t;
      return a.call && !b.call;
    });
    nodes_.assign(events.size() + 1, Node{});
    std::vector<int> call_node(ops_.size(), -1);
    for (std::size_t i = 0; i < events.size(); ++i) {
      Node& n = nodes_[i + 1];
      n.op = events[i].op;
      n.call = events[i].call;
      n.prev = static_cast<int>(i);
      n.next = i + 1 < events.size() ? static_cast<int>(i + 2) : -1;
      if (n.call) {
        call_node[static_cast<std::size_t>(n.op)] = static_cast<int>(i + 1);
      } else {
        nodes_[static_cast<std::size_t>(call_node[static_cast<std::size_t>(n.op)])].match = static_cast<int>(i + 1);
      }
    }
    nodes_[0].next = events.empty() ? -1 : 1;
  }

  void unlink(int i) {
    Node& n = nodes_[static_cast<std::size_t>(i)];
    nodes_[static_cast<std::size_t>(n.prev)].next = n.next;
    if (n.next != -1) nodes_[static_cast<std::size_t>(n.next)].prev = n.prev;
  }
  void relink(int i) {
    Node& n = nodes_[static_cast<std::size_t>(i)];
    nodes_[static_cast<std::size_t>(n.prev)].next = i;
    if (n.next != -1) nodes_[static_cast<std::size_t>(n.next)].prev = i;
  }
  void lift(int call) {
    unlink(call);
    unlink(nodes_[static_cast<std::size_t>(call)].match);
  }
  void unlift(int call) {
    relink(nodes_[static_cast<std::size_t>(call)].match);
    relink(call);
  }

  const History& ops_;
  const LinearizabilityOptions& options_;
  std::vector<Node> nodes_;
};

}  // namespace

KeyResult check_register_key(const std::string& key, const History& ops, const LinearizabilityOptions& options) {
  History relevant;
  for (const Op& op : ops) {
    if (register_relevant(op)) relevant.push_back(op);
  }
  return Search(relevant, options).run(key);
}

LinearizabilityResult check_registers(const History& history, const LinearizabilityOptions& options) {
  // A key that has set adds is a set (its reads are the final read), not a register.
  std::set<std::string> sets;
  for (const Op& op : history) {
    if (op.kind == OpKind::kAdd) sets.insert(op.key);
  }
  std::map<std::string, History> by_key;
  for (const Op& op : history) {
    const bool reg = op.kind == OpKind::kWrite || op.kind == OpKind::kRead || op.kind == OpKind::kCas;
    if (reg && sets.count(op.key) == 0) by_key[op.key].push_back(op);
  }
  LinearizabilityResult result;
  result.keys = by_key.size();
  for (const auto& [key, ops] : by_key) {
    KeyResult r = check_register_key(key, ops, options);
    result.ops += r.ops;
    if (r.verdict == Verdict::kNotLinearizable) result.anomalies.push_back(std::move(r));
    else if (r.verdict == Verdict::kUndecided) result.undecided.push_back(std::move(r));
  }
  return result;
}

}  // namespace ha::chaos
