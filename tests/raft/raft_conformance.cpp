// raft_conformance: the Raft conformance suite and the randomized simulator in one program.
//   raft_conformance [catch options]           run the named scenarios (Catch2 test cases)
//   raft_conformance --table [catch options]   ... and print a table: scenario | rule | result
//   raft_conformance --seeds N --steps M [--first-seed S] [--nodes K] [--fault NAME] [--no-liveness]
//                    [--join-empty] [--no-shrink-to-one] [--lease-reads] [--no-fork]
//                                              randomized runs of seeds S..S+N-1 (each in a child
//                                              process, so an assertion abort is a failing seed)
//   raft_conformance --seed S --steps M [--nodes K] [--trace]   replay one seed in-process
// A scenario is added by writing a TEST_CASE in a conformance_*.cpp file; the table shows its
// name, its section tags and the description text after the tags.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "tests/raft/sim/random_run.hpp"

namespace {

bool& table_mode() {
  static bool on = false;
  return on;
}

struct Row {
  std::string scenario;
  std::string rule;
  std::string result;  // pass, FAIL, or xfail (a [!mayfail] scenario that failed)
};

// Collects one row per test case and prints the table when asked to.
class TableListener : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;

  void testCaseEnded(Catch::TestCaseStats const& stats) override {
    const Catch::TestCaseInfo& info = stats.testInfo;
    std::string rule;
    bool may_fail = false;
    for (const std::string& tag : info.tags) {
      may_fail = may_fail || tag == "!mayfail" || tag == "!shouldfail";
      if (tag == "conformance" || tag == "sim" || tag == "checker" || tag == "random" || tag.empty() || tag[0] == '.' ||
          tag[0] == '!')
        continue;
      rule += (rule.empty() ? "" : " ") + ("§" + tag);
    }
    std::string desc = info.description;
    while (!desc.empty() && desc.front() == ' ') desc.erase(desc.begin());
    if (!desc.empty()) rule += (rule.empty() ? "" : ": ") + desc;
    bool ok = stats.totals.assertions.allOk() && stats.totals.testCases.failed == 0;
    rows_.push_back(Row{info.name, rule, ok ? "pass" : may_fail ? "xfail" : "FAIL"});
  }

  void testRunEnded(Catch::TestRunStats const& /*stats*/) override {
    if (!table_mode()) return;
    std::size_t w1 = 8;
    std::size_t w2 = 4;
    for (const Row& r : rows_) {
      w1 = std::max(w1, r.scenario.size());
      w2 = std::max(w2, r.rule.size());
    }
    auto pad = [](const std::string& s, std::size_t w) { return s + std::string(w > s.size() ? w - s.size() : 0, ' '); };
    std::cout << "\n| " << pad("scenario", w1) << " | " << pad("rule", w2) << " | result |\n";
    std::cout << "|" << std::string(w1 + 2, '-') << "|" << std::string(w2 + 2, '-') << "|--------|\n";
    std::size_t passed = 0;
    for (const Row& r : rows_) {
      passed += r.result == "pass" ? 1 : 0;
      std::cout << "| " << pad(r.scenario, w1) << " | " << pad(r.rule, w2) << " | " << pad(r.result, 6) << " |\n";
    }
    std::cout << "\n" << passed << " of " << rows_.size() << " scenarios passed\n";
  }

 private:
  std::vector<Row> rows_;
};

}  // namespace

CATCH_REGISTER_LISTENER(TableListener)

