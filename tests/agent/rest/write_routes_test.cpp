// The write endpoints with a fake DCS store and a fake HA loop: basic auth, body limits and bad
// JSON; switchover and failover checked as Patroni checks them, written with compare-and-set
// and awaited on the StatusBoard; PATCH/PUT /config merge, validation and conflicts; restart,
// reload and reinitialize answered by the loop.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/dcs_values.hpp"
#include "agent/rest/basic_auth.hpp"
#include "agent/rest/config_routes.hpp"
#include "agent/rest/failover_routes.hpp"
#include "agent/rest/router.hpp"
#include "tests/agent/rest/fake_store.hpp"
#include "tests/agent/rest/status_builders.hpp"

using namespace ha::agent;
using namespace ha::agent::rest;
using namespace ha::agent::rest::test;
using nlohmann::json;

namespace {

struct Harness {
  AgentConfig cfg = config();
  StatusBoard board;
  AdminRequests admin;
  FakeStore store;
  RestContext ctx;
  int sleeps = 0;
  std::function<void(int)> on_sleep;  // called with the sleep's number

  explicit Harness(AgentStatus status = replica_status()) {
    board.publish(std::move(status));
    ctx.config = &cfg;
    ctx.board = &board;
    ctx.admin = &admin;
    ctx.store = &store;
    ctx.wall_now = [] { return kNow; };
    ctx.sleep = [this](Millis) {
      ++sleeps;
      if (on_sleep) on_sleep(sleeps);
    };
    ctx.options.switchover_wait = std::chrono::milliseconds(3000);
    ctx.options.poll_interval = std::chrono::milliseconds(100);
  }

  HttpResponse send(const std::string& method, const std::string& path, const std::string& body,
                    Params headers = {}) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.body = body;
    req.headers = std::move(headers);
    return handle_request(req, ctx);
  }
  HttpResponse post(const std::string& path, const json& body) {
    return send("POST", path, body.dump());
  }

  // The loop's next decisions: the leader key now names `holder`, the failover key is gone.
  void leader_becomes(const std::string& holder) {
    AgentStatus s = *board.get();
    s.dcs.leader = LeaderKey{holder, 8, 200};
    s.dcs.failover.reset();
    ++s.loops;
    board.publish(s);
  }
  // A decision that dropped the failover key and kept the leader.
  void request_dropped(const std::string& why) {
    AgentStatus s = *board.get();
    s.dcs.failover.reset();
    s.last_decision = why;
    ++s.loops;
    board.publish(s);
  }
};

std::variant<FailoverPlan, HttpResponse> check(FailoverAction a, const json& body,
                                               const AgentStatus& s) {
  return check_failover_request(a, body, s, kNow);
}

int refusal(const std::variant<FailoverPlan, HttpResponse>& v, std::string* body = nullptr) {
  if (const auto* r = std::get_if<HttpResponse>(&v)) {
    if (body) *body = r->body;
    return r->status;
  }
  return 0;
}

}  // namespace

TEST_CASE("basic auth: the header is checked exactly") {
  const Credentials c{"admin", "pa:ss"};
  CHECK(basic_auth_matches("Basic " + encode_base64("admin:pa:ss"), c));
  CHECK(basic_auth_matches("basic  " + encode_base64("admin:pa:ss") + " ", c));
  CHECK_FALSE(basic_auth_matches("Basic " + encode_base64("admin:pa:s"), c));
  CHECK_FALSE(basic_auth_matches("Basic " + encode_base64("admin:pa:sss"), c));
  CHECK_FALSE(basic_auth_matches("Bearer " + encode_base64("admin:pa:ss"), c));
  CHECK_FALSE(basic_auth_matches("Basic !!!", c));
  CHECK_FALSE(basic_auth_matches(std::nullopt, c));
  CHECK(decode_base64(encode_base64("a")) == "a");
  CHECK(decode_base64(encode_base64("ab")) == "ab");
  CHECK(decode_base64(encode_base64("abc")) == "abc");
  CHECK(encode_base64("admin:secret") == "YWRtaW46c2VjcmV0");
}

