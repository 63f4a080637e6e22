// hactl against a real cluster: list shows the leader and two streaming replicas; switchover to
// a named candidate moves the primary and one naming the wrong leader is refused; pause makes
// every member publish maintenance mode; restart of a replica comes back streaming; after
// resume the cluster fails over again by itself.
#include <stdio.h>
#include <sys/wait.h>

#include <array>
#include <thread>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/agent/e2e/e2e_checks.hpp"

namespace ha::e2e {
namespace {

struct Run {
  int code = -1;
  std::string out;  // stdout and stderr
};

// hactl with the cluster found by --dcs/--scope; stdin is empty (every command gets --force).
Run hactl(HaCluster& c, const std::string& args) {
  std::string dcs;
  for (int i = 0; i < c.dcs().size(); ++i) dcs += (i ? "," : "") + c.dcs().client_addr(i);
  const std::string cmd = std::string(HA_HACTL_BINARY) + " --dcs " + dcs + " --scope " + kScope +
                          " " + args + " </dev/null 2>&1";
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) r.out += buf.data();
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// `hactl list` once every replica's member key says it streams and the leader's agent has
// seen that too: an agent publishes its key, and reads the others', once per loop (loop_wait),
// so right after PostgreSQL reports streaming both may lag by up to a loop.
Run list_when_streaming(HaCluster& c, int leader, std::size_t replicas, Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    Run list = hactl(c, "list");
    const bool seen_by_leader =  // /cluster: every member "state": "running", leader included
        count_of(c.node(leader).api_get("/cluster").body, "\"running\"") >= replicas + 1;
    if ((count_of(list.out, "streaming") >= replicas && seen_by_leader) ||
        Clock::now() >= deadline) {
      return list;
    }
    std::this_thread::sleep_for(Ms(200));
  }
}

// Every member key says "pause": true (or, with want=false, none does).
bool members_paused(HaCluster& c, bool want) {
  for (int i = 0; i < c.size(); ++i) {
    const auto v = c.dcs_get("members/" + c.node(i).name());
    if (!v) return false;
    const auto j = nlohmann::json::parse(*v, nullptr, false);
    const bool paused = j.is_object() && j.value("pause", false);
    if (paused != want) return false;
  }
  return true;
}

TEST_CASE("e2e hactl list, switchover, pause, resume and restart on real agents", "[e2e]") {
  HaCluster c;
  const int p = c.wait_primary(Ms(60000));
  c.wait_streaming(p, c.others(p), Ms(60000));

  const auto list = list_when_streaming(c, p, 2, Ms(10000));
  INFO(list.out);
  REQUIRE(list.code == 0);
  CHECK(contains(list.out, c.node(p).name()));
  CHECK(contains(list.out, "Leader"));
  CHECK(contains(list.out, "streaming"));

  // Switchover to a named candidate.
  const int candidate = c.others(p).front();
  const auto sw = hactl(c, "switchover --leader " + c.node(p).name() + " --candidate " +
                               c.node(candidate).name() + " --force");
  INFO(sw.out);
  CHECK(sw.code == 0);
  CHECK(c.wait_primary(Ms(30000), p) == candidate);
  c.wait_streaming(candidate, c.others(candidate), Ms(60000));

  // A switchover naming the wrong leader is refused and changes nothing.
  const auto wrong = hactl(c, "switchover --leader " + c.node(p).name() + " --candidate " +
                                  c.node(p).name() + " --force");
  INFO(wrong.out);
  CHECK(wrong.code != 0);
  CHECK(c.leader() == candidate);

  // Pause: every member publishes it.
  const auto pause = hactl(c, "pause --wait");
  INFO(pause.out);
  CHECK(pause.code == 0);
  CHECK(members_paused(c, true));
  const int replica = c.others(candidate).front();
  const auto restart = hactl(c, "restart " + c.node(replica).name() + " --force");
  INFO(restart.out);
  CHECK(restart.code == 0);
  c.wait_streaming(candidate, {replica}, Ms(60000));

  const auto resume = hactl(c, "resume --wait");
  INFO(resume.out);
  CHECK(resume.code == 0);
  CHECK(members_paused(c, false));

  // After resume the cluster fails over again on its own.
  c.node(candidate).crash_node(AgentNode::Crash::agent_and_postgres);
  const int p2 = c.wait_primary(Ms(30000), candidate);
  CHECK(p2 != candidate);
  const auto after = hactl(c, "list");
  INFO(after.out);
  CHECK(after.code == 0);
  CHECK(contains(after.out, c.node(p2).name()));
  require_no_split_brain(c);
}

}  // namespace
}  // namespace ha::e2e
