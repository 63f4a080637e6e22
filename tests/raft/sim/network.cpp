#include "tests/raft/sim/network.hpp"

#include <algorithm>

namespace ha::raft::sim {

void Network::isolate(NodeId id, const std::vector<NodeId>& all) {
  for (NodeId other : all)
    if (other != id) cut_both(id, other);
}

void Network::split(const std::vector<NodeId>& group, const std::vector<NodeId>& all) {
  for (NodeId a : group)
    for (NodeId b : all)
      if (std::find(group.begin(), group.end(), b) == group.end()) cut_both(a, b);
}

const LinkFaults& Network::faults(NodeId from, NodeId to) const {
  auto it = links_.find({from, to});
  return it == links_.end() ? default_ : it->second;
}

void Network::enqueue(const Message& m, std::uint64_t epoch, std::uint64_t now, const LinkFaults& f, bool lost) {
  int lo = std::max(1, f.min_delay);
  int hi = std::max(lo, f.max_delay);
  std::uint64_t delay = static_cast<std::uint64_t>(rng_.range(lo, hi));
  if (rng_.chance(f.reorder)) delay += static_cast<std::uint64_t>(rng_.range(1, 2 * hi));
  queue_.push_back(InFlight{now + delay, seq_++, epoch, lost, m});
  std::push_heap(queue_.begin(), queue_.end(), Later{});
}

void Network::send(Message m, std::uint64_t sender_epoch, std::uint64_t now) {
  ++sent_;
  const LinkFaults& f = faults(m.from, m.to);
  bool lost = rng_.chance(f.drop);
  if (!lost && rng_.chance(f.duplicate)) enqueue(m, sender_epoch, now, f, false);
  enqueue(m, sender_epoch, now, f, lost);
}

Delivery Network::finish(InFlight&& f) {
  Delivery d{std::move(f.msg), f.epoch, f.lost};
  if (!d.dropped && blocked(d.msg.from, d.msg.to)) d.dropped = true;
  if (!d.dropped && filter && !filter(d.msg)) d.dropped = true;
  if (d.dropped) ++lost_;
  return d;
}

std::vector<Delivery> Network::take_due(std::uint64_t now) {
  std::vector<Delivery> out;
  while (!queue_.empty() && queue_.front().due <= now) {
    std::pop_heap(queue_.begin(), queue_.end(), Later{});
    InFlight f = std::move(queue_.back());
    queue_.pop_back();
    out.push_back(finish(std::move(f)));
  }
  return out;
}

std::vector<Delivery> Network::take_all() {
  std::sort(queue_.begin(), queue_.end(), [](const InFlight& a, const InFlight& b) { return a.seq < b.seq; });
  std::vector<Delivery> out;
  out.reserve(queue_.size());
  for (InFlight& f : queue_) out.push_back(finish(std::move(f)));
  queue_.clear();
  return out;
}

}  // namespace ha::raft::sim