TEST_CASE("writes without the configured credentials: 401; reads stay open") {
  Harness h;
  h.cfg.restapi.authentication = Credentials{"admin", "secret"};
  auto r = h.send("POST", "/switchover", R"({"leader":"node1"})");
  CHECK(r.status == 401);
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0].first == "WWW-Authenticate");
  r = h.send("PATCH", "/config", "{}", {{"authorization", "Basic " + encode_base64("admin:no")}});
  CHECK(r.status == 401);
  CHECK(h.store.failover_writes == 0);
  CHECK(h.send("GET", "/replica", "").status == 200);
  // With them the request goes through (here: refused for its content, not for auth).
  r = h.send("POST", "/switchover", R"({"leader":"node9"})",
             {{"Authorization", "Basic " + encode_base64("admin:secret")}});
  CHECK(r.status == 412);
}

TEST_CASE("bodies: over the limit 413, bad JSON 400 naming the problem, wrong shapes 400") {
  Harness h;
  h.ctx.options.max_body = 100;
  auto r = h.send("POST", "/switchover", std::string(101, ' '));
  CHECK(r.status == 413);
  CHECK(r.body.find("at most 100") != std::string::npos);
  r = h.send("POST", "/switchover", R"({"leader": )");
  CHECK(r.status == 400);
  CHECK(r.body.find("not valid JSON") != std::string::npos);
  r = h.send("POST", "/failover", "[1]");
  CHECK(r.status == 400);
  CHECK(r.body.find("JSON object") != std::string::npos);
  r = h.send("POST", "/switchover", R"({"leader": 5})");
  CHECK(r.status == 400);
  CHECK(r.body.find("leader: expected a string") != std::string::npos);
  r = h.send("POST", "/switchover", R"({"leader": "node1", "when": "now"})");
  CHECK(r.status == 400);
  CHECK(r.body.find("unknown key 'when'") != std::string::npos);
  r = h.send("PATCH", "/config", "{");
  CHECK(r.status == 400);
  CHECK(h.store.failover_writes == 0);
}

TEST_CASE("switchover checks: leader named and current, candidate a healthy member") {
  const AgentStatus s = replica_status();
  std::string body;
  CHECK(refusal(check(FailoverAction::switchover, json::object(), s), &body) == 400);
  CHECK(body.find("only from a specific leader") != std::string::npos);
  CHECK(refusal(check(FailoverAction::switchover, {{"leader", "node2"}}, s), &body) == 412);
  CHECK(body.find("leader name does not match") != std::string::npos);
  CHECK(refusal(check(FailoverAction::switchover, {{"leader", "node1"}, {"candidate", "node1"}},
                      s)) == 400);
  CHECK(refusal(check(FailoverAction::switchover, {{"leader", "node1"}, {"candidate", "nodeX"}}, s),
                &body) == 412);
  CHECK(body.find("does not exist") != std::string::npos);

  AgentStatus tagged = s;
  tagged.dcs.members[2].tags.nofailover = true;
  CHECK(refusal(check(FailoverAction::switchover, {{"leader", "node1"}, {"candidate", "node3"}},
                      tagged),
                &body) == 412);
  CHECK(body.find("nofailover") != std::string::npos);

  AgentStatus stopped = s;
  stopped.dcs.members[2].state = "stopped";
  CHECK(refusal(check(FailoverAction::switchover, {{"leader", "node1"}, {"candidate", "node3"}},
                      stopped),
                &body) == 412);
  CHECK(body.find("not running") != std::string::npos);

  // No candidate: any healthy member will do; none is a 412 naming each problem.
  auto ok = check(FailoverAction::switchover, {{"leader", "node1"}}, s);
  REQUIRE(std::holds_alternative<FailoverPlan>(ok));
  CHECK(std::get<FailoverPlan>(ok).request.leader == "node1");
  CHECK(std::get<FailoverPlan>(ok).request.candidate.empty());
  AgentStatus none = s;
  none.dcs.members[1].tags.nofailover = true;
  none.dcs.members[2].state = "crashed";
  CHECK(refusal(check(FailoverAction::switchover, {{"leader", "node1"}}, none), &body) == 412);
  CHECK(body.find("no good candidates") != std::string::npos);
  CHECK(body.find("node2") != std::string::npos);
  CHECK(body.find("node3") != std::string::npos);

  // Synchronous mode: only a listed standby.
  AgentStatus sync = s;
  sync.dcs.config.synchronous_mode = true;
  sync.dcs.sync = SyncState{"node1", {"node2"}, 3};
  CHECK(refusal(
            check(FailoverAction::switchover, {{"leader", "node1"}, {"candidate", "node3"}}, sync),
            &body) == 412);
  CHECK(body.find("sync_standby") != std::string::npos);
  CHECK(std::holds_alternative<FailoverPlan>(
      check(FailoverAction::switchover, {{"leader", "node1"}, {"candidate", "node2"}}, sync)));

  // The DCS must be reachable to judge.
  AgentStatus down = s;
  down.dcs.reachable = false;
  CHECK(refusal(check(FailoverAction::switchover, {{"leader", "node1"}}, down)) == 503);
}

