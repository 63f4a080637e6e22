#include "tests/raft/sim/describe.hpp"

#include "raft/conf_change.hpp"
#include "tests/raft/sim/kv_command.hpp"

namespace ha::raft::sim {

namespace {

std::string ids(const std::vector<NodeId>& v) {
  std::string s;
  for (NodeId id : v) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}

const char* cc_name(ConfChangeType t) {
  switch (t) {
    case ConfChangeType::kAddVoter: return "add-voter";
    case ConfChangeType::kAddLearner: return "add-learner";
    case ConfChangeType::kRemoveNode: return "remove";
  }
  return "?";
}

}  // namespace

std::string describe(const Entry& e) {
  std::string s = std::to_string(e.index) + "@t" + std::to_string(e.term);
  if (e.type == EntryType::kConfChange) {
    auto cc = decode_conf_change(e.data);
    s += cc ? std::string("[") + cc_name(cc->type) + " " + std::to_string(cc->node) + "]" : "[bad conf change]";
  } else if (e.data.empty()) {
    s += "[no-op]";
  } else if (auto put = decode_put(e.data)) {
    s += "[put " + put->key + "=" + std::to_string(put->value) + "]";
  } else {
    s += "[" + std::to_string(e.data.size()) + " bytes]";
  }
  return s;
}

std::string describe(const Message& m) {
  std::string s = std::string(to_string(m.type)) + " " + std::to_string(m.from) + "->" + std::to_string(m.to) +
                  " t" + std::to_string(m.term);
  if (m.index != 0 || m.log_term != 0) s += " idx=" + std::to_string(m.index) + " lt=" + std::to_string(m.log_term);
  if (m.commit != 0) s += " commit=" + std::to_string(m.commit);
  if (m.reject) s += " REJECT hint=" + std::to_string(m.reject_hint);
  if (!m.entries.empty()) {
    s += " entries=[" + describe(m.entries.front());
    if (m.entries.size() > 1) s += " .. " + describe(m.entries.back());
    s += "]";
  }
  if (m.snapshot) s += " snap=" + std::to_string(m.snapshot->metadata.index) + "@t" + std::to_string(m.snapshot->metadata.term);
  if (!m.context.empty()) s += " ctx=" + m.context;
  return s;
}

std::string describe(const HardState& hs) {
  return "{term " + std::to_string(hs.term) + " vote " + std::to_string(hs.vote) + " commit " +
         std::to_string(hs.commit) + "}";
}

std::string describe(const ConfState& cs) { return "{voters " + ids(cs.voters) + " learners " + ids(cs.learners) + "}"; }

}  // namespace ha::raft::sim
