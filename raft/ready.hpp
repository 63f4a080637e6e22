// Ready: everything the driver must do after the core changed, in this order:
// 1. persist snapshot, entries and hard state (durably when must_sync);
// 2. send messages; 3. apply committed_entries (and the snapshot); 4. serve read_states;
// 5. call Node::advance(ready).
// With Config::async_storage_writes a leader may do 2-5 before 1 finishes, unless the Ready
// changes its term or vote, and reports the write with Node::persisted() once it is durable.
#pragma once

#include <optional>
#include <vector>

#include "raft/types.hpp"

namespace ha::raft {

struct Ready {
  std::optional<SoftState> soft_state;   // set when leader or role changed
  std::optional<HardState> hard_state;   // set when it changed and must be persisted
  std::optional<Snapshot> snapshot;      // an incoming snapshot to persist and apply
  std::vector<Entry> entries;            // new log entries to persist
  std::vector<Entry> committed_entries;  // entries to apply, in order
  std::vector<Message> messages;         // to send once the above is persisted
  std::vector<ReadState> read_states;    // serve once applied >= index
  bool must_sync = false;                // hard state or entries need an fsync

  bool empty() const {
    return !soft_state && !hard_state && !snapshot && entries.empty() && committed_entries.empty() &&
           messages.empty() && read_states.empty();
  }
};

}  // namespace ha::raft