TEST_CASE("failover checks: a candidate is required; no leader is fine; lag is not checked") {
  AgentStatus s = replica_status();
  std::string body;
  CHECK(refusal(check(FailoverAction::failover, json::object(), s), &body) == 400);
  CHECK(body.find("only to a specific candidate") != std::string::npos);
  CHECK(refusal(check(FailoverAction::failover, {{"candidate", "node1"}}, s), &body) == 412);
  CHECK(body.find("already the leader") != std::string::npos);

  AgentStatus leaderless = s;
  leaderless.dcs.leader.reset();
  leaderless.dcs.members[2].xlog_location = Lsn{0x100};  // far behind: still allowed
  auto plan = check(FailoverAction::failover, {{"candidate", "node3"}}, leaderless);
  REQUIRE(std::holds_alternative<FailoverPlan>(plan));
  CHECK(std::get<FailoverPlan>(plan).action == FailoverAction::failover);
  CHECK(std::get<FailoverPlan>(plan).request.leader.empty());

  // Naming the leader makes it a switchover, as in Patroni.
  plan = check(FailoverAction::failover, {{"leader", "node1"}, {"candidate", "node3"}}, s);
  REQUIRE(std::holds_alternative<FailoverPlan>(plan));
  CHECK(std::get<FailoverPlan>(plan).action == FailoverAction::switchover);

  CHECK(refusal(check(FailoverAction::failover,
                      {{"candidate", "node3"}, {"scheduled_at", "2099-01-01T00:00:00+00:00"}}, s),
                &body) == 400);
  CHECK(body.find("can't be scheduled") != std::string::npos);
}

TEST_CASE("schedules: future with a time zone; not while paused; paused needs a candidate") {
  const AgentStatus s = replica_status();
  std::string body;
  auto plan = check(FailoverAction::switchover,
                    {{"leader", "node1"}, {"scheduled_at", "2099-01-01T00:00:00+00:00"}}, s);
  REQUIRE(std::holds_alternative<FailoverPlan>(plan));
  CHECK(std::get<FailoverPlan>(plan).scheduled());
  CHECK(refusal(check(FailoverAction::switchover,
                      {{"leader", "node1"}, {"scheduled_at", "2099-01-01T00:00:00"}}, s),
                &body) == 422);
  CHECK(body.find("time zone") != std::string::npos);
  CHECK(refusal(check(FailoverAction::switchover,
                      {{"leader", "node1"}, {"scheduled_at", "2000-01-01T00:00:00Z"}}, s),
                &body) == 422);
  CHECK(body.find("past") != std::string::npos);

  AgentStatus paused = s;
  paused.paused = true;
  CHECK(refusal(check(FailoverAction::switchover,
                      {{"leader", "node1"}, {"scheduled_at", "2099-01-01T00:00:00+00:00"}}, paused),
                &body) == 400);
  CHECK(body.find("paused") != std::string::npos);
  CHECK(refusal(check(FailoverAction::switchover, {{"leader", "node1"}}, paused), &body) == 400);
  CHECK(body.find("specific candidate") != std::string::npos);
  CHECK(std::holds_alternative<FailoverPlan>(
      check(FailoverAction::switchover, {{"leader", "node1"}, {"candidate", "node2"}}, paused)));
}

