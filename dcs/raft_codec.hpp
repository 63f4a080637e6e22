// Conversion between the Raft core's structs (raft/types.hpp) and their wire form
// (proto/raft.proto). Snapshot data never goes through here: it travels in chunks.
#pragma once

#include "proto/raft.pb.h"
#include "raft/types.hpp"

namespace ha::dcs {

namespace raftpb = ::ha::raftpb;

// The message without snapshot data (metadata only for kSnapshot).
void to_proto(const raft::Message& in, raftpb::Message& out);
raft::Message from_proto(const raftpb::Message& in);

void to_proto(const raft::SnapshotMetadata& in, raftpb::SnapshotMetadata& out);
raft::SnapshotMetadata from_proto(const raftpb::SnapshotMetadata& in);

}  // namespace ha::dcs
