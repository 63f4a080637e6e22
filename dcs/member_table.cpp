#include "dcs/member_table.hpp"

namespace ha::dcs {

bool MemberTable::peer_url_taken(const std::string& url, std::uint64_t except_id) const {
  for (const auto& [id, m] : members_) {
    if (id == except_id) continue;
    for (const auto& u : m.peer_urls())
      if (u == url) return true;
  }
  return false;
}

Status MemberTable::check_add(const dcspb::MemberRecord& m) const {
  if (m.id() == 0) return errors::malformed("member id 0");
  if (members_.count(m.id()) != 0) return errors::member_exists();
  for (const auto& u : m.peer_urls())
    if (peer_url_taken(u, m.id())) return errors::peer_url_exists();
  return {};
}

Status MemberTable::check_promote(std::uint64_t id) const {
  auto it = members_.find(id);
  if (it == members_.end()) return errors::member_not_found();
  if (!it->second.is_learner()) return errors::member_not_learner();
  return {};
}

Status MemberTable::check_remove(std::uint64_t id) const {
  if (members_.count(id) == 0) return errors::member_not_found();
  return {};
}

Status MemberTable::check_update(std::uint64_t id,
                                 const std::vector<std::string>& peer_urls) const {
  if (members_.count(id) == 0) return errors::member_not_found();
  for (const auto& u : peer_urls)
    if (peer_url_taken(u, id)) return errors::peer_url_exists();
  return {};
}

void MemberTable::add(const dcspb::MemberRecord& m) { members_[m.id()] = m; }

void MemberTable::promote(std::uint64_t id) {
  auto it = members_.find(id);
  if (it != members_.end()) it->second.set_is_learner(false);
}

void MemberTable::remove(std::uint64_t id) { members_.erase(id); }

void MemberTable::set_attributes(const dcspb::MemberRecord& m) {
  auto it = members_.find(m.id());
  if (it == members_.end()) return;
  it->second.set_name(m.name());
  *it->second.mutable_client_urls() = m.client_urls();
}

void MemberTable::set_peer_urls(std::uint64_t id, const std::vector<std::string>& peer_urls) {
  auto it = members_.find(id);
  if (it == members_.end()) return;
  it->second.clear_peer_urls();
  for (const auto& u : peer_urls) it->second.add_peer_urls(u);
}

const dcspb::MemberRecord* MemberTable::find(std::uint64_t id) const {
  auto it = members_.find(id);
  return it == members_.end() ? nullptr : &it->second;
}

std::vector<dcspb::MemberRecord> MemberTable::all() const {
  std::vector<dcspb::MemberRecord> out;
  out.reserve(members_.size());
  for (const auto& [id, m] : members_) out.push_back(m);
  return out;
}

etcdserverpb::Member MemberTable::to_etcd(const dcspb::MemberRecord& m) {
  etcdserverpb::Member e;
  e.set_id(m.id());
  e.set_name(m.name());
  *e.mutable_peerurls() = m.peer_urls();
  *e.mutable_clienturls() = m.client_urls();
  e.set_islearner(m.is_learner());
  return e;
}

void MemberTable::to_etcd(google::protobuf::RepeatedPtrField<etcdserverpb::Member>* out) const {
  out->Clear();
  for (const auto& [id, m] : members_) *out->Add() = to_etcd(m);
}

void MemberTable::save(dcspb::StateMachineSnapshot& out) const {
  out.clear_members();
  for (const auto& [id, m] : members_) *out.add_members() = m;
}

Status MemberTable::load(const dcspb::StateMachineSnapshot& in) {
  std::map<std::uint64_t, dcspb::MemberRecord> members;
  for (const auto& m : in.members()) {
    if (m.id() == 0) return errors::malformed("snapshot member with id 0");
    if (!members.emplace(m.id(), m).second)
      return errors::malformed("snapshot member listed twice");
  }
  members_ = std::move(members);
  return {};
}

}  // namespace ha::dcs