TEST_CASE("POST /switchover: the failover key is created, then the leader change awaited") {
  Harness h;
  h.on_sleep = [&](int n) {
    if (n == 3) h.leader_becomes("node3");
  };
  const auto r = h.post("/switchover", {{"leader", "node1"}, {"candidate", "node3"}});
  CHECK(r.status == 200);
  CHECK(r.body == "Successfully switched over to \"node3\"\n");
  REQUIRE(h.store.failover);
  const auto written = decode_failover(h.store.failover->value);
  REQUIRE(written);
  CHECK(written->leader == "node1");
  CHECK(written->candidate == "node3");
  CHECK_FALSE(written->scheduled_at);
  CHECK(h.sleeps == 3);
}

TEST_CASE("POST /switchover: a candidate still starting in the last view is asked about again") {
  AgentStatus s = replica_status();
  s.dcs.members[2].state = "starting";
  Harness h(s);
  h.on_sleep = [&](int n) {
    if (n == 2) {  // the loop's next decision sees node3 running
      AgentStatus next = *h.board.get();
      next.dcs.members[2].state = "running";
      ++next.loops;
      h.board.publish(next);
    }
    if (n == 4) h.leader_becomes("node3");
  };
  const auto r = h.post("/switchover", {{"leader", "node1"}, {"candidate", "node3"}});
  CHECK(r.status == 200);
  CHECK(r.body == "Successfully switched over to \"node3\"\n");
  CHECK(h.store.failover_writes == 1);
}

TEST_CASE("POST /switchover: refused once two more decisions still see the candidate stopped") {
  AgentStatus s = replica_status();
  s.dcs.members[2].state = "stopped";
  Harness h(s);
  h.on_sleep = [&](int) {
    AgentStatus next = *h.board.get();
    ++next.loops;
    h.board.publish(next);
  };
  auto r = h.post("/switchover", {{"leader", "node1"}, {"candidate", "node3"}});
  CHECK(r.status == 412);
  CHECK(r.body.find("candidate 'node3' is not running (stopped)") != std::string::npos);
  CHECK(h.sleeps == 2);
  CHECK(h.store.failover_writes == 0);
  // A loop that decides nothing more: refused after fresh_view_wait (3 s in 100 ms polls).
  h.on_sleep = nullptr;
  h.sleeps = 0;
  r = h.post("/switchover", {{"leader", "node1"}, {"candidate", "node3"}});
  CHECK(r.status == 412);
  CHECK(h.sleeps == 30);
  // A request refused for its own sake (400) is answered at once.
  h.sleeps = 0;
  CHECK(h.post("/switchover", {{"leader", "node1"}, {"candidate", "node1"}}).status == 400);
  CHECK(h.sleeps == 0);
}

TEST_CASE("POST /failover: another member won, the answer says so") {
  AgentStatus s = replica_status();
  s.dcs.leader.reset();
  Harness h(s);
  h.on_sleep = [&](int n) {
    if (n == 2) h.leader_becomes("node2");
  };
  const auto r = h.post("/failover", {{"candidate", "node3"}});
  CHECK(r.status == 200);
  CHECK(r.body == "Failed over to \"node2\" instead of \"node3\"\n");
}

TEST_CASE("POST /switchover: the request dropped by the leader is a 503 with its reason") {
  Harness h;
  h.on_sleep = [&](int n) {
    if (n == 1 || n == 2) h.request_dropped("switchover to node3 refused: node3 is 2 MiB behind");
  };
  const auto r = h.post("/switchover", {{"leader", "node1"}, {"candidate", "node3"}});
  CHECK(r.status == 503);
  CHECK(r.body.find("Switchover failed: switchover to node3 refused") == 0);
}

