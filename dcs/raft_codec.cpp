#include "dcs/raft_codec.hpp"

namespace ha::dcs {

void to_proto(const raft::SnapshotMetadata& in, raftpb::SnapshotMetadata& out) {
  out.set_index(in.index);
  out.set_term(in.term);
  auto* cs = out.mutable_conf_state();
  for (raft::NodeId v : in.conf_state.voters) cs->add_voters(v);
  for (raft::NodeId l : in.conf_state.learners) cs->add_learners(l);
}

raft::SnapshotMetadata from_proto(const raftpb::SnapshotMetadata& in) {
  raft::SnapshotMetadata out;
  out.index = in.index();
  out.term = in.term();
  out.conf_state.voters.assign(in.conf_state().voters().begin(), in.conf_state().voters().end());
  out.conf_state.learners.assign(in.conf_state().learners().begin(), in.conf_state().learners().end());
  return out;
}

void to_proto(const raft::Message& in, raftpb::Message& out) {
  out.set_type(static_cast<raftpb::MessageType>(in.type));
  out.set_from(in.from);
  out.set_to(in.to);
  out.set_term(in.term);
  out.set_log_term(in.log_term);
  out.set_index(in.index);
  out.set_commit(in.commit);
  out.set_reject(in.reject);
  out.set_reject_hint(in.reject_hint);
  out.set_context(in.context);
  out.mutable_entries()->Reserve(static_cast<int>(in.entries.size()));
  for (const raft::Entry& e : in.entries) {
    auto* pe = out.add_entries();
    pe->set_term(e.term);
    pe->set_index(e.index);
    pe->set_type(static_cast<raftpb::EntryType>(e.type));
    pe->set_data(e.data);
  }
  if (in.snapshot) to_proto(in.snapshot->metadata, *out.mutable_snapshot()->mutable_metadata());
}

raft::Message from_proto(const raftpb::Message& in) {
  raft::Message out;
  out.type = static_cast<raft::MessageType>(in.type());
  out.from = in.from();
  out.to = in.to();
  out.term = in.term();
  out.log_term = in.log_term();
  out.index = in.index();
  out.commit = in.commit();
  out.reject = in.reject();
  out.reject_hint = in.reject_hint();
  out.context = in.context();
  out.entries.reserve(static_cast<std::size_t>(in.entries_size()));
  for (const auto& pe : in.entries()) {
    raft::Entry e;
    e.term = pe.term();
    e.index = pe.index();
    e.type = static_cast<raft::EntryType>(pe.type());
    e.data = pe.data();
    out.entries.push_back(std::move(e));
  }
  return out;
}

}  // namespace ha::dcs
