// chaos_pg_campaign: a fault campaign against the whole stack — 3 network namespaces (the
// tests/chaos Network), each running hadcs and haagent with PostgreSQL 15 as the postgres user
// (configs from deploy/ha-config.sh, synchronous_mode on unless --async) — while a writer
// inserts unique sequential ids into the current primary and a monitor asks every node
// pg_is_in_recovery() every 50 ms. A seeded nemesis kills (-9) the primary's agent, PostgreSQL,
// whole nodes (fence guard, agent, PostgreSQL, hadcs) and the hadcs leader, pauses the primary's
// agent (SIGSTOP) and partitions the primary's node from the others (iptables), restarting or
// healing each after a hold. Then everything is healed and the checks run:
//   1. never two writable primaries in one monitor round;
//   2. in synchronous mode, every acknowledged id is in the final primary's table (and no id
//      that was never sent is);
//   3. within --heal-seconds the cluster is one primary (the agents' GET /primary agrees) and two
//      replicas streaming from it, it takes writes again, and the replicas catch up.
// The report is OUT/report.txt (with ops.txt: every insert, and roles.txt: every role change);
// the agents', hadcs's and PostgreSQL's logs are kept in OUT/logs when anything was found (or
// with --keep). Exit codes: 0 no anomaly, 1 anomalies or a harness failure, 2 bad usage,
// 77 skipped (not root, no namespaces, no iptables, no PostgreSQL 15, no postgres user).
#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "agent/postgres/pg_connection.hpp"
#include "tests/chaos/campaign_options.hpp"
#include "tests/chaos/command.hpp"
#include "tests/chaos/network.hpp"
#include "tests/chaos/pg/pg_nodes.hpp"
#include "tests/chaos/pg/pg_workload.hpp"

