// The Raft core's value types: entries, hard state, configurations, snapshots, messages.
// Plain structs with no I/O; the wire and disk encodings live with the transports and stores.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ha::raft {

using NodeId = std::uint64_t;
using Term = std::uint64_t;
using Index = std::uint64_t;

// NodeId 0 means "nobody" (no vote cast, no known leader).
inline constexpr NodeId kNone = 0;

enum class EntryType : std::uint8_t {
  kNormal = 0,      // application data (empty data = a new leader's no-op)
  kConfChange = 1,  // data is an encoded ConfChange (see conf_change.hpp)
};

struct Entry {
  Term term = 0;
  Index index = 0;
  EntryType type = EntryType::kNormal;
  std::string data;

  bool operator==(const Entry&) const = default;
};

// What must be durable before any message that depends on it is sent.
struct HardState {
  Term term = 0;
  NodeId vote = kNone;
  Index commit = 0;

  bool operator==(const HardState&) const = default;
  bool empty() const { return term == 0 && vote == kNone && commit == 0; }
};

// A cluster configuration: voters decide elections and commits, learners only receive the log.
struct ConfState {
  std::vector<NodeId> voters;
  std::vector<NodeId> learners;

  bool operator==(const ConfState&) const = default;
};

struct SnapshotMetadata {
  Index index = 0;  // last entry the snapshot covers
  Term term = 0;    // that entry's term
  ConfState conf_state;

  bool operator==(const SnapshotMetadata&) const = default;
};

struct Snapshot {
  SnapshotMetadata metadata;
  std::string data;  // the application's state machine image

  bool empty() const { return metadata.index == 0; }
  bool operator==(const Snapshot&) const = default;
};

enum class MessageType : std::uint8_t {
  // Local messages, never sent over the network.
  kHup,             // start an election now
  kBeat,            // leader: send heartbeats now
  kPropose,         // append entries (a follower forwards it to the leader)
  kUnreachable,     // the transport could not reach `from`
  kSnapshotStatus,  // the transport finished (reject=false) or failed (reject=true) sending a snapshot
  kCheckQuorum,     // leader: step down unless a quorum was recently active
  // Peer messages.
  kAppend,
  kAppendResponse,
  kVote,
  kVoteResponse,
  kPreVote,
  kPreVoteResponse,
  kHeartbeat,
  kHeartbeatResponse,
  kSnapshot,  // InstallSnapshot; the transport streams the data in chunks
  kTransferLeader,
  kTimeoutNow,
  kReadIndex,
  kReadIndexResponse,
};

const char* to_string(MessageType t);

inline bool is_local_message(MessageType t) {
  return t == MessageType::kHup || t == MessageType::kBeat || t == MessageType::kUnreachable ||
         t == MessageType::kSnapshotStatus || t == MessageType::kCheckQuorum;
}

inline bool is_response_message(MessageType t) {
  return t == MessageType::kAppendResponse || t == MessageType::kVoteResponse ||
         t == MessageType::kPreVoteResponse || t == MessageType::kHeartbeatResponse ||
         t == MessageType::kReadIndexResponse || t == MessageType::kUnreachable;
}

// One message between cores. Fields are used per type as in the Raft paper:
//  kAppend: index/log_term = the entry before `entries`; commit = leader's commit.
//  kAppendResponse: index = last index now matching (or the rejected index when reject);
//    reject_hint/log_term = the follower's hint for fast backtracking.
//  kVote/kPreVote: index/log_term = candidate's last entry; context = "transfer" when the
//    election follows a leadership transfer (it overrides the leader lease).
//  kHeartbeat: commit = min(leader commit, follower match); context = ReadIndex round.
//  kReadIndex/kReadIndexResponse: context = the caller's request id; index = the read index.
struct Message {
  MessageType type = MessageType::kHup;
  NodeId from = kNone;
  NodeId to = kNone;
  Term term = 0;
  Term log_term = 0;
  Index index = 0;
  std::vector<Entry> entries;
  Index commit = 0;
  bool reject = false;
  Index reject_hint = 0;
  std::shared_ptr<const Snapshot> snapshot;  // kSnapshot only; shared, never mutated
  std::string context;
};

// The result of a ReadIndex request: once applied >= index, reads for `context` are linearizable.
struct ReadState {
  Index index = 0;
  std::string context;

  bool operator==(const ReadState&) const = default;
};

enum class Role : std::uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* to_string(Role r);

// Volatile state that the driver may want to observe (not persisted).
struct SoftState {
  NodeId leader = kNone;
  Role role = Role::kFollower;

  bool operator==(const SoftState&) const = default;
};

// Size of an entry for flow control and batching limits.
inline std::uint64_t entry_size(const Entry& e) { return e.data.size() + 24; }

}  // namespace ha::raft
