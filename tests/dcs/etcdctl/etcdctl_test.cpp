// Stock etcdctl (Debian's etcd-client, ETCDCTL_API=3) against a 3-member hadcs: put, get (single,
// --prefix, --rev), del, txn (both branches), leases, watch, member list, endpoint status and
// health, move-leader. Exits with 77 (CTest's SKIP_RETURN_CODE) when etcdctl is not installed.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>

#include "cluster_harness.hpp"

using namespace ha::itest;
namespace fs = std::filesystem;

namespace {

constexpr int kSkip = 77;

std::string etcdctl_path() {
  if (const char* env = std::getenv("HA_ETCDCTL_BIN"); env != nullptr && *env != '\0') return env;
  return "/usr/bin/etcdctl";
}

void skip_without_etcdctl() {
  if (::access(etcdctl_path().c_str(), X_OK) != 0) {
    std::cout << "SKIPPED: " << etcdctl_path()
              << " is not installed (apt-get install etcd-client)\n";
    std::exit(kSkip);
  }
}

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs etcdctl with `args` against `endpoints` (host:port list), stdin from `input`; bounded.
Run etcdctl(const Cluster& c, const std::string& endpoints, const std::vector<std::string>& args,
            const std::string& input = {}) {
  static int n = 0;
  ++n;
  std::string base = (fs::path(c.dir()) / ("etcdctl-" + std::to_string(n))).string();
  std::string in_path;
  if (!input.empty()) {
    in_path = base + ".in";
    std::ofstream(in_path) << input;
  }
  std::vector<std::string> argv = {etcdctl_path(), "--endpoints=" + endpoints,
                                   "--command-timeout=5s", "--dial-timeout=2s"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto child = Child::spawn(argv, base + ".out", {{"ETCDCTL_API", "3"}}, in_path, base + ".err");
  if (!child->wait_exit(Ms(15000))) throw HarnessError("etcdctl did not finish within 15 s");
  return {child->exit_code().value_or(-1), read_file(base + ".out"), read_file(base + ".err")};
}

std::string all_endpoints(const Cluster& c) {
  std::string out;
  for (int i = 0; i < c.size(); ++i) out += (i ? "," : "") + c.client_addr(i);
  return out;
}

std::string b64decode(const std::string& in) {
  static const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0;
  int bits = -8;
  for (char ch : in) {
    auto pos = chars.find(ch);
    if (pos == std::string::npos) break;
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

// Requires that etcdctl exited with 0 (showing its output otherwise).
void require_ok(const Run& run) {
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  REQUIRE(run.code == 0);
}

}  // namespace

TEST_CASE("etcdctl put get del txn and watch against hadcs", "[integration][etcdctl]") {
  skip_without_etcdctl();
  Cluster c(3);
  c.start_all();
  c.wait_leader();
  std::string ep0 = c.client_addr(0);
  std::string ep1 = c.client_addr(1);

  Run r = etcdctl(c, ep0, {"put", "foo", "bar"});
  require_ok(r);
  CHECK(r.out == "OK\n");
  // Read through another member.
  r = etcdctl(c, ep1, {"get", "foo"});
  require_ok(r);
  CHECK(r.out == "foo\nbar\n");

  // The revision of the first value, from JSON output; then overwrite and read the old one back.
  r = etcdctl(c, ep1, {"get", "foo", "-w", "json"});
  require_ok(r);
  auto j = nlohmann::json::parse(r.out);
  std::int64_t rev1 = j.at("kvs").at(0).at("mod_revision").get<std::int64_t>();
  CHECK(b64decode(j.at("kvs").at(0).at("key").get<std::string>()) == "foo");
  CHECK(b64decode(j.at("kvs").at(0).at("value").get<std::string>()) == "bar");
  CHECK(j.at("header").at("revision").get<std::int64_t>() >= rev1);
  require_ok(etcdctl(c, ep1, {"put", "foo", "baz"}));
  r = etcdctl(c, ep0, {"get", "foo"});
  CHECK(r.out == "foo\nbaz\n");
  r = etcdctl(c, ep0, {"get", "foo", "--rev=" + std::to_string(rev1)});
  require_ok(r);
  CHECK(r.out == "foo\nbar\n");

  // Prefix reads.
  for (const char* k : {"dir/a", "dir/b", "dir/c", "dirt"})
    require_ok(etcdctl(c, ep0, {"put", k, std::string("v-") + k}));
  r = etcdctl(c, ep1, {"get", "--prefix", "dir/"});
  require_ok(r);
  CHECK(r.out == "dir/a\nv-dir/a\ndir/b\nv-dir/b\ndir/c\nv-dir/c\n");
  r = etcdctl(c, ep1, {"get", "--prefix", "--keys-only", "dir"});
  require_ok(r);
  CHECK(r.out == "dir/a\n\ndir/b\n\ndir/c\n\ndirt\n\n");

  // Delete: the count, then the key is gone; a prefix delete.
  r = etcdctl(c, ep1, {"del", "dir/a"});
  require_ok(r);
  CHECK(r.out == "1\n");
  r = etcdctl(c, ep0, {"get", "dir/a"});
  require_ok(r);
  CHECK(r.out.empty());
  r = etcdctl(c, ep0, {"del", "--prefix", "dir/"});
  require_ok(r);
  CHECK(r.out == "2\n");
  r = etcdctl(c, ep0, {"del", "nothing-here"});
  require_ok(r);
  CHECK(r.out == "0\n");

  // Txn: compares, blank line, success ops, blank line, failure ops, blank line.
  require_ok(etcdctl(c, ep0, {"put", "lock", "me"}));
  r = etcdctl(c, ep1, {"txn"},
              "value(\"lock\") = \"me\"\n\nput lock still-me\nput txn-branch success\n\nput "
              "txn-branch failure\n\n");
  require_ok(r);
  CHECK(r.out == "SUCCESS\n\nOK\n\nOK\n");
  r = etcdctl(c, ep0, {"get", "lock"});
  CHECK(r.out == "lock\nstill-me\n");
  r = etcdctl(
      c, ep0, {"txn"},
      "value(\"lock\") = \"me\"\n\nput txn-branch success\n\nput txn-branch failure\nget lock\n\n");
  require_ok(r);
  CHECK(r.out == "FAILURE\n\nOK\n\nlock\nstill-me\n");
  r = etcdctl(c, ep1, {"get", "txn-branch"});
  CHECK(r.out == "txn-branch\nfailure\n");
  // A create-if-absent (the leader-lock idiom): succeeds once, then fails.
  std::string create = "create(\"leader\") = \"0\"\n\nput leader n1\n\nget leader\n\n";
  r = etcdctl(c, ep0, {"txn"}, create);
  require_ok(r);
  CHECK(r.out.rfind("SUCCESS", 0) == 0);
  r = etcdctl(c, ep1, {"txn"}, create);
  require_ok(r);
  CHECK(r.out == "FAILURE\n\nleader\nn1\n");

  // Watch in the background from a known revision, then write; the printed events must follow.
  r = etcdctl(c, ep0, {"get", "foo", "-w", "json"});
  std::int64_t now = nlohmann::json::parse(r.out).at("header").at("revision").get<std::int64_t>();
  std::string watch_out = (fs::path(c.dir()) / "watch.out").string();
  auto watcher = Child::spawn({etcdctl_path(), "--endpoints=" + ep1, "watch", "--prefix", "wt/",
                               "--rev=" + std::to_string(now + 1)},
                              watch_out, {{"ETCDCTL_API", "3"}});
  require_ok(etcdctl(c, ep0, {"put", "wt/1", "one"}));
  require_ok(etcdctl(c, ep0, {"put", "other", "not-watched"}));
  require_ok(etcdctl(c, ep1, {"put", "wt/2", "two"}));
  require_ok(etcdctl(c, ep0, {"del", "wt/1"}));
  const std::string expected = "PUT\nwt/1\none\nPUT\nwt/2\ntwo\nDELETE\nwt/1\n\n";
  bool seen = eventually(
      Ms(10000), [&] { return read_file(watch_out).size() >= expected.size(); }, Ms(50));
  INFO("watch printed:\n" << read_file(watch_out));
  CHECK(seen);
  CHECK(read_file(watch_out) == expected);
  CHECK(watcher->alive());
  watcher->kill_and_reap();
}

TEST_CASE("etcdctl lease grant put --lease keep-alive timetolive and revoke against hadcs",
          "[integration][etcdctl]") {
  skip_without_etcdctl();
  Cluster c(3);
  c.start_all();
  int leader = c.wait_leader();
  std::string via = c.client_addr((leader + 1) % 3);  // a follower: lease calls are forwarded

  Run r = etcdctl(c, via, {"lease", "grant", "30"});
  require_ok(r);
  std::smatch m;
  REQUIRE(
      std::regex_search(r.out, m, std::regex("^lease ([0-9a-f]+) granted with TTL\\(30s\\)\n$")));
  std::string id = m[1];

  require_ok(etcdctl(c, via, {"put", "--lease=" + id, "leased/a", "x"}));
  require_ok(etcdctl(c, via, {"put", "--lease=" + id, "leased/b", "y"}));
  r = etcdctl(c, via, {"lease", "keep-alive", "--once", id});
  require_ok(r);
  CHECK(r.out == "lease " + id + " keepalived with TTL(30)\n");

  r = etcdctl(c, via, {"lease", "timetolive", "--keys", id});
  require_ok(r);
  INFO(r.out);
  REQUIRE(std::regex_search(r.out, m,
                            std::regex("^lease " + id +
                                       " granted with TTL\\(30s\\), remaining\\(([0-9]+)s\\), "
                                       "attached keys\\(\\[(.*)\\]\\)\n$")));
  int remaining = std::stoi(m[1]);
  CHECK(remaining > 20);
  CHECK(remaining <= 30);
  std::string keys = m[2];
  CHECK(keys.find("leased/a") != std::string::npos);
  CHECK(keys.find("leased/b") != std::string::npos);

  r = etcdctl(c, via, {"lease", "list"});
  require_ok(r);
  CHECK(r.out.find(id) != std::string::npos);

  // An unknown lease on put: etcd's error text reaches the user.
  r = etcdctl(c, via, {"put", "--lease=1234abcd", "leased/c", "z"});
  CHECK(r.code != 0);
  CHECK(r.err.find("requested lease not found") != std::string::npos);

  r = etcdctl(c, c.client_addr(leader), {"lease", "revoke", id});
  require_ok(r);
  CHECK(r.out == "lease " + id + " revoked\n");
  // The attached keys are gone on every member.
  for (int i = 0; i < 3; ++i) {
    r = etcdctl(c, c.client_addr(i), {"get", "--prefix", "leased/"});
    require_ok(r);
    CHECK(r.out.empty());
  }
  r = etcdctl(c, via, {"lease", "timetolive", id});
  require_ok(r);
  CHECK(r.out == "lease " + id + " already expired\n");
}

TEST_CASE("etcdctl member list endpoint status and health and move-leader against hadcs",
          "[integration][etcdctl]") {
  skip_without_etcdctl();
  Cluster c(3);
  c.start_all();
  int leader = c.wait_leader();
  std::string all = all_endpoints(c);

  // member list: "id, started, name, peer URLs, client URLs, is learner" per member. A member
  // publishes its client URLs shortly after it has a leader (etcd does so before it serves
  // clients; hadcs serves at once), so wait until all three have.
  Run r;
  eventually(
      Ms(5000),
      [&] {
        r = etcdctl(c, c.client_addr(0), {"member", "list"});
        return r.code == 0 && r.out.find(", , ") == std::string::npos;
      },
      Ms(100));
  require_ok(r);
  for (int i = 0; i < 3; ++i) {
    std::string line = hex(c.member_id(i)) + ", started, " + c.name(i) + ", " + c.peer_url(i) +
                       ", " + c.client_url(i) + ", false";
    INFO("member list:\n" << r.out << "expected line: " << line);
    CHECK(r.out.find(line + "\n") != std::string::npos);
  }
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 3);

  // endpoint status: one line per endpoint, the leader's ID on every line, "true" for the leader.
  r = etcdctl(c, all, {"endpoint", "status"});
  require_ok(r);
  INFO("endpoint status:\n" << r.out);
  for (int i = 0; i < 3; ++i) {
    std::regex line("(^|\n)" + c.client_addr(i) + ", " + hex(c.member_id(i)) + ", [^,]+, [^,]+, " +
                    (i == leader ? "true" : "false") + ", false, [0-9]+, [0-9]+, [0-9]+, \n");
    CHECK(std::regex_search(r.out, line));
  }

  r = etcdctl(c, all, {"endpoint", "health"});
  INFO("endpoint health:\nstdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.code == 0);
  for (int i = 0; i < 3; ++i) {
    std::string text = r.out + r.err;
    CHECK(text.find(c.client_addr(i) + " is healthy") != std::string::npos);
  }

  // move-leader to a named follower; endpoint status then shows it as the leader.
  int target = (leader + 1) % 3;
  std::string tid = hex(c.member_id(target));
  r = etcdctl(c, all, {"move-leader", tid});
  require_ok(r);
  CHECK(r.out.find("Leadership transferred from " + hex(c.member_id(leader)) + " to " + tid) !=
        std::string::npos);
  CHECK(c.wait_leader() == target);
  r = etcdctl(c, all, {"endpoint", "status", "-w", "json"});
  require_ok(r);
  auto j = nlohmann::json::parse(r.out);
  REQUIRE(j.size() == 3);
  for (const auto& e : j) {
    INFO(e.dump());
    CHECK(e.at("Status").at("leader").get<std::uint64_t>() == c.member_id(target));
  }
  // And the cluster serves writes under the new leader.
  r = etcdctl(c, c.client_addr(leader), {"put", "after-move", "ok"});
  require_ok(r);
  r = etcdctl(c, c.client_addr(target), {"get", "after-move", "--print-value-only"});
  CHECK(r.out == "ok\n");
}