namespace {

using ha::raft::sim::RandomRunOptions;
using ha::raft::sim::RandomRunResult;

struct RandomArgs {
  bool random = false;  // --seeds given
  bool replay = false;  // --seed given without --seeds
  std::uint64_t seeds = 0;
  std::uint64_t first = 1;
  bool fork = true;
  RandomRunOptions run;
  std::string extra;  // options to repeat in a replay command
};

bool parse_u64(const char* s, std::uint64_t& out) {
  char* end = nullptr;
  out = std::strtoull(s, &end, 10);
  return end != s && *end == '\0';
}

bool set_fault(const std::string& name, RandomRunOptions& o) {
  if (name == "commit_old_term_by_counting") o.faults.commit_old_term_by_counting = true;
  else if (name == "grant_vote_ignoring_log") o.faults.grant_vote_ignoring_log = true;
  else if (name == "read_index_without_heartbeat") o.faults.read_index_without_heartbeat = true;
  else if (name == "count_own_entries_unpersisted") o.faults.count_own_entries_unpersisted = true;
  else if (name == "forget_vote_on_restart") o.forget_vote_on_restart = true;
  else return false;
  return true;
}

std::string replay_command(const char* argv0, const RandomArgs& a, std::uint64_t seed) {
  return std::string(argv0) + " --seed " + std::to_string(seed) + " --steps " + std::to_string(a.run.steps) + a.extra +
         " --trace";
}

void print_result(std::uint64_t seed, const RandomRunResult& r) {
  std::printf("seed %llu: %s | %s | steps %llu, committed %llu, leader terms %llu, client ops %llu, crashes %llu, "
              "partitions %llu, conf changes %llu, transfers %llu\n",
              static_cast<unsigned long long>(seed), r.ok ? "ok" : "FAILED", r.setup.c_str(),
              static_cast<unsigned long long>(r.steps), static_cast<unsigned long long>(r.committed),
              static_cast<unsigned long long>(r.terms), static_cast<unsigned long long>(r.operations),
              static_cast<unsigned long long>(r.crashes), static_cast<unsigned long long>(r.partitions),
              static_cast<unsigned long long>(r.conf_changes), static_cast<unsigned long long>(r.transfers));
  if (!r.ok) std::printf("  %s\n", r.failure.c_str());
}

// Runs one seed in a child process; returns "" on success, else what went wrong.
std::string run_forked(const RandomArgs& a, std::uint64_t seed) {
  std::fflush(stdout);
  std::fflush(stderr);
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    close(fds[0]);
    RandomRunOptions o = a.run;
    o.seed = seed;
    RandomRunResult r = ha::raft::sim::run_random(o);
    std::string msg = r.ok ? "" : r.failure + "\n  setup: " + r.setup;
    std::size_t off = 0;
    while (off < msg.size()) {
      ssize_t n = write(fds[1], msg.data() + off, msg.size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    close(fds[1]);
    _exit(r.ok ? 0 : 1);
  }
  close(fds[1]);
  std::string msg;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    msg.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  if (WIFSIGNALED(status)) return "the process died with signal " + std::to_string(WTERMSIG(status)) + " (see stderr above)";
  return msg.empty() ? "failed" : msg;
}

int run_seeds(const char* argv0, const RandomArgs& a) {
  auto t0 = std::chrono::steady_clock::now();
  std::uint64_t failed = 0;
  for (std::uint64_t seed = a.first; seed < a.first + a.seeds; ++seed) {
    std::string why;
    if (a.fork) {
      why = run_forked(a, seed);
    } else {
      RandomRunOptions o = a.run;
      o.seed = seed;
      RandomRunResult r = ha::raft::sim::run_random(o);
      if (!r.ok) why = r.failure + "\n  setup: " + r.setup;
    }
    if (!why.empty()) {
      ++failed;
      std::printf("FAILED seed %llu: %s\n  replay: %s\n", static_cast<unsigned long long>(seed), why.c_str(),
                  replay_command(argv0, a, seed).c_str());
      std::fflush(stdout);
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("random: seeds %llu..%llu, %llu steps each: %llu failed, %.1f s\n",
              static_cast<unsigned long long>(a.first), static_cast<unsigned long long>(a.first + a.seeds - 1),
              static_cast<unsigned long long>(a.run.steps), static_cast<unsigned long long>(failed), secs);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  RandomArgs a;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::uint64_t& out) {
      if (i + 1 >= argc || !parse_u64(argv[i + 1], out)) {
        std::fprintf(stderr, "%s needs a number\n", arg.c_str());
        std::exit(2);
      }
      ++i;
    };
    std::uint64_t v = 0;
    if (arg == "--table") {
      table_mode() = true;
    } else if (arg == "--seeds") {
      value(a.seeds);
      a.random = true;
    } else if (arg == "--first-seed") {
      value(a.first);
    } else if (arg == "--seed") {
      value(a.first);
      a.replay = true;
    } else if (arg == "--steps") {
      value(a.run.steps);
    } else if (arg == "--nodes") {
      value(v);
      a.run.nodes = static_cast<int>(v);
      a.extra += " --nodes " + std::to_string(v);
    } else if (arg == "--fault") {
      if (i + 1 >= argc || !set_fault(argv[i + 1], a.run)) {
        std::fprintf(stderr, "--fault needs one of commit_old_term_by_counting, grant_vote_ignoring_log, "
                             "read_index_without_heartbeat, count_own_entries_unpersisted, forget_vote_on_restart\n");
        return 2;
      }
      a.extra += std::string(" --fault ") + argv[++i];
    } else if (arg == "--no-liveness") {
      a.run.liveness = false;
      a.extra += " --no-liveness";
    } else if (arg == "--join-empty") {
      a.run.joiners_know_bootstrap = false;
      a.extra += " --join-empty";
    } else if (arg == "--shrink-to-one") {
      a.run.shrink_to_one = true;  // the default; kept for old command lines
    } else if (arg == "--no-shrink-to-one") {
      a.run.shrink_to_one = false;
      a.extra += " --no-shrink-to-one";
    } else if (arg == "--lease-reads") {
      a.run.lease_reads = true;
      a.extra += " --lease-reads";
    } else if (arg == "--no-fork") {
      a.fork = false;
    } else if (arg == "--trace") {
      a.run.trace = &std::cout;
    } else {
      rest.push_back(argv[i]);
    }
  }
  if ((a.random || a.replay) && rest.size() > 1) {
    std::fprintf(stderr, "unknown option for a randomized run: %s\n", rest[1]);
    return 2;
  }
  if (a.random) return run_seeds(argv[0], a);
  if (a.replay) {
    RandomRunOptions o = a.run;
    o.seed = a.first;
    RandomRunResult r = ha::raft::sim::run_random(o);
    print_result(a.first, r);
    return r.ok ? 0 : 1;
  }
  Catch::Session session;
  int rc = session.applyCommandLine(static_cast<int>(rest.size()), rest.data());
  if (rc != 0) return rc;
  return session.run();
}