namespace ha::chaos::pg {
namespace {

namespace fs = std::filesystem;
using Ms = std::chrono::milliseconds;
using ha::agent::pg::ConnectOptions;
using ha::agent::pg::PgConnection;
using ha::agent::pg::Row;

std::atomic<bool> g_interrupted{false};
extern "C" void on_signal(int) { g_interrupted = true; }

struct Args {
  std::string hadcs, haagent, hactl;
  std::string repo = HA_SOURCE_DIR;
  double seconds = 60;
  double heal_seconds = 60;
  std::uint64_t seed = 1;
  std::string out;
  bool keep = false;
  bool sync = true;
};

int usage(const std::string& why) {
  std::cerr << "chaos_pg_campaign: " << why << "\n"
            << "usage: chaos_pg_campaign --hadcs PATH --haagent PATH --hactl PATH [--seconds N | --minutes N]\n"
            << "                         [--seed S] [--out DIR] [--heal-seconds N] [--async] [--keep]\n"
            << "                         [--repo DIR]     (needs root, ip netns, iptables, PostgreSQL 15)\n";
  return 2;
}

std::optional<Args> parse(int argc, char** argv, std::string& err) {
  Args a;
  err = walk_options(argc, argv, [&a](const std::string& k, const OptionValue& val) {
    if (k == "--hadcs") a.hadcs = val();
    else if (k == "--haagent") a.haagent = val();
    else if (k == "--hactl") a.hactl = val();
    else if (k == "--repo") a.repo = val();
    else if (k == "--seconds") a.seconds = std::stod(val());
    else if (k == "--minutes") a.seconds = 60 * std::stod(val());
    else if (k == "--heal-seconds") a.heal_seconds = std::stod(val());
    else if (k == "--seed") a.seed = std::stoull(val());
    else if (k == "--out") a.out = val();
    else if (k == "--keep") a.keep = true;
    else if (k == "--async") a.sync = false;
    else return false;
    return true;
  });
  if (err.empty() && (a.hadcs.empty() || a.haagent.empty() || a.hactl.empty())) {
    err = "--hadcs, --haagent and --hactl are required";
  }
  if (!err.empty()) return std::nullopt;
  return a;
}

std::string skip_reason() {
  std::string why = network_unavailable_reason();
  if (!why.empty()) return why;
  if (access("/usr/lib/postgresql/15/bin/postgres", X_OK) != 0) return "PostgreSQL 15 is not installed";
  if (getpwnam("postgres") == nullptr) return "there is no postgres user";
  if (!have_program("setpriv")) return "setpriv (util-linux) is not installed";
  return {};
}

bool sleep_unless_interrupted(Ms d) {
  const auto end = Clock::now() + d;
  while (Clock::now() < end) {
    if (g_interrupted) return false;
    std::this_thread::sleep_for(Ms(20));
  }
  return !g_interrupted;
}

std::optional<std::vector<Row>> query(const std::string& conninfo, const std::string& sql, Ms timeout = Ms(2000)) {
  ConnectOptions o;
  o.conninfo = conninfo;
  o.connect_timeout = timeout;
  o.statement_timeout = timeout;
  o.application_name = "ha-chaos-pg-check";
  auto c = PgConnection::open(o);
  if (!c.ok()) return std::nullopt;
  auto r = c->query(sql);
  if (!r.ok()) return std::nullopt;
  return r->rows;
}

std::optional<std::string> value(const std::string& conninfo, const std::string& sql, Ms timeout = Ms(2000)) {
  auto rows = query(conninfo, sql, timeout);
  if (!rows || rows->empty() || rows->at(0).empty() || !rows->at(0)[0]) return std::nullopt;
  return *rows->at(0)[0];
}

struct Health {
  int primary = -1;
  std::string why;  // empty: healthy
};

// One writable node that the agents' GET /primary agrees on, the two others streaming from it,
// and (synchronous mode) a synchronous standby attached.
Health health(const PgNodes& nodes, bool sync) {
  Health h;
  std::vector<int> writable;
  std::vector<std::string> state(static_cast<std::size_t>(nodes.size()));
  for (int i = 0; i < nodes.size(); ++i) {
    auto v = value(nodes.conninfo(i), "SELECT pg_is_in_recovery()", Ms(1000));
    state[static_cast<std::size_t>(i)] = v ? (*v == "f" ? "writable" : "in recovery") : "no answer";
    if (v && *v == "f") writable.push_back(i);
  }
  auto describe = [&] {
    std::string s;
    for (int i = 0; i < nodes.size(); ++i) s += fmt::format("{}{}: {}", i ? ", " : "", nodes.name(i), state[i]);
    return s;
  };
  if (writable.size() != 1) {
    h.why = fmt::format("{} writable nodes ({})", writable.size(), describe());
    return h;
  }
  const int p = writable[0];
  // A replica whose WAL went past the new timeline's fork point streams the old timeline for
  // moments, again and again: it must stream the primary's timeline.
  const auto tli = value(nodes.conninfo(p),
                         "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int", Ms(1000));
  for (int i = 0; i < nodes.size(); ++i) {
    if (i == p) continue;
    auto rows = query(nodes.conninfo(i), "SELECT status, sender_host, received_tli FROM pg_stat_wal_receiver", Ms(1000));
    const bool streaming = rows && !rows->empty() && rows->at(0)[0] && *rows->at(0)[0] == "streaming" &&
                           rows->at(0)[1] && *rows->at(0)[1] == nodes.ip(p);
    if (!streaming || !tli || !rows->at(0)[2] || *rows->at(0)[2] != *tli) {
      h.why = fmt::format("{} does not stream the primary {}'s timeline {} from it ({}; its WAL receiver: {})",
                          nodes.name(i), nodes.name(p), tli.value_or("?"), describe(),
                          rows && !rows->empty() ? fmt::format("{} from {} on timeline {}", rows->at(0)[0].value_or("-"),
                                                               rows->at(0)[1].value_or("-"),
                                                               rows->at(0)[2].value_or("-"))
                                                 : "none");
      return h;
    }
  }
  if (sync) {
    auto n = value(nodes.conninfo(p), "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'");
    if (!n || *n == "0") {
      h.why = fmt::format("the primary {} has no synchronous standby attached", nodes.name(p));
      return h;
    }
  }
  const std::vector<int> api = nodes.api_primaries();
  if (api != std::vector<int>{p}) {
    std::string s;
    for (int i : api) s += (s.empty() ? "" : ",") + nodes.name(i);
    h.why = fmt::format("GET /primary answers 200 on {{{}}}, PostgreSQL is writable on {}", s, nodes.name(p));
    return h;
  }
  h.primary = p;
  return h;
}

std::string wall_time(std::chrono::system_clock::time_point t) {
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  const auto ms = std::chrono::duration_cast<Ms>(t.time_since_epoch()).count() % 1000;
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, ms);
}

enum class FaultKind { kKillAgent, kKillPostgres, kKillNode, kPauseAgent, kPartition, kKillDcsLeader };
constexpr FaultKind kKinds[] = {FaultKind::kKillAgent, FaultKind::kKillPostgres, FaultKind::kKillNode,
                                FaultKind::kPauseAgent, FaultKind::kPartition,    FaultKind::kKillDcsLeader};

struct Fault {
  FaultKind kind;
  std::uint64_t pick;
  int hold_ms, quiet_ms;
};

struct FaultRecord {
  double at_ms;
  int hold_ms;
  std::string what;
};

class Nemesis {
 public:
  Nemesis(Network& net, PgNodes& nodes, const RoleMonitor& monitor) : net_(net), nodes_(nodes), monitor_(monitor) {}

