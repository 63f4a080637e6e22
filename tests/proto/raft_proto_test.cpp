// proto/raft.proto against raft/types.hpp: same enum values and names, same fields in the same
// order (a struct that gains a field stops this file from compiling), and a full round trip.
#include <catch2/catch.hpp>
#include <cctype>
#include <string>
#include <type_traits>

#include "proto/raft.grpc.pb.h"
#include "proto/raft.pb.h"
#include "raft/types.hpp"

namespace pb = ha::raftpb;
namespace raft = ha::raft;

namespace {

// "AppendResponse" -> "APPEND_RESPONSE".
std::string upper_snake(const std::string& camel) {
  std::string out;
  for (char c : camel) {
    if (std::isupper(static_cast<unsigned char>(c)) && !out.empty()) out += '_';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::vector<std::string> field_names(const google::protobuf::Descriptor* d) {
  std::vector<std::string> names;
  for (int i = 0; i < d->field_count(); ++i) {
    REQUIRE(d->field(i)->number() == i + 1);  // numbered 1..n in declaration order
    names.push_back(d->field(i)->name());
  }
  return names;
}

}  // namespace

TEST_CASE("every raft::MessageType has the proto value of the same number and name") {
  const auto* d = pb::MessageType_descriptor();
  int cpp_count = 0;
  while (std::string(raft::to_string(static_cast<raft::MessageType>(cpp_count))) != "?") {
    const auto t = static_cast<raft::MessageType>(cpp_count);
    const auto* v = d->FindValueByNumber(cpp_count);
    INFO("C++ " << raft::to_string(t));
    REQUIRE(v != nullptr);
    CHECK(v->name() == "MSG_" + upper_snake(raft::to_string(t)));
    ++cpp_count;
  }
  CHECK(cpp_count == d->value_count());
}

TEST_CASE("EntryType numbers match") {
  CHECK(static_cast<int>(raft::EntryType::kNormal) == pb::ENTRY_NORMAL);
  CHECK(static_cast<int>(raft::EntryType::kConfChange) == pb::ENTRY_CONF_CHANGE);
  CHECK(pb::EntryType_descriptor()->value_count() == 2);
}

TEST_CASE("messages have the C++ structs' fields, in order") {
  // Structured bindings fail to compile when a struct's field count changes: then update
  // raft.proto and the names below together.
  [[maybe_unused]] auto [e_term, e_index, e_type, e_data] = raft::Entry{};
  CHECK(field_names(pb::Entry::descriptor()) ==
        std::vector<std::string>{"term", "index", "type", "data"});

  [[maybe_unused]] auto [h_term, h_vote, h_commit] = raft::HardState{};
  CHECK(field_names(pb::HardState::descriptor()) ==
        std::vector<std::string>{"term", "vote", "commit"});

  [[maybe_unused]] auto [voters, learners] = raft::ConfState{};
  CHECK(field_names(pb::ConfState::descriptor()) == std::vector<std::string>{"voters", "learners"});

  [[maybe_unused]] auto [m_index, m_term, m_conf] = raft::SnapshotMetadata{};
  CHECK(field_names(pb::SnapshotMetadata::descriptor()) ==
        std::vector<std::string>{"index", "term", "conf_state"});

  [[maybe_unused]] auto [s_meta, s_data] = raft::Snapshot{};
  CHECK(field_names(pb::Snapshot::descriptor()) == std::vector<std::string>{"metadata", "data"});

  [[maybe_unused]] auto [type, from, to, term, log_term, index, entries, commit, reject,
                         reject_hint, snapshot, context] = raft::Message{};
  static_assert(std::is_same_v<decltype(from), raft::NodeId>);
  static_assert(std::is_same_v<decltype(reject), bool>);
  static_assert(std::is_same_v<decltype(context), std::string>);
  CHECK(field_names(pb::Message::descriptor()) ==
        std::vector<std::string>{"type", "from", "to", "term", "log_term", "index", "entries",
                                 "commit", "reject", "reject_hint", "snapshot", "context"});
}

TEST_CASE("a Message with every field survives serialization") {
  pb::Message m;
  m.set_type(pb::MSG_APPEND);
  m.set_from(1);
  m.set_to(2);
  m.set_term(7);
  m.set_log_term(6);
  m.set_index(41);
  auto* e = m.add_entries();
  e->set_term(7);
  e->set_index(42);
  e->set_type(pb::ENTRY_CONF_CHANGE);
  e->set_data(std::string("a\0b", 3));
  m.set_commit(40);
  m.set_reject(true);
  m.set_reject_hint(39);
  m.mutable_snapshot()->mutable_metadata()->mutable_conf_state()->add_voters(3);
  m.set_context("ctx");

  std::string wire;
  REQUIRE(m.SerializeToString(&wire));
  pb::Message back;
  REQUIRE(back.ParseFromString(wire));
  CHECK(back.SerializeAsString() == wire);
  CHECK(back.entries(0).data() == std::string("a\0b", 3));
  CHECK(back.snapshot().metadata().conf_state().voters(0) == 3);
  CHECK(back.reject_hint() == 39);
}

TEST_CASE("the RaftTransport service has its two client-streaming methods") {
  const auto* s = pb::RaftTransport::service_full_name();
  CHECK(std::string(s) == "ha.raftpb.RaftTransport");
  const auto* d = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(s);
  REQUIRE(d != nullptr);
  REQUIRE(d->method_count() == 2);
  CHECK(d->method(0)->name() == "Stream");
  CHECK(d->method(0)->client_streaming());
  CHECK(d->method(1)->name() == "SendSnapshot");
  CHECK(d->method(1)->client_streaming());
}
