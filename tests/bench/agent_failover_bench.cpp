// agent_failover_bench: times of haagent's failover paths on a real 3-node cluster on this
// machine (3 hadcs, 3 haagent as postgres, PostgreSQL 15), with the agent's default dynamic
// config (ttl 3 s, loop_wait 1 s, retry_timeout 1 s). Prints the median and the max of each:
//  - unplanned failover: kill -9 of the primary's agent and PostgreSQL -> the first write
//    acknowledged by the new primary (a writer tries every node every 10 ms);
//  - whole-node crash: the same with the agent's fence guard killed too, as when the machine
//    dies (the guard cannot revoke the lease: the lock goes when it expires);
//  - PostgreSQL-only crash: kill -9 of the primary's PostgreSQL (all its processes gone) -> the
//    first write it acknowledges again;
//  - planned switchover: the longest gap between acknowledged writes of a writer that writes
//    every 20 ms while POST /switchover moves the primary to another node;
//  - bootstrap: starting the 3 agents (hadcs already up) -> a leader and two streaming replicas.
// Must run as root (the agents and PostgreSQL run as postgres). Not a test.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "tests/agent/e2e/ha_cluster.hpp"
#include "tests/agent/e2e/pg_probe.hpp"
#include "tests/agent/e2e/sql_writer.hpp"

using namespace ha::e2e;

