// The dynamic config (the DCS's /config JSON): defaults, round trip, Patroni's spellings, and
// each error, including the timing rule that is enforced rather than silently rewritten.
#include "agent/dynamic_config.hpp"

#include <catch2/catch.hpp>

using namespace ha::agent;
using nlohmann::json;

namespace {

std::vector<std::string> errors_of(const json& v) {
  std::vector<std::string> out;
  for (const auto& e : parse_dynamic_config(v).errors) out.push_back(e.path + ": " + e.message);
  return out;
}

std::string one_error(const json& v) {
  const auto errors = errors_of(v);
  INFO("errors: " << errors.size());
  REQUIRE(errors.size() == 1);
  return errors[0];
}

}  // namespace

TEST_CASE("dynamic config: our defaults are safe by our own rules") {
  const DynamicConfig d;
  CHECK(d.ttl == std::chrono::seconds(3));
  CHECK(d.loop_wait == Millis(1000));
  CHECK(d.retry_timeout == Millis(1000));
  CHECK(d.loop_wait + 2 * d.retry_timeout <= d.ttl);
  CHECK(d.maximum_lag_on_failover == 1048576u);
  CHECK(d.master_start_timeout == Millis(30000));
  CHECK(d.check_timeline);
  CHECK_FALSE(d.synchronous_mode);
  CHECK(d.postgresql.use_slots);
  CHECK(check_safety_margin(d, Millis(500), "", "watchdog.safety_margin").empty());
  CHECK(parse_dynamic_config(json::object()).config == d);
}

TEST_CASE("dynamic config: every key round-trips through JSON") {
  DynamicConfig d;
  d.ttl = std::chrono::seconds(10);
  d.loop_wait = Millis(500);
  d.retry_timeout = Millis(2000);
  d.maximum_lag_on_failover = 4096;
  d.synchronous_mode = true;
  d.synchronous_mode_strict = true;
  d.synchronous_node_count = 2;
  d.check_timeline = false;
  d.master_start_timeout = Millis(0);
  d.pause = true;
  d.postgresql.parameters = {{"max_connections", 300}, {"wal_level", "logical"}};
  d.postgresql.use_slots = false;
  const json j = to_json(d);
  CHECK(j["loop_wait"] == 0.5);
  CHECK(j["ttl"] == 10);
  const auto back = parse_dynamic_config(j);
  CHECK(back.errors.empty());
  CHECK(back.config == d);
}

TEST_CASE("dynamic config: Patroni spellings (primary_start_timeout, synchronous_mode \"on\")") {
  const auto p = parse_dynamic_config(
      json{{"primary_start_timeout", 12}, {"synchronous_mode", "on"}, {"ttl", 30}});
  CHECK(p.errors.empty());
  CHECK(p.config.master_start_timeout == Millis(12000));
  CHECK(p.config.synchronous_mode);
}

TEST_CASE("dynamic config errors: the timing rule names the sum and the fix") {
  CHECK(one_error(json{{"ttl", 3}, {"loop_wait", 1}, {"retry_timeout", 2}}) ==
        "ttl: loop_wait (1 s) + 2 x retry_timeout (2 s) = 5 s exceeds ttl (3 s): a leader that "
        "loses the DCS right after a refresh notices up to loop_wait later and may spend "
        "retry_timeout on a read and again on a write, so its lock could expire (and a replica "
        "be promoted) before it demotes. Raise ttl to at least 5 or lower loop_wait / "
        "retry_timeout");
  // Patroni's own defaults pass.
  CHECK(errors_of(json{{"ttl", 30}, {"loop_wait", 10}, {"retry_timeout", 10}}).empty());
}

TEST_CASE("dynamic config errors: minimums, types and unknown keys") {
  CHECK_THAT(one_error(json{{"ttl", 1}}), Catch::Matchers::StartsWith("ttl: must be at least 2"));
  CHECK(one_error(json{{"ttl", 2.5}}) == "ttl: expected a whole number, got a number (2.5)");
  CHECK(one_error(json{{"loop_wait", 0}}) == "loop_wait: must be between 0.1 and 3600, got 0");
  CHECK(one_error(json{{"synchronous_mode", "quorum"}}) ==
        "synchronous_mode: quorum commit is not supported yet; use true or false");
  CHECK(one_error(json{{"synchronous_node_count", 0}}) ==
        "synchronous_node_count: must be between 1 and 255, got 0");
  CHECK(one_error(json{{"maximum_lag_on_failover", "1MB"}}) ==
        "maximum_lag_on_failover: expected a whole number, got a string (\"1MB\")");
  CHECK(one_error(json{{"loop_wiat", 1}}) == "loop_wiat: unknown key (did you mean 'loop_wait'?)");
  CHECK(one_error(json{{"failsafe_mode", true}}) ==
        "failsafe_mode: unknown key; a Patroni setting haagent does not support yet; remove it");
  CHECK(one_error(json{{"postgresql", {{"use_pg_rewind", true}}}}) ==
        "postgresql.use_pg_rewind: unknown key; set it per node in the YAML config "
        "(postgresql.use_pg_rewind)");
  CHECK(one_error(json{{"postgresql", {{"parameters", {{"work_mem", json::array()}}}}}}) ==
        "postgresql.parameters.work_mem: expected a string, number or boolean, got a list");
  CHECK(one_error(json{{"master_start_timeout", 1}, {"primary_start_timeout", 2}}) ==
        "primary_start_timeout: master_start_timeout and primary_start_timeout are the same "
        "setting; give one");
  CHECK(one_error(json::array()) == ": expected a map of keys to values, got a list");
}
