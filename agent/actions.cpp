#include "agent/actions.hpp"

#include <fmt/format.h>

namespace ha::agent {

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

struct Describer {
  std::string operator()(const ClaimInitializeKey&) const { return "ClaimInitializeKey"; }
  std::string operator()(const Bootstrap&) const { return "Bootstrap"; }
  std::string operator()(const SetInitializeKey& a) const {
    return "SetInitializeKey(" + a.system_identifier + ")";
  }
  std::string operator()(const DeleteInitializeKey&) const { return "DeleteInitializeKey"; }
  std::string operator()(const CloneFrom& a) const { return "CloneFrom(" + a.member + ")"; }
  std::string operator()(const AcquireLeaderLock&) const { return "AcquireLeaderLock"; }
  std::string operator()(const RefreshLeaderLock& a) const {
    return "RefreshLeaderLock(" + to_string(a.lsn) + ")";
  }
  std::string operator()(const ReleaseLeaderLock& a) const {
    return a.publish_last_lsn ? "ReleaseLeaderLock(publish last lsn)" : "ReleaseLeaderLock";
  }
  std::string operator()(const Promote&) const { return "Promote"; }
  std::string operator()(const Demote& a) const {
    return std::string("Demote(") + to_string(a.mode) + ")";
  }
  std::string operator()(const StartAsReplica& a) const {
    return "StartAsReplica(" + a.leader + ")";
  }
  std::string operator()(const FollowNewLeader& a) const {
    return "FollowNewLeader(" + a.leader + ")";
  }
  std::string operator()(const RestartPostgres&) const { return "RestartPostgres"; }
  std::string operator()(const Rewind& a) const { return "Rewind(" + a.source + ")"; }
  std::string operator()(const Reinitialize& a) const { return "Reinitialize(" + a.source + ")"; }
  std::string operator()(const UpdateMemberKey& a) const {
    return "UpdateMemberKey(" + a.member.name + ")";
  }
  std::string operator()(const WriteHistory& a) const {
    return fmt::format("WriteHistory({}, {})", a.entry.timeline, to_string(a.entry.lsn));
  }
  std::string operator()(const ClearFailoverKey&) const { return "ClearFailoverKey"; }
  std::string operator()(const SetSyncStandbys& a) const {
    return fmt::format("SetSyncStandbys({} [{}]{})", a.count, join(a.names),
                       a.strict ? " strict" : "");
  }
  std::string operator()(const WriteSyncKey& a) const {
    return "WriteSyncKey(" + a.leader + ": [" + join(a.sync_standby) + "])";
  }
  std::string operator()(const DeleteSyncKey&) const { return "DeleteSyncKey"; }
  std::string operator()(const ProbeMembers& a) const {
    return "ProbeMembers(" + join(a.names) + ")";
  }
};

}  // namespace

const char* to_string(DemoteMode mode) {
  switch (mode) {
    case DemoteMode::graceful: return "graceful";
    case DemoteMode::immediate: return "immediate";
    case DemoteMode::offline: return "offline";
  }
  return "?";
}

std::string describe(const Action& action) { return std::visit(Describer{}, action); }

}  // namespace ha::agent
