// chaos_campaign: one fault campaign against real hadcs members in network namespaces — the
// network, the members, the workloads and the nemesis for --seconds, then heal, final reads,
// checkers and a report in --out. `--check FILE` only checks a saved history.
// Exit codes: 0 no anomaly, 1 anomalies or a harness failure, 2 bad usage, 77 skipped (not root,
// no namespaces, no iptables).
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include "dcs/client/client.hpp"
#include "dcs/client/log.hpp"
#include "tests/chaos/campaign_options.hpp"
#include "tests/chaos/history_io.hpp"
#include "tests/chaos/members.hpp"
#include "tests/chaos/nemesis.hpp"
#include "tests/chaos/network.hpp"
#include "tests/chaos/report.hpp"
#include "tests/chaos/workloads.hpp"

namespace ha::chaos {
namespace {

using Ms = std::chrono::milliseconds;
std::atomic<bool> g_interrupted{false};
extern "C" void on_signal(int) { g_interrupted = true; }

struct Args {
  std::string hadcs;
  double seconds = 60;
  std::uint64_t seed = 1;
  int members = 3;
  std::string out;
  std::string check;
  bool keep = false;
  bool rollback = false;
};

int usage(const std::string& why) {
  std::cerr << "chaos_campaign: " << why << "\n"
            << "usage: chaos_campaign --hadcs PATH [--seconds N | --minutes N] [--seed S] [--members 3|5]\n"
            << "                      [--out DIR] [--keep] [--rollback]       (needs root)\n"
            << "       chaos_campaign --check HISTORY_FILE\n";
  return 2;
}

std::optional<Args> parse(int argc, char** argv, std::string& err) {
  Args a;
  err = walk_options(argc, argv, [&a](const std::string& k, const OptionValue& val) {
    if (k == "--hadcs") a.hadcs = val();
    else if (k == "--seconds") a.seconds = std::stod(val());
    else if (k == "--minutes") a.seconds = 60 * std::stod(val());
    else if (k == "--seed") a.seed = std::stoull(val());
    else if (k == "--members") a.members = std::stoi(val());
    else if (k == "--out") a.out = val();
    else if (k == "--check") a.check = val();
    else if (k == "--keep") a.keep = true;
    else if (k == "--rollback") a.rollback = true;
    else return false;
    return true;
  });
  if (!err.empty()) return std::nullopt;
  if (a.check.empty() && a.hadcs.empty()) err = "--hadcs is required";
  if (a.members < 1 || a.members > 9) err = "--members must be 1..9";
  if (!err.empty()) return std::nullopt;
  return a;
}

int check_only(const std::string& path) {
  std::ifstream in(path);
  if (!in) return usage("cannot read " + path);
  History h;
  std::string err = read_history(in, h);
  if (!err.empty()) return usage(path + ": " + err);
  ReportSummary s = check_and_report(h, CampaignFacts{}, "");
  std::cout << s.text;
  return s.anomalies == 0 ? 0 : 1;
}

// The member that calls itself leader with the highest term, or -1.
int find_leader(dcs::Client& probe, int members) {
  int best = -1;
  std::uint64_t term = 0;
  for (int i = 0; i < members; ++i) {
    auto st = probe.status(static_cast<std::size_t>(i), dcs::CallOptions{Ms(400), false});
    if (st.ok() && st->leader() != 0 && st->leader() == st->header().member_id() && st->raftterm() >= term) {
      best = i;
      term = st->raftterm();
    }
  }
  return best;
}

// Every member answers with the same leader and the same applied revision after a write.
std::string converged(dcs::Client& probe, int members) {
  auto put = probe.put("chaos/sync", "1", {}, dcs::CallOptions{Ms(2000), true});
  if (!put.ok()) return "a write fails: " + put.error().to_string();
  const std::int64_t rev = put->header().revision();
  std::string why;
  for (int i = 0; i < members; ++i) {
    auto st = probe.status(static_cast<std::size_t>(i), dcs::CallOptions{Ms(1000), false});
    if (!st.ok()) return "n" + std::to_string(i + 1) + " does not answer: " + st.error().to_string();
    if (st->header().revision() < rev) {
      return "n" + std::to_string(i + 1) + " is at revision " + std::to_string(st->header().revision()) + " < " +
             std::to_string(rev);
    }
  }
  return {};
}

bool sleep_unless_interrupted(Ms d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
    if (g_interrupted) return false;
    std::this_thread::sleep_for(Ms(20));
  }
  return !g_interrupted;
}

int campaign(const Args& a) {
  const std::string why = network_unavailable_reason();
  if (!why.empty()) {
    std::cout << "SKIP: " << why << "\n";
    return 77;
  }
  const std::string tag = std::to_string(getpid());
  const std::string out = a.out.empty() ? "/tmp/ha-chaos-" + tag : a.out;
  const std::string work = out + "/work";
  std::filesystem::create_directories(work);
  std::cout << "chaos: seed " << a.seed << ", " << a.members << " members, " << a.seconds << " s; output in " << out
            << std::endl;

  CampaignFacts facts;
  facts.seed = a.seed;
  facts.members = a.members;
  History history;
  {
    Network net(a.members, tag, work + "/network.log");
    enter_namespace(net.client_ns());
    Members members(net, a.hadcs, work, "chaos-" + tag);
    members.start_all();

    dcs::ClientOptions po;
    for (int i = 0; i < a.members; ++i) {
      dcs::Endpoint e;
      (void)dcs::parse_endpoint(members.endpoint(i), e);
      po.endpoints.push_back(e);
    }
    po.default_timeout = Ms(2000);
    dcs::Client probe(po);
    std::string not_ready = "not asked";
    for (int t = 0; t < 150 && !not_ready.empty() && !g_interrupted; ++t) {
      not_ready = converged(probe, a.members);
      if (!not_ready.empty()) std::this_thread::sleep_for(Ms(200));
    }
    if (!not_ready.empty()) throw std::runtime_error("the cluster did not form within 30 s: " + not_ready);
    std::cout << "chaos: cluster formed, leader n" << find_leader(probe, a.members) + 1 << std::endl;

    Recorder rec;
    WorkloadOptions wo;
    wo.endpoints = po.endpoints;
    wo.seed = a.seed;
    Workloads workloads(wo, rec);
    workloads.start();

    Nemesis nemesis(net, members, [&] { return find_leader(probe, a.members); });
    Schedule schedule(a.seed, a.rollback);
    const auto t_end = std::chrono::steady_clock::now() + Ms(static_cast<std::int64_t>(a.seconds * 1000));
    auto watch_crashes = [&] {
      for (const std::string& c : members.reap_unexpected()) {
        facts.problems.push_back("member crashed: " + c);
        std::cout << "chaos: PROBLEM member crashed: " << c << std::endl;
      }
    };
    while (std::chrono::steady_clock::now() < t_end && !g_interrupted) {
      Fault f = schedule.next();
      if (!sleep_unless_interrupted(Ms(f.quiet_ms))) break;
      watch_crashes();
      const std::int64_t at = rec.now();
      std::string what = nemesis.apply(f);
      if (what.empty()) continue;
      std::cout << "chaos: [" << at / 1'000'000'000 << "s] " << what << std::endl;
      const auto hold_end = std::chrono::steady_clock::now() + Ms(f.hold_ms);
      while (std::chrono::steady_clock::now() < hold_end && !g_interrupted) {
        std::this_thread::sleep_for(Ms(100));
        watch_crashes();
      }
      nemesis.heal();
      facts.faults.push_back({at, f.hold_ms, what});
    }
    nemesis.heal();
    std::cout << "chaos: healed; waiting for the cluster to converge" << std::endl;
    std::string healed = "not asked";
    for (int t = 0; t < 60 && !healed.empty(); ++t) {
      watch_crashes();
      nemesis.heal();
      healed = converged(probe, a.members);
      if (!healed.empty()) std::this_thread::sleep_for(Ms(500));
    }
    if (!healed.empty()) facts.problems.push_back("the cluster did not converge within 30 s of healing: " + healed);
    std::this_thread::sleep_for(Ms(3000));
    workloads.stop();
    if (!workloads.final_set_read(Ms(30000))) facts.problems.push_back("the final set read never succeeded");
    watch_crashes();
    members.stop_all();
    facts.seconds = static_cast<double>(rec.now()) / 1e9;
    history = rec.snapshot();
  }
  if (g_interrupted) facts.problems.push_back("interrupted");
  ReportSummary s = check_and_report(history, facts, out);
  std::cout << s.text;
  if (s.anomalies == 0 && !a.keep) std::filesystem::remove_all(work);
  return s.anomalies == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ha::chaos

int main(int argc, char** argv) {
  using namespace ha::chaos;
  std::string err;
  auto args = parse(argc, argv, err);
  if (!args) return usage(err);
  if (!args->check.empty()) return check_only(args->check);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  ha::set_log_level(ha::LogLevel::kError);
  try {
    return campaign(*args);
  } catch (const std::exception& e) {
    std::cerr << "chaos_campaign: " << e.what() << "\n";
    return 1;
  }
}
