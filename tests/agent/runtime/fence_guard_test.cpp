// FenceGuard: the guard process stops "PostgreSQL" (a stand-in program named postgres, with a
// postmaster.pid naming it) when its deadline passes or when the agent's end of the pipe closes
// while armed, and leaves it alone while disarmed or after a clean finish.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/runtime/fence_guard.hpp"

using namespace ha::agent;
namespace fs = std::filesystem;

namespace {

// A directory with a program called "postgres" (a copy of sleep) running, and its pid in
// postmaster.pid, as a data directory would have.
class FakePostmaster {
 public:
  FakePostmaster() {
    char tmpl[] = "/tmp/fence-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    fs::copy_file("/bin/sleep", dir_ + "/postgres");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl((dir_ + "/postgres").c_str(), "postgres", "60", nullptr);
      ::_exit(127);
    }
    std::ofstream(dir_ + "/postmaster.pid") << pid_ << "\n" << dir_ << "\n";
  }
  ~FakePostmaster() {
    ::kill(pid_, SIGKILL);
    reaped();
    fs::remove_all(dir_);
  }
  const std::string& dir() const { return dir_; }
  // Whether it was stopped within `within` (reaping it: it is our child).
  bool stopped_within(std::chrono::milliseconds within) {
    const auto until = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < until) {
      if (reaped()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return reaped();
  }

 private:
  bool reaped() {
    if (done_) return true;
    int status = 0;
    done_ = ::waitpid(pid_, &status, WNOHANG) == pid_;
    return done_;
  }
  std::string dir_;
  pid_t pid_ = -1;
  bool done_ = false;
};

}  // namespace

TEST_CASE("fence guard: a deadline that passes stops PostgreSQL") {
  FakePostmaster pg;
  std::string error;
  auto guard = FenceGuard::start(pg.dir(), {}, error);
  REQUIRE(guard);
  REQUIRE(guard->arm(SteadyClock::now() + Millis(300)));
  CHECK_FALSE(pg.stopped_within(Millis(150)));
  CHECK(pg.stopped_within(Millis(3000)));
  guard->finish();
}

TEST_CASE("fence guard: a deadline moved forward in time does not fire") {
  FakePostmaster pg;
  std::string error;
  auto guard = FenceGuard::start(pg.dir(), {}, error);
  REQUIRE(guard);
  for (int i = 0; i < 8; ++i) {
    REQUIRE(guard->arm(SteadyClock::now() + Millis(300)));
    std::this_thread::sleep_for(Millis(100));
  }
  CHECK_FALSE(pg.stopped_within(Millis(10)));
  REQUIRE(guard->disarm());
  CHECK_FALSE(pg.stopped_within(Millis(600)));  // disarmed: the old deadline is gone
  guard->finish();
  CHECK_FALSE(pg.stopped_within(Millis(100)));
}

TEST_CASE("fence guard: the agent dying while armed stops PostgreSQL at once") {
  FakePostmaster pg;
  std::string error;
  auto guard = FenceGuard::start(pg.dir(), {}, error);
  REQUIRE(guard);
  const pid_t guard_pid = guard->pid();
  REQUIRE(guard->arm(SteadyClock::now() + std::chrono::seconds(30)));
  guard.reset();  // closes our end of the pipe without a goodbye, as kill -9 would
  CHECK(pg.stopped_within(Millis(2000)));
  int status = 0;
  ::waitpid(guard_pid, &status, 0);
}

TEST_CASE("fence guard: the agent going away while disarmed leaves PostgreSQL running") {
  FakePostmaster pg;
  std::string error;
  auto guard = FenceGuard::start(pg.dir(), {}, error);
  REQUIRE(guard);
  const pid_t guard_pid = guard->pid();
  REQUIRE(guard->arm(SteadyClock::now() + std::chrono::seconds(30)));
  REQUIRE(guard->disarm());
  guard.reset();
  int status = 0;
  ::waitpid(guard_pid, &status, 0);
  CHECK_FALSE(pg.stopped_within(Millis(300)));
}

TEST_CASE("fence_postmaster: leaves a pid alone that is not PostgreSQL") {
  char tmpl[] = "/tmp/fence-test-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  std::ofstream(dir + "/postmaster.pid") << ::getpid() << "\n";
  const auto what = fence_postmaster(dir);
  CHECK(what.find("not PostgreSQL") != std::string::npos);
  fs::remove(dir + "/postmaster.pid");
  CHECK(fence_postmaster(dir).find("no postmaster.pid") != std::string::npos);
  fs::remove_all(dir);
}
