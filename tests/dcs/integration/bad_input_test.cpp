// Bad input and faults: an oversized value and an unknown lease get clear errors while the member
// keeps serving; a damaged data directory makes hadcs exit non-zero naming the directory.
#include <catch2/catch.hpp>
#include <filesystem>

#include "cluster_harness.hpp"

using namespace ha::itest;
namespace fs = std::filesystem;

TEST_CASE("oversized values and unknown leases get clear errors and the member keeps serving",
          "[integration]") {
  constexpr std::uint64_t kMax = 64 * 1024;
  ClusterOptions o;
  o.max_request_bytes = kMax;
  Cluster c(o);
  c.start_all();
  int leader = c.wait_leader();
  int follower = (leader + 1) % 3;

  for (int i : {leader, follower}) {
    INFO("through " << c.name(i));
    // Just over the limit (checked by hadcs) and far over it (refused by the transport).
    for (std::size_t size :
         {static_cast<std::size_t>(kMax) + 1024, static_cast<std::size_t>(4 * kMax)}) {
      INFO("value of " << size << " bytes");
      grpc::Status s = c.put(i, "bad/big", std::string(size, 'x'));
      CHECK_FALSE(s.ok());
      CHECK((s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
             s.error_code() == grpc::StatusCode::INVALID_ARGUMENT));
      CHECK_FALSE(s.error_message().empty());
      INFO("message: " << s.error_message());
      CHECK((s.error_message().find("too large") != std::string::npos ||
             s.error_message().find("larger than max") != std::string::npos));
    }
    // Just under the limit is fine.
    grpc::Status fits = c.put(i, "bad/fits", std::string(kMax / 2, 'y'));
    INFO(fits.error_message());
    CHECK(fits.ok());

    // An unknown lease: etcd's exact text, and nothing written.
    etcdserverpb::PutResponse resp;
    grpc::Status nl = c.put(i, "bad/leased", "v", &resp, 0x7123456789abcdefLL);
    CHECK(nl.error_code() == grpc::StatusCode::NOT_FOUND);
    CHECK(nl.error_message() == "etcdserver: requested lease not found");
    CHECK_FALSE(c.get(i, "bad/leased").has_value());
    CHECK_FALSE(c.get(i, "bad/big").has_value());

    // An empty key.
    grpc::Status ek = c.put(i, "", "v");
    CHECK(ek.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(ek.error_message() == "etcdserver: key is not provided");
  }

  // Every member still runs and serves.
  for (int i = 0; i < 3; ++i) {
    INFO(c.name(i));
    CHECK(c.running(i));
    c.put_ok(i, "bad/ok", c.name(i));
    CHECK(c.get((i + 1) % 3, "bad/ok") == std::optional<std::string>(c.name(i)));
    CHECK(c.http_get(i, "/health").status == 200);
  }
  CHECK(c.get(leader, "bad/fits") == std::optional<std::string>(std::string(kMax / 2, 'y')));
}

TEST_CASE("a damaged data directory makes hadcs exit non-zero with a message naming the directory",
          "[integration]") {
  Cluster c(1);
  c.start_all();
  c.wait_leader();
  for (int k = 0; k < 20; ++k) c.put_ok(0, "dd/" + std::to_string(k), "v");
  c.stop(0);
  REQUIRE(c.process(0)->exit_code() == std::optional<int>(0));

  fs::path raft_dir = fs::path(c.data_dir(0)) / "raft";
  REQUIRE(fs::is_directory(raft_dir));

  // The file to damage: each section truncates a different one.
  std::string pick;
  SECTION("the MANIFEST truncated") { pick = "MANIFEST-"; }
  SECTION("CURRENT truncated") { pick = "CURRENT"; }
  fs::path victim;
  for (const auto& e : fs::directory_iterator(raft_dir)) {
    if (e.path().filename().string().rfind(pick, 0) == 0) victim = e.path();
  }
  INFO("damaging " << victim);
  REQUIRE_FALSE(victim.empty());
  fs::resize_file(victim, fs::file_size(victim) / 3);

  c.spawn(0);
  Child* p = c.process(0);
  bool exited = p->wait_exit(Ms(15000));
  std::string log = c.log(0);
  log = log.substr(log.rfind("==== harness: start"));  // this start's output only
  INFO("log:\n" << log);
  REQUIRE(exited);
  CHECK(p->exit_code().value_or(0) != 0);
  CHECK(p->exit_code().value_or(0) < 128);  // an orderly exit, not a crash
  // The error line itself names the directory (not just an earlier "restarting from" line).
  auto err = log.find("cannot start");
  REQUIRE(err != std::string::npos);
  std::string error_line = log.substr(err, log.find('\n', err) - err);
  CHECK(error_line.find(c.data_dir(0)) != std::string::npos);
}
