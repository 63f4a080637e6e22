#include "tests/raft/sim/history.hpp"

namespace ha::raft::sim {

std::string describe(const Operation& op) {
  std::string s = op.kind == OpKind::kPut ? "put(" : "get(";
  s += op.key;
  if (op.kind == OpKind::kPut) s += ", " + std::to_string(op.value);
  s += ")";
  if (op.kind == OpKind::kGet && op.answered()) s += " -> " + std::to_string(op.value);
  s += " #" + std::to_string(op.id) + " at n" + std::to_string(op.node) + " steps [" +
       std::to_string(op.invoke_step) + ", ";
  s += op.answered() ? std::to_string(op.complete_step) : std::string(op.abandoned ? "abandoned" : "pending");
  s += "]";
  return s;
}

std::uint64_t History::invoke(OpKind kind, const std::string& key, NodeId node, std::uint64_t step) {
  Operation op;
  op.id = next_id_++;
  op.kind = kind;
  op.key = key;
  op.node = node;
  op.value = kind == OpKind::kPut ? op.id : 0;
  op.invoke = ++clock_;
  op.invoke_step = step;
  ops_[op.id] = op;
  return op.id;
}

void History::complete(std::uint64_t id, std::uint64_t value, std::uint64_t step) {
  auto it = ops_.find(id);
  if (it == ops_.end() || it->second.answered()) return;
  Operation& op = it->second;
  if (op.kind == OpKind::kGet) op.value = value;
  op.complete = ++clock_;
  op.complete_step = step;
}

void History::abandon(std::uint64_t id) {
  auto it = ops_.find(id);
  if (it != ops_.end() && !it->second.answered()) it->second.abandoned = true;
}

void History::fail(std::uint64_t id) { ops_.erase(id); }

bool History::waiting(std::uint64_t id) const {
  auto it = ops_.find(id);
  return it != ops_.end() && !it->second.answered() && !it->second.abandoned;
}

const Operation* History::find(std::uint64_t id) const {
  auto it = ops_.find(id);
  return it == ops_.end() ? nullptr : &it->second;
}

}  // namespace ha::raft::sim
