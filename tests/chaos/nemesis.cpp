#include "tests/chaos/nemesis.hpp"

#include <algorithm>
#include <numeric>

namespace ha::chaos {

const char* to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::kPartitionOne: return "partition-one";
    case FaultKind::kPartitionLeader: return "partition-leader";
    case FaultKind::kBridge: return "bridge";
    case FaultKind::kOneWay: return "one-way-loss";
    case FaultKind::kLoss: return "packet-loss";
    case FaultKind::kDelay: return "delay";
    case FaultKind::kCutLink: return "cut-link";
    case FaultKind::kKill: return "kill";
    case FaultKind::kKillLeader: return "kill-leader";
    case FaultKind::kPause: return "pause";
    case FaultKind::kPauseLeader: return "pause-leader";
    case FaultKind::kRollback: return "rollback";
  }
  return "?";
}

Fault Schedule::next() {
  static constexpr FaultKind kAll[] = {
      FaultKind::kPartitionOne, FaultKind::kPartitionLeader, FaultKind::kBridge, FaultKind::kOneWay,
      FaultKind::kLoss,         FaultKind::kDelay,           FaultKind::kCutLink, FaultKind::kKill,
      FaultKind::kKillLeader,   FaultKind::kPause,           FaultKind::kPauseLeader};
  Fault f;
  const std::uint64_t r = rng_();
  f.kind = rollback_ && r % 6 == 0 ? FaultKind::kRollback : kAll[(r / 6) % std::size(kAll)];
  f.pick = rng_();
  f.hold_ms = 1500 + static_cast<int>(rng_() % 4500);
  f.quiet_ms = 1000 + static_cast<int>(rng_() % 2000);
  return f;
}

Nemesis::Nemesis(Network& net, Members& members, std::function<int()> leader)
    : net_(net), members_(members), leader_(std::move(leader)) {}

namespace {
std::string name(int i) { return "n" + std::to_string(i + 1); }
std::string names(const std::vector<int>& v) {
  std::string s;
  for (int i : v) s += (s.empty() ? "" : ",") + name(i);
  return "{" + s + "}";
}
}  // namespace

std::string Nemesis::apply(const Fault& f) {
  const int n = net_.nodes();
  std::vector<int> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(f.pick);
  std::shuffle(order.begin(), order.end(), rng);
  auto rest = [&](int x) {
    std::vector<int> r;
    for (int i = 0; i < n; ++i) {
      if (i != x) r.push_back(i);
    }
    return r;
  };
  const bool wants_leader = f.kind == FaultKind::kPartitionLeader || f.kind == FaultKind::kKillLeader ||
                            f.kind == FaultKind::kPauseLeader || f.kind == FaultKind::kPause;
  const int leader = wants_leader ? leader_() : -1;
  if (wants_leader && leader < 0) return "";
  switch (f.kind) {
    case FaultKind::kPartitionOne:
      net_.partition({order[0]}, rest(order[0]));
      return "partition " + names({order[0]}) + " | " + names(rest(order[0]));
    case FaultKind::kPartitionLeader:
      net_.partition({leader}, rest(leader));
      return "partition " + names({leader}) + " (leader) | " + names(rest(leader));
    case FaultKind::kBridge: {
      // order[0] is the bridge; the others split into two halves that cannot see each other.
      std::vector<int> a, b;
      for (int i = 1; i < n; ++i) (i % 2 ? a : b).push_back(order[static_cast<std::size_t>(i)]);
      net_.partition(a, b);
      return "bridge " + name(order[0]) + " between " + names(a) + " and " + names(b);
    }
    case FaultKind::kOneWay:
      net_.drop(order[0], order[1]);
      return "packets " + name(order[0]) + " -> " + name(order[1]) + " dropped (one way)";
    case FaultKind::kLoss:
      for (int i = 0; i < n; ++i) net_.loss(i, 30);
      return "30% loss of incoming packets on every member";
    case FaultKind::kDelay: {
      if (!net_.delay_available()) return "";
      const int ms = 50 + static_cast<int>(f.pick % 100);
      net_.delay(order[0], ms);
      net_.delay(order[1], ms);
      return "delay " + std::to_string(ms) + " ms on " + names({order[0], order[1]});
    }
    case FaultKind::kCutLink:
      net_.cut(order[0]);
      return "link of " + name(order[0]) + " down";
    case FaultKind::kKill:
      members_.kill9(order[0]);
      members_.save_copy(order[0]);
      return "kill -9 " + name(order[0]);
    case FaultKind::kKillLeader:
      members_.kill9(leader);
      members_.save_copy(leader);
      return "kill -9 " + name(leader) + " (leader)";
    case FaultKind::kRollback:
      for (int i : order) {
        if (members_.rollback(i)) return "rollback " + name(i) + " (kill -9, data folder from its last kill)";
      }
      return "";
    case FaultKind::kPause: {
      int target = order[0] == leader ? order[1] : order[0];
      members_.pause(target);
      return "SIGSTOP " + name(target) + " (follower)";
    }
    case FaultKind::kPauseLeader:
      members_.pause(leader);
      return "SIGSTOP " + name(leader) + " (leader)";
  }
  return "";
}

void Nemesis::heal() {
  net_.heal();
  members_.resume_all();
  for (int i = 0; i < members_.size(); ++i) {
    if (!members_.running(i)) members_.start(i);
  }
}

}  // namespace ha::chaos