  // The primary: the agents' GET /primary when exactly one answers 200, else the only node the
  // monitor saw writable in its last round, else -1.
  int primary() const {
    auto api = nodes_.api_primaries();
    if (api.size() == 1) return api[0];
    auto w = monitor_.writable_now();
    return w.size() == 1 ? w[0] : -1;
  }

  std::string apply(const Fault& f) {
    const int n = nodes_.size();
    const int p = primary();
    const int random_node = static_cast<int>(f.pick % static_cast<std::uint64_t>(n));
    // Faults aimed at the primary hit a random node while there is none.
    auto target_primary = [&](int& t) {
      t = p >= 0 ? p : random_node;
      return p >= 0 ? nodes_.name(t) + " (primary)" : nodes_.name(t) + " (no primary now: a random node)";
    };
    // Kills of PostgreSQL or of a node: the primary two times in three, else a replica.
    auto target_mostly_primary = [&](int& t) {
      if (p < 0 || (f.pick >> 8) % 3 != 0) return target_primary(t);
      t = (p + 1 + static_cast<int>((f.pick >> 16) % static_cast<std::uint64_t>(n - 1))) % n;
      return nodes_.name(t) + " (replica)";
    };
    int t = -1;
    switch (f.kind) {
      case FaultKind::kKillAgent: {
        const std::string who = target_primary(t);
        nodes_.kill_agent(t);
        return "kill -9 haagent " + who;
      }
      case FaultKind::kKillPostgres: {
        const std::string who = target_mostly_primary(t);
        const int pid = nodes_.kill_postgres(t);
        return pid > 0 ? fmt::format("kill -9 PostgreSQL {} (postmaster {})", who, pid) : "";
      }
      case FaultKind::kKillNode: {
        const std::string who = target_mostly_primary(t);
        nodes_.kill_node(t);
        return "kill -9 node " + who + ": fence guard, haagent, PostgreSQL, hadcs";
      }
      case FaultKind::kPauseAgent: {
        const std::string who = target_primary(t);
        nodes_.pause_agent(t);
        return "SIGSTOP haagent " + who;
      }
      case FaultKind::kPartition: {
        const std::string who = target_primary(t);
        std::vector<int> rest;
        for (int i = 0; i < n; ++i) {
          if (i != t) rest.push_back(i);
        }
        net_.partition({t}, rest);
        return "partition " + who + " from the other nodes (iptables, both ways; clients still reach it)";
      }
      case FaultKind::kKillDcsLeader: {
        const int l = nodes_.dcs_leader();
        if (l < 0) return "";
        nodes_.kill_dcs(l);
        return "kill -9 hadcs " + nodes_.name(l) + " (Raft leader)";
      }
    }
    return "";
  }

  void heal() {
    net_.heal();
    nodes_.restart_missing();
  }