TEST_CASE("POST /switchover: no change within the wait is 503 'status unknown'") {
  Harness h;
  AgentStatus s = *h.board.get();
  s.dcs.failover = FailoverRequest{"node1", "node3", std::nullopt, 0};
  h.board.publish(s);  // the key stays; nothing else happens
  h.store.failover = StoredValue{"{}", 0};
  const auto r = h.post("/switchover", {{"leader", "node1"}, {"candidate", "node3"}});
  CHECK(r.status == 503);
  CHECK(r.body.find("Switchover status unknown") == 0);
  CHECK(r.body.find("3 s") != std::string::npos);
  CHECK(h.sleeps == 30);
}

TEST_CASE("POST /switchover: compare-and-set on the failover key the view shows") {
  Harness h;
  AgentStatus s = *h.board.get();
  s.dcs.failover = FailoverRequest{"node1", "node2", kNow + std::chrono::hours(1), 42};
  h.board.publish(s);
  h.store.failover = StoredValue{"{}", 43};  // changed since the view was read
  auto r =
      h.post("/switchover", {{"leader", "node1"}, {"scheduled_at", "2099-01-01T00:00:00+00:00"}});
  CHECK(r.status == 503);
  CHECK(r.body.find("failed to write failover key") == 0);
  h.store.failover = StoredValue{"{}", 42};
  r = h.post("/switchover", {{"leader", "node1"}, {"scheduled_at", "2099-01-01T00:00:00+00:00"}});
  CHECK(r.status == 202);
  CHECK(r.body.find("Switchover scheduled at 2099-01-01T00:00:00+00:00") == 0);
  CHECK(h.sleeps == 0);
  h.store.down = true;
  r = h.post("/switchover", {{"leader", "node1"}, {"candidate", "node2"}});
  CHECK(r.status == 503);
  CHECK(r.body.find("no hadcs member reachable") != std::string::npos);
}

TEST_CASE("config patch: merge semantics, null deletes, nested maps merge") {
  const json current = {
      {"ttl", 30},
      {"loop_wait", 10},
      {"retry_timeout", 10},
      {"postgresql", {{"parameters", {{"max_connections", 100}, {"work_mem", "4MB"}}}}}};
  auto merged = merge_config_patch(
      current,
      {{"loop_wait", 5},
       {"postgresql", {{"parameters", {{"work_mem", nullptr}, {"wal_level", "replica"}}}}}});
  REQUIRE(std::holds_alternative<json>(merged));
  const json& m = std::get<json>(merged);
  CHECK(m["ttl"] == 30);
  CHECK(m["loop_wait"] == 5);
  CHECK(m["postgresql"]["parameters"] == json{{"max_connections", 100}, {"wal_level", "replica"}});

  // Validation: every error is listed with its key.
  auto bad = merge_config_patch(current, {{"ttl", 1}, {"bogus", true}});
  REQUIRE(std::holds_alternative<HttpResponse>(bad));
  const auto& r = std::get<HttpResponse>(bad);
  CHECK(r.status == 400);
  CHECK(r.body.find("ttl") != std::string::npos);
  CHECK(r.body.find("bogus") != std::string::npos);
  // Unsafe timing after the merge is refused too.
  auto unsafe = merge_config_patch(current, {{"loop_wait", 20}});
  REQUIRE(std::holds_alternative<HttpResponse>(unsafe));
  CHECK(std::get<HttpResponse>(unsafe).body.find("exceeds ttl") != std::string::npos);
}

