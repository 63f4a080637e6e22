// Cluster formation and replication: 3 and 5 members agree on one leader, /health and /metrics
// say so, and a write through any member is read linearizably through every other.
#include <catch2/catch.hpp>

#include "cluster_harness.hpp"

using namespace ha::itest;

namespace {

// Every member reports the leader in Status, /health says healthy, and exactly one member's
// /metrics says it leads.
void check_agreement(Cluster& c, int leader) {
  double leaders = 0;
  for (int i = 0; i < c.size(); ++i) {
    INFO("member " << c.name(i));
    etcdserverpb::StatusResponse st;
    REQUIRE(c.status(i, &st).ok());
    CHECK(st.leader() == c.member_id(leader));
    CHECK(st.raftterm() >= 1);
    HttpReply h = c.http_get(i, "/health");
    CHECK(h.status == 200);
    CHECK(h.body.find("\"true\"") != std::string::npos);
    CHECK(c.metric(i, "hadcs_has_leader") == std::optional<double>(1));
    auto is_leader = c.metric(i, "hadcs_is_leader");
    REQUIRE(is_leader.has_value());
    CHECK(*is_leader == (i == leader ? 1 : 0));
    leaders += *is_leader;
  }
  CHECK(leaders == 1);
}

// A write through each member, then a linearizable read of it through every member at once
// (no retry: once the put is acknowledged, every linearizable read must see it).
void check_writes_everywhere(Cluster& c, const std::string& prefix) {
  for (int w = 0; w < c.size(); ++w) {
    std::string key = prefix + std::to_string(w);
    std::string value = "written-through-" + c.name(w);
    etcdserverpb::PutResponse put;
    grpc::Status s = c.put(w, key, value, &put);
    INFO("put through " << c.name(w) << ": " << s.error_message());
    REQUIRE(s.ok());
    REQUIRE(put.header().revision() > 0);
    for (int r = 0; r < c.size(); ++r) {
      INFO("read through " << c.name(r));
      etcdserverpb::RangeRequest req;
      req.set_key(key);
      etcdserverpb::RangeResponse resp;
      grpc::Status rs = c.range(r, req, &resp);
      REQUIRE(rs.ok());
      REQUIRE(resp.kvs_size() == 1);
      CHECK(resp.kvs(0).value() == value);
      CHECK(resp.kvs(0).mod_revision() == put.header().revision());
      CHECK(resp.header().revision() >= put.header().revision());
    }
  }
  // One key overwritten through every member in turn: each read sees the last write.
  for (int w = 0; w < c.size(); ++w) {
    std::string value = "round-" + std::to_string(w);
    c.put_ok(w, prefix + "shared", value);
    for (int r = 0; r < c.size(); ++r) {
      INFO("read through " << c.name(r) << " after the write through " << c.name(w));
      CHECK(c.get(r, prefix + "shared") == std::optional<std::string>(value));
    }
  }
}

}  // namespace

TEST_CASE("a 3-member cluster forms with one leader and serves writes through every member",
          "[integration]") {
  Cluster c(3);
  c.start_all();
  int leader = c.wait_leader();
  check_agreement(c, leader);
  check_writes_everywhere(c, "form3/");

  // The member list names all three, none a learner, with the client URLs they serve.
  etcdserverpb::MemberListResponse list;
  auto ctx = deadline_ctx(Ms(3000));
  REQUIRE(c.cluster(1)->MemberList(ctx.get(), {}, &list).ok());
  REQUIRE(list.members_size() == 3);
  for (const auto& m : list.members()) {
    CHECK_FALSE(m.islearner());
    int i = c.index_of(m.id());
    REQUIRE(i >= 0);
    CHECK(m.name() == c.name(i));
    REQUIRE(m.peerurls_size() == 1);
    CHECK(m.peerurls(0) == c.peer_url(i));
  }
}

TEST_CASE("a 5-member cluster forms with one leader and serves writes through every member",
          "[integration]") {
  Cluster c(5);
  c.start_all();
  int leader = c.wait_leader();
  check_agreement(c, leader);
  check_writes_everywhere(c, "form5/");

  // Every member's own state catches up: serializable reads return the last write everywhere.
  std::int64_t rev = c.put_retry(leader, "form5/last", "x");
  for (int i = 0; i < c.size(); ++i) {
    INFO("serializable read through " << c.name(i));
    CHECK(eventually(Ms(5000), [&] {
      etcdserverpb::RangeRequest req;
      req.set_key("form5/last");
      req.set_serializable(true);
      etcdserverpb::RangeResponse resp;
      return c.range(i, req, &resp).ok() && resp.kvs_size() == 1 &&
             resp.kvs(0).mod_revision() == rev;
    }));
  }
}