 private:
  Network& net_;
  PgNodes& nodes_;
  const RoleMonitor& monitor_;
};

// The lines of an agent log (each starts with an ISO UTC time, "2026-11-30T09:31:44.525Z") whose
// time of day lies in [from, to] ("HH:MM:SS.mmm"), at most `max` of them.
std::string log_excerpt(const std::string& path, const std::string& from, const std::string& to, std::size_t max) {
  std::ifstream f(path);
  std::string out;
  std::size_t n = 0;
  for (std::string line; std::getline(f, line) && n < max;) {
    if (line.size() < 24 || line[10] != 'T') continue;
    const std::string tod = line.substr(11, 12);
    if (tod >= from && tod <= to) {
      out += "      " + line + "\n";
      ++n;
    }
  }
  return out;
}

void copy_logs(const PgNodes& nodes, const std::string& work, const std::string& out) {
  for (int i = 0; i < nodes.size(); ++i) {
    const std::string to = out + "/logs/" + nodes.name(i);
    fs::create_directories(to);
    std::error_code ec;
    fs::copy_file(nodes.agent_log(i), to + "/haagent.log", fs::copy_options::overwrite_existing, ec);
    fs::copy_file(nodes.dcs_log(i), to + "/hadcs.log", fs::copy_options::overwrite_existing, ec);
    fs::copy_file(nodes.pg_data(i) + "/postmaster.log", to + "/postmaster.log", fs::copy_options::overwrite_existing,
                  ec);
    if (fs::exists(nodes.pg_data(i) + "/log")) {
      fs::copy(nodes.pg_data(i) + "/log", to + "/postgresql-log",
               fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
    }
  }
  std::error_code ec;
  fs::copy_file(work + "/network.log", out + "/logs/network.log", fs::copy_options::overwrite_existing, ec);
}

int campaign(const Args& a) {
  const std::string why = skip_reason();
  if (!why.empty()) {
    std::cout << "SKIP: " << why << std::endl;
    return 77;
  }
  const std::string tag = std::to_string(getpid());
  const std::string out = a.out.empty() ? "/tmp/ha-chaos-pg-" + tag : a.out;
  fs::create_directories(out);
  // The work folder (data, configs, logs) must be reachable by the postgres user: /tmp.
  std::string work = "/tmp/ha-chaos-pg-work-" + tag;
  fs::remove_all(work);
  fs::create_directories(work);
  const auto t0 = Clock::now();
  const auto wall0 = std::chrono::system_clock::now();
  auto now_ms = [&] { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); };
  auto stamp = [&](double ms) {
    return fmt::format("{:7.1f}s {}", ms / 1000,
                       wall_time(wall0 + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                             std::chrono::duration<double, std::milli>(ms))));
  };
  auto tod = [&](double ms) {  // "HH:MM:SS.mmm" (UTC) of campaign time `ms`, as the agents log it
    return wall_time(wall0 + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                 std::chrono::duration<double, std::milli>(ms)))
        .substr(0, 12);
  };
  auto say = [&](const std::string& s) { std::cout << "chaos-pg: [" << stamp(now_ms()) << "] " << s << std::endl; };
  say(fmt::format("seed {}, {} s of faults, synchronous_mode {}; work {}; report in {}", a.seed, a.seconds,
                  a.sync ? "on" : "off", work, out));

  std::vector<FaultRecord> faults;
  std::vector<std::string> problems;  // anomalies other than the checks' (crashes, no heal, harness)
  std::vector<InsertOp> ops;
  std::vector<RoleMonitor::Violation> violations;
  std::vector<RoleMonitor::Foreign> foreign;
  std::string system_identifier;
  std::vector<std::vector<RoleMonitor::Change>> changes;
  std::uint64_t rounds = 0;
  double formed_ms = 0, faults_end_ms = 0, healed_ms = -1;
  int final_primary = -1;
  std::optional<std::set<std::int64_t>> final_ids;
  std::string final_list, heal_why;
  std::size_t acks_after_heal = 0;
  std::vector<std::string> replica_lag;
  bool harness_failed = false;
  std::unique_ptr<PgNodes> nodes_keep;  // for copy_logs after the processes stopped
  std::vector<double> excerpt_at;       // campaign times of anomalies: agent log lines around them
  double not_healed_at = -1;            // the heal deadline: agent log lines before it
  {
    Network net(3, tag, work + "/network.log");
    enter_namespace(net.client_ns());
    NodesOptions no;
    no.hadcs = a.hadcs;
    no.haagent = a.haagent;
    no.hactl = a.hactl;
    no.work = work;
    no.synchronous_mode = a.sync;
    no.repo = a.repo;
    auto nodes = std::make_unique<PgNodes>(net, no);
    try {
      for (int i = 0; i < 3; ++i) nodes->start_dcs(i);
      for (int t = 0; t < 100 && nodes->dcs_leader() < 0 && !g_interrupted; ++t) std::this_thread::sleep_for(Ms(200));
      if (nodes->dcs_leader() < 0) throw std::runtime_error("hadcs elected no leader within 20 s");
      say("hadcs leader " + nodes->name(nodes->dcs_leader()) + "; starting the agents");
      for (int i = 0; i < 3; ++i) nodes->start_agent(i);
      Health h;
      h.why = "not asked";
      for (int t = 0; t < 240 && !h.why.empty() && !g_interrupted; ++t) {
        h = health(*nodes, a.sync);
        if (!h.why.empty()) std::this_thread::sleep_for(Ms(500));
      }
      if (!h.why.empty()) throw std::runtime_error("the cluster did not form within 120 s: " + h.why);
      formed_ms = now_ms();
      say("cluster formed: primary " + nodes->name(h.primary) + ", two streaming replicas");
      {
        ConnectOptions o;
        o.conninfo = nodes->conninfo(h.primary);
        auto c = PgConnection::open(o);
        if (!c.ok()) throw std::runtime_error("cannot connect to the primary: " + c.error().message);
        auto r = c->query("CREATE TABLE chaos_ids(id bigint PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())",
                          {}, Ms(10000));
        if (!r.ok()) throw std::runtime_error("cannot create the table: " + r.error().message);
        auto id = c->query("SELECT system_identifier::text FROM pg_control_system()");
        if (!id.ok() || id->rows.empty() || !id->rows[0][0]) throw std::runtime_error("cannot read the system identifier");
        system_identifier = *id->rows[0][0];
      }
      std::vector<std::string> conninfos;
      for (int i = 0; i < 3; ++i) conninfos.push_back(nodes->conninfo(i));
      RoleMonitor monitor(conninfos, system_identifier, t0, Ms(50));
      InsertWriter writer(conninfos, t0, Ms(20));
      Nemesis nemesis(net, *nodes, monitor);
      std::mt19937_64 rng(a.seed);
      auto watch_crashes = [&] {
        for (const std::string& c : nodes->reap_unexpected()) {
          problems.push_back(fmt::format("[{}] {} (not killed by the nemesis)", stamp(now_ms()), c));
          say("PROBLEM " + c);
        }
      };
      const auto t_end = Clock::now() + Ms(static_cast<std::int64_t>(a.seconds * 1000));
      while (Clock::now() < t_end && !g_interrupted) {
        Fault f{kKinds[rng() % std::size(kKinds)], rng(), 2000 + static_cast<int>(rng() % 6000),
                2000 + static_cast<int>(rng() % 4000)};
        if (!sleep_unless_interrupted(Ms(f.quiet_ms))) break;
        watch_crashes();
        const double at = now_ms();
        const std::string what = nemesis.apply(f);
        if (what.empty()) continue;
        say(what);
        const auto hold_end = Clock::now() + Ms(f.hold_ms);
        while (Clock::now() < hold_end && !g_interrupted) {
          std::this_thread::sleep_for(Ms(100));
          watch_crashes();
        }
        nemesis.heal();
        faults.push_back({at, f.hold_ms, what});
      }
      nemesis.heal();
      faults_end_ms = now_ms();
      say(fmt::format("faults stopped ({} injected, {} inserts acknowledged); waiting up to {} s for one primary "
                      "and two streaming replicas",
                      faults.size(), writer.acked(), a.heal_seconds));
      h.why = "not asked";
      const auto heal_end = Clock::now() + Ms(static_cast<std::int64_t>(a.heal_seconds * 1000));
      // Healthy in 3 polls in a row (about 1.5 s), with the same primary.
      int good = 0, good_primary = -1;
      double first_good_ms = 0;
      while (good < 3 && Clock::now() < heal_end && !g_interrupted) {
        watch_crashes();
        nemesis.heal();
        h = health(*nodes, a.sync);
        if (h.why.empty() && (good == 0 || h.primary == good_primary)) {
          if (good == 0) first_good_ms = now_ms();
          good_primary = h.primary;
          ++good;
        } else {
          good = 0;
        }
        if (good < 3) std::this_thread::sleep_for(Ms(500));
      }
      if (good < 3 && h.why.empty()) h.why = "healthy for moments only";
      if (h.why.empty()) {
        healed_ms = first_good_ms;
        final_primary = h.primary;
        say(fmt::format("healed in {:.1f} s: primary {}", (healed_ms - faults_end_ms) / 1000,
                        nodes->name(h.primary)));
        const std::size_t before = writer.acked();
        sleep_unless_interrupted(Ms(3000));
        acks_after_heal = writer.acked() - before;
      } else {
        heal_why = h.why;
        say("NOT healed: " + h.why);
      }
      writer.stop();
      monitor.stop();
      watch_crashes();
      ops = writer.ops();
      violations = monitor.violations();
      foreign = monitor.foreign_writable();
      changes = monitor.changes();
      rounds = monitor.rounds();
      final_list = nodes->hactl_list();
      // The final read, from the final primary (or, not healed, from the only writable node).
      int reader = final_primary;
      if (reader < 0) {
        auto w = monitor.writable_now();
        if (w.size() == 1) reader = w[0];
      }
      if (reader >= 0) {
        auto rows = query(nodes->conninfo(reader), "SELECT id FROM chaos_ids", Ms(30000));
        if (rows) {
          final_ids.emplace();
          for (const Row& r : *rows) final_ids->insert(std::stoll(r.at(0).value_or("0")));
          final_primary = reader;
        }
      }
      if (final_ids && healed_ms >= 0) {
        // The replicas catch up with the primary (same row count within 20 s).
        for (int i = 0; i < 3; ++i) {
          if (i == final_primary) continue;
          std::string got = "no answer";
          bool same = false;
          for (int t = 0; t < 40 && !same; ++t) {
            auto v = value(nodes->conninfo(i), "SELECT count(*) FROM chaos_ids");
            got = v.value_or("no answer");
            same = v && *v == std::to_string(final_ids->size());
            if (!same) std::this_thread::sleep_for(Ms(500));
          }
          if (!same) {
            replica_lag.push_back(fmt::format("{} has {} rows 20 s after the writes stopped, the primary {}",
                                              nodes->name(i), got, final_ids->size()));
          }
        }
      }
    } catch (const std::exception& e) {
      harness_failed = true;
      problems.push_back(std::string("harness: ") + e.what());
      say(std::string("HARNESS FAILURE: ") + e.what());
    }
    nodes->stop_all();
    nodes_keep = std::move(nodes);
  }
  if (g_interrupted) problems.push_back("interrupted");

  // --- checks and report --------------------------------------------------------------------
  std::string r;
  std::size_t anomalies = problems.size();
  r += fmt::format("PostgreSQL-layer chaos campaign: seed {}, 3 nodes (hadcs + haagent + PostgreSQL 15 per network "
                   "namespace), synchronous_mode {}, {} s of faults; started {} (campaign time 0)\n",
                   a.seed, a.sync ? "on" : "off", a.seconds, wall_time(wall0));
  {
    std::ifstream f(nodes_keep->agent_log(0));
    for (std::string line; std::getline(f, line);) {
      const auto at = line.find("haagent 0");
      if (at != std::string::npos) {
        r += "agent: " + line.substr(at) + "\n";
        break;
      }
    }
  }
  r += fmt::format("cluster formed at {:.1f} s; faults from then to {:.1f} s\n", formed_ms / 1000,
                   faults_end_ms / 1000);
  r += fmt::format("faults injected: {}\n", faults.size());
  std::map<std::string, int> fault_kinds;
  for (const FaultRecord& f : faults) {
    r += fmt::format("  [{}] {} (held {} ms)\n", stamp(f.at_ms), f.what, f.hold_ms);
    std::size_t name_at = f.what.find(" n");  // the kind is what comes before the node's name
    while (name_at != std::string::npos &&
           (name_at + 2 >= f.what.size() || !std::isdigit(static_cast<unsigned char>(f.what[name_at + 2])))) {
      name_at = f.what.find(" n", name_at + 1);
    }
    fault_kinds[f.what.substr(0, name_at)]++;
  }
  if (!fault_kinds.empty()) {
    r += "  by kind:";
    for (const auto& [kind, count] : fault_kinds) r += fmt::format(" {} x{};", kind, count);
    r += "\n";
  }
  std::map<Outcome, std::size_t> by_outcome;
  std::set<std::int64_t> acked, attempted;
  for (const InsertOp& op : ops) {
    by_outcome[op.outcome]++;
    attempted.insert(op.id);
    if (op.outcome == Outcome::ok) acked.insert(op.id);
  }
  std::size_t unknown_present = 0;
  if (final_ids) {
    for (const InsertOp& op : ops) unknown_present += op.outcome == Outcome::unknown && final_ids->count(op.id);
  }
  r += fmt::format("inserts: {} sent, {} acknowledged, {} refused, {} unknown ({} of them committed)\n", ops.size(),
                   by_outcome[Outcome::ok], by_outcome[Outcome::fail], by_outcome[Outcome::unknown],
                   final_ids ? std::to_string(unknown_present) : "?");
  r += fmt::format("monitor: {} rounds of pg_is_in_recovery() on the 3 nodes (every 50 ms)\n", rounds);

  r += "checks:\n";
  if (violations.empty()) {
    r += "  two writable primaries: never seen\n";
  } else {
    anomalies += violations.size();
    r += fmt::format("  ANOMALY two writable primaries in {} monitor rounds:\n", violations.size());
    for (const auto& v : violations) {
      if (excerpt_at.size() < 3) excerpt_at.push_back(v.at_ms);
      r += fmt::format("    [{}]", stamp(v.at_ms));
      for (const auto& w : v.writable) {
        r += fmt::format(" {} writable (asked {:.1f} ms, answered {:.1f} ms);", nodes_keep->name(w.node),
                         w.sent_ms / 1000, w.received_ms / 1000);
      }
      r += "\n";
    }
  }
  if (foreign.empty()) {
    r += "  writable servers of another cluster (system identifier not the cluster's " + system_identifier +
         "): never seen\n";
  } else {
    anomalies += foreign.size();
    r += fmt::format("  ANOMALY a writable server of another cluster (not {}), taking connections:\n", system_identifier);
    for (const auto& f : foreign) {
      if (excerpt_at.size() < 3) excerpt_at.push_back(f.first_ms);
      r += fmt::format("    [{}] to [{}] {} writable with system identifier {} ({} answers)\n", stamp(f.first_ms),
                       stamp(f.last_ms), nodes_keep->name(f.node), f.system_identifier, f.answers);
    }
  }
  if (!final_ids) {
    ++anomalies;
    r += "  ANOMALY the final read failed: no primary to read from\n";
  } else {
    std::vector<std::int64_t> lost, invented;
    for (std::int64_t id : acked) {
      if (!final_ids->count(id)) lost.push_back(id);
    }
    for (std::int64_t id : *final_ids) {
      if (!attempted.count(id)) invented.push_back(id);
    }
    auto list = [](const std::vector<std::int64_t>& v) {
      std::string s;
      for (std::size_t i = 0; i < v.size() && i < 50; ++i) s += (i ? " " : "") + std::to_string(v[i]);
      return s + (v.size() > 50 ? " ..." : "");
    };
    r += fmt::format("  final read on {}: {} ids\n", nodes_keep->name(final_primary), final_ids->size());
    if (lost.empty()) {
      r += "  acknowledged inserts lost: none\n";
    } else if (a.sync) {
      anomalies += lost.size();
      r += fmt::format("  ANOMALY {} acknowledged inserts lost in synchronous mode: {}\n", lost.size(), list(lost));
      for (const InsertOp& op : ops) {
        if (op.outcome == Outcome::ok && !final_ids->count(op.id) && op.id <= lost.front() + 20) {
          if (op.id == lost.front()) excerpt_at.push_back(op.complete_ms);
          r += fmt::format("    id {} acknowledged by {} at [{}]\n", op.id, nodes_keep->name(op.node),
                           stamp(op.complete_ms));
        }
      }
    } else {
      r += fmt::format("  acknowledged inserts lost (asynchronous mode: allowed, reported): {}: {}\n", lost.size(),
                       list(lost));
    }
    if (!invented.empty()) {
      anomalies += invented.size();
      r += fmt::format("  ANOMALY ids in the table that were never sent: {}\n", list(invented));
    }
  }
  if (healed_ms >= 0) {
    r += fmt::format("  healed: one primary ({}) and two streaming replicas {:.1f} s after the faults stopped\n",
                     nodes_keep->name(final_primary), (healed_ms - faults_end_ms) / 1000);
    if (acks_after_heal == 0) {
      ++anomalies;
      r += "  ANOMALY no insert acknowledged in the 3 s after healing\n";
    } else {
      r += fmt::format("  writes after healing: {} acknowledged in 3 s\n", acks_after_heal);
    }
    for (const std::string& l : replica_lag) r += "  ANOMALY " + l + "\n";
    anomalies += replica_lag.size();
    if (replica_lag.empty()) r += "  replicas caught up: both have every row of the primary\n";
  } else if (!harness_failed) {
    ++anomalies;
    r += fmt::format("  ANOMALY not healed {} s after the faults stopped: {}\n", a.heal_seconds, heal_why);
    not_healed_at = faults_end_ms + a.heal_seconds * 1000;
  }
  for (const std::string& p : problems) r += "  PROBLEM " + p + "\n";
  for (double at : excerpt_at) {
    r += fmt::format("agent logs from 5 s before to 2 s after the anomaly at [{}]:\n", stamp(at));
    for (int i = 0; i < nodes_keep->size(); ++i) {
      r += "    " + nodes_keep->name(i) + ":\n" +
           log_excerpt(nodes_keep->agent_log(i), tod(std::max(0.0, at - 5000)), tod(at + 2000), 60);
    }
  }
  if (not_healed_at >= 0) {
    r += fmt::format("agent logs in the 60 s before the heal deadline [{}] (the last 25 lines each):\n",
                     stamp(not_healed_at));
    for (int i = 0; i < nodes_keep->size(); ++i) {
      const std::string lines = log_excerpt(nodes_keep->agent_log(i), tod(std::max(0.0, not_healed_at - 60000)),
                                            tod(not_healed_at), 100000);
      std::size_t start = lines.size(), n = 0;
      while (start > 0 && n <= 25) {  // back to the start of the 25th line from the end
        const auto nl = lines.rfind('\n', start - 1);
        ++n;
        start = nl == std::string::npos ? 0 : nl;
      }
      r += "    " + nodes_keep->name(i) + ":\n" + lines.substr(start == 0 ? 0 : start + 1);
    }
  }
  r += fmt::format("verdict: {} ({} anomalies)\n", anomalies == 0 ? "PASS" : "FAIL", anomalies);
  r += "hactl list at the end:\n" + final_list;
  r += "role changes seen by the monitor:\n";
  for (std::size_t i = 0; i < changes.size(); ++i) {
    r += "  " + nodes_keep->name(static_cast<int>(i)) + ":";
    for (const auto& c : changes[i]) r += fmt::format(" {:.1f}s {};", c.at_ms / 1000, to_string(c.role));
    r += "\n";
  }
  {
    std::ofstream ops_file(out + "/ops.txt");
    ops_file << "# id node invoke_ms complete_ms outcome [error]\n";
    for (const InsertOp& op : ops) {
      ops_file << op.id << ' ' << (op.node >= 0 ? nodes_keep->name(op.node) : "-") << ' '
               << fmt::format("{:.1f} {:.1f} ", op.invoke_ms, op.complete_ms) << to_string(op.outcome)
               << (op.error.empty() ? "" : " " + op.error) << '\n';
    }
  }
  if (anomalies > 0 || a.keep) {
    copy_logs(*nodes_keep, work, out);
    r += "logs (haagent, hadcs, PostgreSQL, network) kept in " + out + "/logs\n";
  }
  std::ofstream(out + "/report.txt") << r;
  std::cout << r;
  nodes_keep.reset();
  fs::remove_all(work);
  return anomalies == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ha::chaos::pg

int main(int argc, char** argv) {
  using namespace ha::chaos::pg;
  std::string err;
  auto args = parse(argc, argv, err);
  if (!args) return usage(err);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  try {
    return campaign(*args);
  } catch (const std::exception& e) {
    std::cerr << "chaos_pg_campaign: " << e.what() << "\n";
    return 1;
  }
}