TEST_CASE("PATCH /config: read, merge, compare-and-set; 409 on a concurrent change") {
  Harness h;
  h.store.config = StoredValue{R"({"ttl": 30, "loop_wait": 10, "retry_timeout": 10})", 5};
  auto r = h.send("PATCH", "/config", R"({"maximum_lag_on_failover": 2048, "loop_wait": null})");
  CHECK(r.status == 200);
  const json written = json::parse(h.store.config->value);
  CHECK(written == json{{"ttl", 30}, {"retry_timeout", 10}, {"maximum_lag_on_failover", 2048}});
  CHECK(json::parse(r.body) == written);
  CHECK(h.store.config->mod_revision == 11);

  // GET /config shows the stored document.
  r = h.send("GET", "/config", "");
  CHECK(r.status == 200);
  CHECK(json::parse(r.body) == written);

  // Someone else writes between our read and our write.
  struct Racing final : ClusterStore {
    FakeStore& inner;
    explicit Racing(FakeStore& s) : inner(s) {}
    StoreWrite write_failover(const FailoverRequest& q, std::optional<std::int64_t> e) override {
      return inner.write_failover(q, e);
    }
    StoreRead read_config() override {
      auto read = inner.read_config();
      inner.write_config(R"({"ttl": 60})", std::nullopt);
      return read;
    }
    StoreWrite write_config(const std::string& j, std::optional<std::int64_t> e) override {
      return inner.write_config(j, e);
    }
  } racing(h.store);
  h.ctx.store = &racing;
  r = h.send("PATCH", "/config", R"({"ttl": 40})");
  CHECK(r.status == 409);
  CHECK(json::parse(h.store.config->value) == json{{"ttl", 60}});
  h.ctx.store = &h.store;

  // Invalid: 400 and nothing written.
  r = h.send("PATCH", "/config", R"({"ttl": "soon"})");
  CHECK(r.status == 400);
  CHECK(r.body.find("ttl") != std::string::npos);
  CHECK(json::parse(h.store.config->value) == json{{"ttl", 60}});

  // No config yet: PATCH cannot, PUT can.
  h.store.config.reset();
  CHECK(h.send("PATCH", "/config", R"({"ttl": 40})").status == 503);
  CHECK(h.send("GET", "/config", "").status == 502);
  r = h.send("PUT", "/config", R"({"ttl": 40, "loop_wait": 10, "retry_timeout": 10})");
  CHECK(r.status == 200);
  REQUIRE(h.store.config);
  CHECK(json::parse(h.store.config->value)["ttl"] == 40);
  CHECK(h.send("PUT", "/config", R"({"ttl": 40, "loop_wait": 30, "retry_timeout": 10})").status ==
        400);
  h.store.down = true;
  CHECK(h.send("GET", "/config", "").status == 502);
  CHECK(h.send("PUT", "/config", R"({"ttl": 40})").status == 502);
}

TEST_CASE("POST /restart, /reload, /reinitialize: the loop's answer, or 503") {
  Harness h;
  h.ctx.options.admin_wait = std::chrono::milliseconds(3000);
  std::vector<AdminRequest> seen;
  std::thread loop([&] {
    for (int answered = 0, spins = 0; answered < 3 && spins < 500; ++spins) {
      if (auto t = h.admin.take()) {
        seen.push_back(t->request);
        if (t->request.kind == AdminRequest::Kind::reinitialize) {
          t->promise.set_value({false, "reinitialize refused: I am the leader"});
        } else {
          t->promise.set_value({true, std::string(to_string(t->request.kind)) + "ed"});
        }
        ++answered;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  });
  auto r = h.send("POST", "/restart", R"({"restart_pending": true})");
  CHECK(r.status == 200);
  CHECK(r.body == "restarted\n");
  r = h.send("POST", "/reload", "");
  CHECK(r.status == 200);
  r = h.send("POST", "/reinitialize", R"({"force": true})");
  CHECK(r.status == 503);
  CHECK(r.body == "reinitialize refused: I am the leader\n");
  loop.join();
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].kind == AdminRequest::Kind::restart);
  CHECK(seen[0].only_if_pending_restart);
  CHECK(seen[2].force);

  CHECK(h.send("POST", "/restart", R"({"restart_pending": "yes"})").status == 400);
  CHECK(h.send("POST", "/reload", R"({"force": true})").status == 400);
  // Nobody answers: 503 after the wait.
  h.ctx.options.admin_wait = std::chrono::milliseconds(50);
  r = h.send("POST", "/reload", "");
  CHECK(r.status == 503);
  CHECK(r.body.find("no answer from the HA loop") != std::string::npos);
}
