// History: the simulated clients' operations (put and linearizable get on single keys) with the
// order of their invocations and answers, for the linearizability check. It records; it does
// not judge (see linearizability.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "raft/types.hpp"

namespace ha::raft::sim {

enum class OpKind : std::uint8_t { kPut, kGet };

struct Operation {
  std::uint64_t id = 0;  // unique; a put writes this as its value
  OpKind kind = OpKind::kPut;
  std::string key;
  NodeId node = kNone;       // where the client sent it
  std::uint64_t value = 0;   // put: the value written; get: the value read (0 = never written)
  std::uint64_t invoke = 0;  // position in the history's event order
  std::uint64_t complete = 0;  // 0 = no answer
  std::uint64_t invoke_step = 0;
  std::uint64_t complete_step = 0;
  bool abandoned = false;  // the client gave up waiting (timeout, crash of its node)

  bool answered() const { return complete != 0; }
};

std::string describe(const Operation& op);

class History {
 public:
  // Returns the new operation's id.
  std::uint64_t invoke(OpKind kind, const std::string& key, NodeId node, std::uint64_t step);
  void complete(std::uint64_t id, std::uint64_t value, std::uint64_t step);
  void abandon(std::uint64_t id);
  // The request was refused, so it had no effect: it leaves the history.
  void fail(std::uint64_t id);
  // Some node applied the put with this value (so an unanswered put did take effect).
  void mark_applied(std::uint64_t value) { applied_.insert(value); }
  bool applied(std::uint64_t value) const { return applied_.count(value) != 0; }

  // Invoked, not answered and not abandoned.
  bool waiting(std::uint64_t id) const;
  const Operation* find(std::uint64_t id) const;
  const std::map<std::uint64_t, Operation>& ops() const { return ops_; }

 private:
  std::map<std::uint64_t, Operation> ops_;
  std::set<std::uint64_t> applied_;
  std::uint64_t next_id_ = 1;
  std::uint64_t clock_ = 0;
};

}  // namespace ha::raft::sim
