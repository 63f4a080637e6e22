// Membership at runtime: a 4th member added as a learner catches up, is promoted to a voter and
// removed again; a member of another cluster (another --initial-cluster-token) is refused with
// "cluster ID mismatch" and disturbs nothing.
#include <catch2/catch.hpp>

#include "cluster_harness.hpp"

using namespace ha::itest;

namespace {

etcdserverpb::MemberListResponse member_list(const Cluster& c, int i) {
  etcdserverpb::MemberListResponse resp;
  auto ctx = deadline_ctx(Ms(3000));
  grpc::Status s = c.cluster(i)->MemberList(ctx.get(), {}, &resp);
  if (!s.ok()) throw HarnessError("MemberList through " + c.name(i) + ": " + s.error_message());
  return resp;
}

std::string dump(const etcdserverpb::MemberListResponse& l) {
  std::string out;
  for (const auto& m : l.members()) {
    out += "  " + hex(m.id()) + " " + m.name() + (m.islearner() ? " learner" : " voter") + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("a 4th member joins as a learner and catches up then is promoted and removed",
          "[integration]") {
  Cluster c(3);
  c.start_all();
  c.wait_leader();
  for (int k = 0; k < 30; ++k) c.put_ok(k % 3, "mb/" + std::to_string(k), std::to_string(k));

  int n4 = c.add_member_spec("n4");
  etcdserverpb::MemberAddRequest add;
  add.add_peerurls(c.peer_url(n4));
  add.set_islearner(true);
  etcdserverpb::MemberAddResponse added;
  auto actx = deadline_ctx(Ms(5000));
  grpc::Status as = c.cluster(1)->MemberAdd(actx.get(), add, &added);
  INFO(as.error_message());
  REQUIRE(as.ok());
  std::uint64_t id4 = added.member().id();
  REQUIRE(id4 != 0);
  CHECK(added.member().islearner());
  CHECK(added.members_size() == 4);

  c.start(n4);
  CHECK(c.member_id(n4) == id4);
  // It receives the data as a learner: its own reads return everything written before it joined.
  bool has_data = eventually(Ms(10000), [&] {
    etcdserverpb::RangeRequest req;
    req.set_key("mb/");
    req.set_range_end("mb0");
    req.set_serializable(true);
    req.set_count_only(true);
    etcdserverpb::RangeResponse resp;
    return c.range(n4, req, &resp).ok() && resp.count() == 30;
  });
  INFO(c.logs_tail());
  REQUIRE(has_data);
  etcdserverpb::StatusResponse st;
  REQUIRE(c.status(n4, &st).ok());
  CHECK(st.islearner());

  // Promote (retried while the leader does not yet count it as in sync).
  grpc::Status ps;
  etcdserverpb::MemberPromoteResponse promoted;
  bool ok = eventually(
      Ms(10000),
      [&] {
        etcdserverpb::MemberPromoteRequest pr;
        pr.set_id(id4);
        auto pctx = deadline_ctx(Ms(3000));
        ps = c.cluster(0)->MemberPromote(pctx.get(), pr, &promoted);
        return ps.ok();
      },
      Ms(100));
  INFO("promote: " << ps.error_message());
  REQUIRE(ok);

  // Every member, the new one included, lists 4 voters.
  for (int i = 0; i < 4; ++i) {
    INFO("member list through " << c.name(i));
    bool four_voters = eventually(Ms(5000), [&] {
      auto l = member_list(c, i);
      if (l.members_size() != 4) return false;
      for (const auto& m : l.members()) {
        if (m.islearner()) return false;
      }
      return true;
    });
    INFO(dump(member_list(c, i)));
    CHECK(four_voters);
  }
  REQUIRE(c.status(n4, &st).ok());
  CHECK_FALSE(st.islearner());
  int leader = c.wait_leader();
  // The new voter serves writes and linearizable reads.
  c.put_ok(n4, "mb/from-n4", "yes");
  for (int i = 0; i < 4; ++i) CHECK(c.get(i, "mb/from-n4") == std::optional<std::string>("yes"));

  // Remove it (through a member that is not the leader, which forwards).
  int via = leader == 0 ? 1 : 0;
  etcdserverpb::MemberRemoveRequest rm;
  rm.set_id(id4);
  etcdserverpb::MemberRemoveResponse removed;
  auto rctx = deadline_ctx(Ms(5000));
  grpc::Status rs = c.cluster(via)->MemberRemove(rctx.get(), rm, &removed);
  INFO(rs.error_message());
  REQUIRE(rs.ok());
  CHECK(removed.members_size() == 3);
  for (int i = 0; i < 3; ++i) {
    INFO("member list through " << c.name(i));
    bool three = eventually(Ms(5000), [&] { return member_list(c, i).members_size() == 3; });
    INFO(dump(member_list(c, i)));
    CHECK(three);
    auto list = member_list(c, i);
    for (const auto& m : list.members()) CHECK(m.id() != id4);
  }
  c.kill(n4);
  // The three go on: one leader, writes through each.
  c.wait_leader(Ms(10000), {0, 1, 2});
  for (int i = 0; i < 3; ++i) REQUIRE(c.put_retry(i, "mb/after-remove", c.name(i)) > 0);
  for (int i = 0; i < 3; ++i)
    CHECK(c.get(i, "mb/after-remove") == std::optional<std::string>(c.name(2)));
}

TEST_CASE("a member of another cluster is refused with a cluster ID mismatch and disturbs nothing",
          "[integration]") {
  Cluster c(3);
  c.start_all();
  int leader = c.wait_leader();
  etcdserverpb::StatusResponse before;
  REQUIRE(c.status(leader, &before).ok());
  c.put_ok(leader, "cm/k", "v1");

  // A stranger that names two of our members as its peers, bootstrapped with another token: its
  // cluster ID differs, so our members must refuse its Raft traffic.
  int x = c.add_member_spec("x", false);
  c.set_initial_cluster(x, "x=" + c.peer_url(x) + ",n2=" + c.peer_url(1) + ",n3=" + c.peer_url(2));
  c.set_extra_args(x, {"--initial-cluster-token", "another-cluster"});
  c.spawn(x);
  // The stranger is told why (the refusal carries "cluster ID mismatch"), and our members log
  // that they refused it.
  bool told = eventually(
      Ms(10000), [&] { return c.log(x).find("cluster ID mismatch") != std::string::npos; }, Ms(50));
  bool logged = eventually(
      Ms(5000),
      [&] {
        for (int i = 1; i < 3; ++i) {
          if (c.log(i).find("member of another cluster") != std::string::npos) return true;
        }
        return false;
      },
      Ms(50));
  INFO(c.logs_tail());
  CHECK(told);
  CHECK(logged);

  // The cluster is undisturbed: same leader, same term, writes and reads through every member.
  for (int i = 0; i < 3; ++i) {
    etcdserverpb::StatusResponse st;
    REQUIRE(c.status(i, &st).ok());
    CHECK(st.leader() == before.leader());
    CHECK(st.raftterm() == before.raftterm());
  }
  for (int i = 0; i < 3; ++i) c.put_ok(i, "cm/k", "v-" + c.name(i));
  for (int i = 0; i < 3; ++i) CHECK(c.get(i, "cm/k") == std::optional<std::string>("v-n3"));
  auto l = member_list(c, 0);
  CHECK(l.members_size() == 3);
  // The stranger is not part of anything: it has no leader.
  if (c.running(x)) {
    etcdserverpb::StatusResponse xs;
    if (c.status(x, &xs).ok()) CHECK(xs.leader() == 0);
  }
}