namespace {

struct Figures {
  std::vector<double> ms;
  std::vector<std::string> failures;
};

void print_row(const std::string& what, const Figures& f) {
  auto v = f.ms;
  std::sort(v.begin(), v.end());
  if (v.empty()) {
    std::printf("%-44s %10s %10s %6d %8zu\n", what.c_str(), "-", "-", 0, f.failures.size());
    return;
  }
  const double median =
      v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  std::printf("%-44s %10.0f %10.0f %6zu %8zu\n", what.c_str(), median, v.back(), v.size(),
              f.failures.size());
}

int table_no = 0;
std::string new_table(HaCluster& c, int primary) {
  const std::string t = "bench_w" + std::to_string(++table_no);
  std::string err;
  if (!pg_exec(c.node(primary).pg_port(), "CREATE TABLE " + t + "(id bigint PRIMARY KEY)", &err)) {
    throw E2eError("create table: " + err);
  }
  return t;
}

// Brings every node back to a primary and two streaming replicas; returns the primary.
int settle(HaCluster& c) {
  for (int i = 0; i < c.size(); ++i) {
    if (!c.node(i).agent_running()) c.node(i).start_agent();
  }
  const int p = c.wait_primary(Ms(60000));
  c.wait_streaming(p, c.others(p), Ms(90000));
  return p;
}

double bootstrap_once(bool verbose) {
  HaClusterOptions o;
  o.start_agents = false;
  o.fsync = true;
  HaCluster c(o);
  const auto t0 = Clock::now();
  c.start_agents();
  const int p = c.wait_primary(Ms(60000));
  c.wait_streaming(p, c.others(p), Ms(60000));
  const double ms = ms_since(t0);
  if (verbose) std::cerr << "  bootstrap: " << ms << " ms\n";
  if (!c.monitor().violations().empty()) throw E2eError(c.monitor().describe_violations());
  return ms;
}

double failover_once(HaCluster& c, bool verbose, AgentNode::Crash how) {
  const int p = settle(c);
  SqlWriter w(c.pg_ports(), new_table(c, p), Ms(10), Ms(1000));
  if (!w.wait_more_acks(10, Ms(10000))) throw E2eError("the writer does not get acks");
  const auto crash = Clock::now();
  c.node(p).crash_node(how);
  const int q = c.wait_primary(Ms(60000), p);
  if (!w.wait_more_acks(1, Ms(30000))) throw E2eError("no write acknowledged after the crash");
  const auto first = w.first_ack_after(crash, c.node(q).pg_port());
  if (!first) throw E2eError("no acknowledged write on the new primary");
  const double ms = ms_between(crash, first->at);
  if (verbose)
    std::cerr << "  failover " << c.node(p).name() << " -> " << c.node(q).name() << ": " << ms
              << " ms\n";
  return ms;
}

double pg_crash_once(HaCluster& c, bool verbose) {
  const int p = settle(c);
  SqlWriter w({c.node(p).pg_port()}, new_table(c, p), Ms(10), Ms(1000));
  if (!w.wait_more_acks(10, Ms(10000))) throw E2eError("the writer does not get acks");
  if (c.node(p).kill_postgres() <= 0) throw E2eError("no postmaster to kill");
  // From the moment every PostgreSQL process is gone: an ack after it is the restarted server's.
  const auto crash = Clock::now();
  const auto end = Clock::now() + Ms(60000);
  std::optional<SqlWriter::Ack> first;
  while (!first && Clock::now() < end) {
    std::this_thread::sleep_for(Ms(10));
    first = w.first_ack_after(crash);
  }
  if (!first) throw E2eError("the crashed primary never took a write again");
  const double ms = ms_between(crash, first->at);
  if (verbose) std::cerr << "  PostgreSQL crash on " << c.node(p).name() << ": " << ms << " ms\n";
  return ms;
}

double switchover_once(HaCluster& c, bool verbose) {
  const int p = settle(c);
  const int candidate = c.others(p).front();
  SqlWriter w(c.pg_ports(), new_table(c, p), Ms(20), Ms(2000));
  if (!w.wait_more_acks(25, Ms(10000))) throw E2eError("the writer does not get acks");
  const nlohmann::json body = {{"leader", c.node(p).name()},
                               {"candidate", c.node(candidate).name()}};
  const auto reply = c.node(p).api_post("/switchover", body.dump(), Ms(30000));
  if (reply.status != 200) {
    throw E2eError("POST /switchover: " + std::to_string(reply.status) + " " + reply.body);
  }
  const int q = c.wait_primary(Ms(60000), p);
  if (!w.wait_more_acks(25, Ms(20000))) throw E2eError("no writes after the switchover");
  w.stop();
  const double ms = static_cast<double>(w.longest_gap().count());
  if (verbose)
    std::cerr << "  switchover " << c.node(p).name() << " -> " << c.node(q).name() << ": gap " << ms
              << " ms\n";
  return ms;
}

template <class F>
void run(const std::string& what, int runs, Figures& f, F&& once) {
  for (int r = 0; r < runs; ++r) {
    try {
      f.ms.push_back(once());
    } catch (const std::exception& e) {
      std::cerr << what << " run " << r + 1 << " failed: " << e.what() << "\n";
      f.failures.push_back(e.what());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("agent_failover_bench: haagent failover, crash, switchover and bootstrap times");
  int runs = 5;
  std::vector<std::string> only;
  bool verbose = false;
  app.add_option("--runs", runs, "runs of each scenario")->check(CLI::Range(1, 100));
  app.add_option("--only", only, "scenarios: failover, nodecrash, pgcrash, switchover, bootstrap")
      ->check(CLI::IsMember({"failover", "nodecrash", "pgcrash", "switchover", "bootstrap"}));
  app.add_flag("-v,--verbose", verbose, "print each run");
  CLI11_PARSE(app, argc, argv);
  auto wanted = [&](const std::string& s) {
    return only.empty() || std::find(only.begin(), only.end(), s) != only.end();
  };
  try {
    postgres_user();
    pg_bin_dir();
  } catch (const std::exception& e) {
    std::cerr << "agent_failover_bench: " << e.what() << "\n";
    return 1;
  }

  std::map<std::string, Figures> figures;
  if (wanted("bootstrap")) {
    run("bootstrap", runs, figures["bootstrap"], [&] { return bootstrap_once(verbose); });
  }
  if (wanted("failover") || wanted("nodecrash") || wanted("pgcrash") || wanted("switchover")) {
    try {
      HaClusterOptions o;
      o.fsync = true;
      HaCluster c(o);
      if (wanted("failover")) {
        run("failover", runs, figures["failover"],
            [&] { return failover_once(c, verbose, AgentNode::Crash::agent_and_postgres); });
      }
      if (wanted("nodecrash")) {
        run("nodecrash", runs, figures["nodecrash"],
            [&] { return failover_once(c, verbose, AgentNode::Crash::whole_node); });
      }
      if (wanted("pgcrash")) {
        run("pgcrash", runs, figures["pgcrash"], [&] { return pg_crash_once(c, verbose); });
      }
      if (wanted("switchover")) {
        run("switchover", runs, figures["switchover"], [&] { return switchover_once(c, verbose); });
      }
      if (!c.monitor().violations().empty()) {
        std::cerr << "SPLIT BRAIN seen during the runs:\n" << c.monitor().describe_violations();
      }
    } catch (const std::exception& e) {
      std::cerr << "agent_failover_bench: " << e.what() << "\n";
    }
  }

  std::printf(
      "\nhaagent defaults: ttl 3 s, loop_wait 1 s, retry_timeout 1 s; hadcs heartbeat "
      "100 ms, election 1000 ms; PostgreSQL with fsync on (its default)\n");
  std::printf("%-44s %10s %10s %6s %8s\n", "scenario", "median ms", "max ms", "runs", "failed");
  if (wanted("failover"))
    print_row("unplanned failover (kill -9 agent+postgres)", figures["failover"]);
  if (wanted("nodecrash")) {
    print_row("whole-node crash (fence guard too: lease expiry)", figures["nodecrash"]);
  }
  if (wanted("pgcrash")) print_row("PostgreSQL-only crash -> writable again", figures["pgcrash"]);
  if (wanted("switchover"))
    print_row("planned switchover: longest write gap", figures["switchover"]);
  if (wanted("bootstrap")) print_row("bootstrap -> leader + 2 streaming", figures["bootstrap"]);
  int failed = 0;
  for (const auto& [k, f] : figures) failed += static_cast<int>(f.failures.size());
  return failed == 0 ? 0 : 1;
}
