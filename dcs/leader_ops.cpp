#include "dcs/leader_ops.hpp"

#include "dcs/server_errors.hpp"
#include "dcs/member_id.hpp"

namespace ha::dcs {

void LeaderOps::lease_keep_alive(const etcdserverpb::LeaseKeepAliveRequest& req,
                                 Reply<etcdserverpb::LeaseKeepAliveResponse> reply) {
  // A leader cut off from its quorum must not renew: a new leader may already count the lease
  // down, and the holder would believe it has more time than it has. So a keep-alive is
  // answered only after a ReadIndex round confirms, after it arrived, that this member still
  // leads; any later leader then gives the lease a full TTL from after that moment.
  const auto deadline = DcsCore::Clock::now() + core_.options().request_timeout;
  core_.read(true, deadline, [this, id = req.id(), reply = std::move(reply)](Status st) {
    if (!st.ok()) return reply(st.error());
    if (!core_.is_leader()) return reply(errors::not_leader());
    etcdserverpb::LeaseKeepAliveResponse resp;
    core_.fill_header(resp.mutable_header());
    resp.set_id(id);
    resp.set_ttl(core_.renew_lease(id));  // 0: unknown or expired, as etcd answers
    reply(std::move(resp));
  });
}

void LeaderOps::lease_time_to_live(const etcdserverpb::LeaseTimeToLiveRequest& req,
                                   Reply<etcdserverpb::LeaseTimeToLiveResponse> reply) {
  core_.run([this, req, reply = std::move(reply)] {
    if (!core_.is_leader()) return reply(errors::not_leader());
    auto r = core_.sm().lease_time_to_live(req.id(), req.keys());
    if (!r.ok()) {
      // etcd answers an unknown lease with TTL -1 rather than an error.
      if (r.error().code == ErrorCode::kNotFound) {
        etcdserverpb::LeaseTimeToLiveResponse resp;
        core_.fill_header(resp.mutable_header());
        resp.set_id(req.id());
        resp.set_ttl(-1);
        return reply(std::move(resp));
      }
      return reply(r.error());
    }
    etcdserverpb::LeaseTimeToLiveResponse resp = std::move(r).value();
    core_.fill_header(resp.mutable_header());
    resp.set_ttl(core_.lease_timer().remaining_seconds(req.id(), DcsCore::Clock::now()));
    reply(std::move(resp));
  });
}

void LeaderOps::member_add(const etcdserverpb::MemberAddRequest& req, DcsCore::Deadline deadline,
                           Reply<etcdserverpb::MemberAddResponse> reply) {
  core_.run([this, req, deadline, reply = std::move(reply)] {
    if (!core_.is_leader()) return reply(errors::not_leader());
    dcspb::MemberRecord m;
    for (const auto& u : req.peerurls()) m.add_peer_urls(u);
    m.set_is_learner(req.islearner());
    // A new ID from the peer URLs and the time: the proposer chooses, the log records it.
    MemberIdentity ident{"", {req.peerurls().begin(), req.peerurls().end()}};
    m.set_id(member_id(ident, std::to_string(DcsCore::Clock::now().time_since_epoch().count())));
    Status ok = core_.sm().members().check_add(m);
    if (!ok.ok()) return reply(ok.error());
    raft::ConfChange cc;
    cc.type = req.islearner() ? raft::ConfChangeType::kAddLearner : raft::ConfChangeType::kAddVoter;
    cc.node = m.id();
    cc.context = m.SerializeAsString();
    core_.change_membership(cc, deadline, [this, m, reply](Status st) {
      if (!st.ok()) return reply(st.error());
      etcdserverpb::MemberAddResponse resp;
      core_.fill_header(resp.mutable_header());
      *resp.mutable_member() = MemberTable::to_etcd(m);
      core_.sm().members().to_etcd(resp.mutable_members());
      reply(std::move(resp));
    });
  });
}

void LeaderOps::member_remove(const etcdserverpb::MemberRemoveRequest& req, DcsCore::Deadline deadline,
                              Reply<etcdserverpb::MemberRemoveResponse> reply) {
  core_.run([this, id = req.id(), deadline, reply = std::move(reply)] {
    if (!core_.is_leader()) return reply(errors::not_leader());
    Status ok = core_.sm().members().check_remove(id);
    if (!ok.ok()) return reply(ok.error());
    raft::ConfChange cc;
    cc.type = raft::ConfChangeType::kRemoveNode;
    cc.node = id;
    dcspb::MemberRecord m;
    m.set_id(id);
    cc.context = m.SerializeAsString();
    core_.change_membership(cc, deadline, [this, reply](Status st) {
      if (!st.ok()) return reply(st.error());
      etcdserverpb::MemberRemoveResponse resp;
      core_.fill_header(resp.mutable_header());
      core_.sm().members().to_etcd(resp.mutable_members());
      reply(std::move(resp));
    });
  });
}

void LeaderOps::member_promote(const etcdserverpb::MemberPromoteRequest& req, DcsCore::Deadline deadline,
                               Reply<etcdserverpb::MemberPromoteResponse> reply) {
  core_.run([this, id = req.id(), deadline, reply = std::move(reply)] {
    if (!core_.is_leader()) return reply(errors::not_leader());
    Status ok = core_.sm().members().check_promote(id);
    if (!ok.ok()) return reply(ok.error());
    // Like etcd: only a learner that has caught up (90% of the leader's log) may become a voter.
    raft::Status rs = core_.driver().node().status();
    bool ready = false;
    for (const auto& p : rs.peers) {
      if (p.id == id) ready = p.match * 10 >= rs.last_index * 9;
    }
    if (!ready) {
      return reply(Error{ErrorCode::kFailedPrecondition,
                         "etcdserver: can only promote a learner member which is in sync with leader"});
    }
    raft::ConfChange cc;
    cc.type = raft::ConfChangeType::kAddVoter;
    cc.node = id;
    dcspb::MemberRecord m = *core_.sm().members().find(id);
    m.set_is_learner(false);
    cc.context = m.SerializeAsString();
    core_.change_membership(cc, deadline, [this, reply](Status st) {
      if (!st.ok()) return reply(st.error());
      etcdserverpb::MemberPromoteResponse resp;
      core_.fill_header(resp.mutable_header());
      core_.sm().members().to_etcd(resp.mutable_members());
      reply(std::move(resp));
    });
  });
}

void LeaderOps::move_leader(const etcdserverpb::MoveLeaderRequest& req, DcsCore::Deadline deadline,
                            Reply<etcdserverpb::MoveLeaderResponse> reply) {
  core_.run([this, target = req.targetid(), deadline, reply = std::move(reply)] {
    if (!core_.is_leader()) return reply(errors::not_leader());
    if (target == core_.options().self) {
      etcdserverpb::MoveLeaderResponse resp;
      core_.fill_header(resp.mutable_header());
      return reply(std::move(resp));
    }
    raft::ProposeResult r = core_.driver().node().transfer_leader(target);
    if (r == raft::ProposeResult::kInvalid) {
      return reply(Error{ErrorCode::kNotFound, "etcdserver: bad leader transferee (not a voting member)"});
    }
    if (r != raft::ProposeResult::kOk) return reply(errors::from_propose(r));
    wait_for_leader(target, deadline, std::move(reply));
  });
}

void LeaderOps::wait_for_leader(raft::NodeId target, DcsCore::Deadline deadline,
                                Reply<etcdserverpb::MoveLeaderResponse> reply) {
  // Runs on the driver thread: check now, then again every tick until the deadline.
  raft::NodeId leader = core_.driver().node().leader();
  if (leader == target) {
    etcdserverpb::MoveLeaderResponse resp;
    core_.fill_header(resp.mutable_header());
    return reply(std::move(resp));
  }
  if (DcsCore::Clock::now() >= deadline) {
    return reply(Error{ErrorCode::kDeadlineExceeded, "etcdserver: leadership transfer did not finish in time"});
  }
  core_.driver().post_after(core_.driver().tick_interval(), [this, target, deadline, reply = std::move(reply)]() mutable {
    wait_for_leader(target, deadline, std::move(reply));
  });
}

}  // namespace ha::dcs
