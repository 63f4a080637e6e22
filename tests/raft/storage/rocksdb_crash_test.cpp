// Crash recovery: a child process writes synced batches and acknowledges each through a pipe;
// it is killed with SIGKILL at random moments; the reopened store must hold every acknowledged
// write (it equals the state after the last acknowledged op, or after the one in flight).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <random>

#include "raft/rocksdb_storage.hpp"
#include "tests/raft/storage/temp_dir.hpp"
#include "tests/raft/storage/workload.hpp"

extern char** environ;

namespace ha::raft::test {
namespace {

struct ChildRun {
  std::uint64_t acked = 0;  // ops the child reported done
  int status = 0;           // from waitpid
};

// Starts the helper in crash mode, lets it run for `run_for`, kills it with SIGKILL and
// collects its acknowledgements.
ChildRun run_and_kill(const std::string& dir, std::uint64_t seed, std::uint64_t resume,
                      std::chrono::milliseconds run_for) {
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  std::vector<std::string> args{HA_STORAGE_HELPER, "crash", dir, std::to_string(seed),
                                std::to_string(resume)};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  REQUIRE(rc == 0);

  ChildRun run;
  run.acked = resume;
  std::uint64_t buf[512];
  std::size_t partial = 0;  // bytes of an unfinished 8-byte ack at the start of buf
  auto read_some = [&](int timeout_ms) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    ssize_t n = ::read(fds[0], reinterpret_cast<char*>(buf) + partial, sizeof buf - partial);
    if (n <= 0) return false;
    std::size_t total = partial + static_cast<std::size_t>(n);
    std::size_t whole = total / 8;
    if (whole > 0) run.acked = buf[whole - 1];
    partial = total % 8;
    if (partial > 0) std::memmove(buf, reinterpret_cast<char*>(buf) + whole * 8, partial);
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + run_for;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    read_some(static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
  }
  ::kill(pid, SIGKILL);
  REQUIRE(waitpid(pid, &run.status, 0) == pid);
  while (read_some(0)) {
  }
  ::close(fds[0]);
  return run;
}

TEST_CASE("storage: every acknowledged write survives SIGKILL, across several crashes",
          "[storage][crash]") {
  TempDir tmp;
  const std::string dir = tmp.store();
  const std::uint64_t seed = 20240601;
  std::mt19937_64 rng(std::random_device{}());
  std::uint64_t resume = 0;
  std::uint64_t total_acked = 0;
  int in_flight_seen = 0;
  RocksDbStorage::OpenOptions options;
  options.bootstrap = Workload::bootstrap_conf();

  for (int round = 0; round < 12; ++round) {
    // Round 0 kills the child at once (possibly while it creates the store); the others after
    // a random time, which lands anywhere in a write, an fsync or between them.
    auto run_for = std::chrono::milliseconds(round == 0 ? 0 : 20 + rng() % 400);
    ChildRun run = run_and_kill(dir, seed, resume, run_for);
    INFO("round " << round << ", ran " << run_for.count() << " ms, resumed at op " << resume
                  << ", acknowledged op " << run.acked);
    // It must have died from our SIGKILL, not from an error of its own.
    if (WIFEXITED(run.status)) FAIL("helper exited with status " << WEXITSTATUS(run.status));
    REQUIRE(WIFSIGNALED(run.status));
    REQUIRE(WTERMSIG(run.status) == SIGKILL);
    REQUIRE(run.acked >= resume);
    total_acked += run.acked - resume;

    // Reopening verifies the store; it must equal the state after the acknowledged op or after
    // the single op that was in flight when the kill landed.
    std::unique_ptr<RocksDbStorage> db = RocksDbStorage::open(dir, options);
    Workload w(seed, WorkloadOptions{});
    while (w.ops_done() < run.acked) w.next();
    std::string at_acked = diff_stores(w.model(), *db);
    if (at_acked.empty()) {
      resume = run.acked;
    } else {
      StorageOp op = w.next();
      std::string at_next = diff_stores(w.model(), *db);
      INFO("against the acknowledged state: " << at_acked);
      INFO("against the state after the in-flight " << to_string(op.kind) << ": " << at_next);
      REQUIRE(at_next.empty());
      resume = run.acked + 1;
      ++in_flight_seen;
    }
  }
  // The test only means something if the child got real work done.
  CHECK(total_acked >= 50);
  WARN("acknowledged ops over all rounds: " << total_acked << ", in-flight op found durable "
                                            << in_flight_seen << " times");
}

}  // namespace
}  // namespace ha::raft::test
