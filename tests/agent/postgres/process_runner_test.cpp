// The process runner with real programs (coreutils, sh): argv without a shell, environment,
// exit statuses and signals, deadlines that kill the process group, descendants that keep the
// pipes open, running as another user, start failures; and the postmaster.pid probe.
#include "agent/postgres/process_runner.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/postgres/os_user.hpp"
#include "agent/postgres/postmaster_pid.hpp"
#include "tests/agent/postgres/temp_dir.hpp"

using namespace ha::agent::pg;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

ProcessSpec cmd(std::string program, std::vector<std::string> args,
                Millis timeout = Millis(10'000)) {
  ProcessSpec s;
  s.program = std::move(program);
  s.args = std::move(args);
  s.timeout = timeout;
  return s;
}

// Gone or a zombie (no longer running), waiting up to two seconds.
bool process_ends(pid_t pid) {
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  while (Clock::now() < deadline) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return true;
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z') {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TEST_CASE("process runner: arguments reach the program as-is without a shell", "[process]") {
  ha::test::TempDir dir("ha-runner");
  const std::string marker = dir / "injected";
  ProcessRunner runner;
  auto r = runner.run(cmd("echo", {"$(touch " + marker + ")", "; touch " + marker, "a b", "'q'"}));
  REQUIRE(r.success());
  CHECK(r.out == "$(touch " + marker + ") ; touch " + marker + " a b 'q'\n");
  CHECK_FALSE(fs::exists(marker));
  CHECK(r.pid > 0);
}

TEST_CASE("process runner: exit status and stderr and signals", "[process]") {
  ProcessRunner runner;
  auto f = runner.run(cmd("false", {}));
  CHECK(f.started);
  CHECK_FALSE(f.success());
  CHECK(f.exit_code == 1);
  CHECK(f.describe() == "exit status 1");

  auto ls = runner.run(cmd("/bin/ls", {"/no/such/path/here"}));
  CHECK(ls.exit_code == 2);
  CHECK_THAT(ls.err, Catch::Contains("/no/such/path/here"));
  CHECK(ls.out.empty());

  auto killed = runner.run(cmd("/bin/sh", {"-c", "kill -9 $$"}));
  CHECK(killed.term_signal == SIGKILL);
  CHECK_THAT(killed.describe(), Catch::Contains("signal 9"));
}

TEST_CASE("process runner: environment overrides and removals and a clean slate", "[process]") {
  ProcessRunner runner;
  ::setenv("HA_RUNNER_TEST_KEEP", "kept", 1);
  ::setenv("HA_RUNNER_TEST_DROP", "dropped", 1);
  ProcessSpec s = cmd("env", {});
  s.set_env = {{"HA_RUNNER_TEST_NEW", "v=1 2"}, {"HA_RUNNER_TEST_KEEP", "replaced"}};
  s.unset_env = {"HA_RUNNER_TEST_DROP"};
  auto r = runner.run(s);
  REQUIRE(r.success());
  CHECK_THAT(r.out, Catch::Contains("HA_RUNNER_TEST_NEW=v=1 2\n"));
  CHECK_THAT(r.out, Catch::Contains("HA_RUNNER_TEST_KEEP=replaced\n"));
  CHECK_THAT(r.out, !Catch::Contains("HA_RUNNER_TEST_DROP"));

  s = cmd("/usr/bin/env", {});
  s.inherit_env = false;
  s.set_env = {{"ONLY", "me"}};
  auto clean = runner.run(s);
  REQUIRE(clean.success());
  CHECK(clean.out == "ONLY=me\n");
}

TEST_CASE("process runner: a deadline kills the whole process group", "[process]") {
  ProcessRunner runner;
  const auto start = Clock::now();
  // The shell prints its background child's pid, then waits for it.
  auto r = runner.run(cmd("/bin/sh", {"-c", "sleep 30 & echo $!; wait"}, Millis(400)));
  const auto took = Clock::now() - start;
  CHECK(r.timed_out);
  CHECK_FALSE(r.success());
  CHECK_THAT(r.describe(), Catch::Contains("timed out"));
  CHECK(took < std::chrono::seconds(3));
  CHECK(r.elapsed >= Millis(400));
  const pid_t background = std::atoi(r.out.c_str());
  REQUIRE(background > 0);
  CHECK(process_ends(background));
}

TEST_CASE("process runner: a descendant holding the pipes does not block the return", "[process]") {
  ProcessRunner runner;
  const auto start = Clock::now();
  auto r = runner.run(cmd("/bin/sh", {"-c", "sleep 20 & echo started"}));
  CHECK(Clock::now() - start < std::chrono::seconds(2));
  CHECK(r.success());
  CHECK(r.out == "started\n");
  ::kill(-r.pid, SIGKILL);  // the sleep is still in the child's process group
}

TEST_CASE("process runner: large output does not deadlock", "[process]") {
  ProcessRunner runner;
  auto r = runner.run(cmd("head", {"-c", "3000000", "/dev/zero"}));
  REQUIRE(r.success());
  CHECK(r.out.size() == 3'000'000);
}

TEST_CASE("process runner: start failures say what and where", "[process]") {
  ProcessRunner runner;
  auto missing = runner.run(cmd("/no/such/dir/initdb", {}));
  CHECK_FALSE(missing.started);
  CHECK_THAT(missing.start_error, Catch::Contains("/no/such/dir/initdb"));
  CHECK_THAT(missing.start_error, Catch::Contains("No such file"));
  CHECK(missing.describe() == missing.start_error);

  auto not_in_path = runner.run(cmd("ha-no-such-program-xyz", {}));
  CHECK_FALSE(not_in_path.started);
  CHECK_THAT(not_in_path.start_error, Catch::Contains("not found in PATH"));

  ProcessSpec s = cmd("pwd", {});
  s.cwd = "/tmp";
  auto pwd = runner.run(s);
  REQUIRE(pwd.success());
  CHECK(pwd.out == "/tmp\n");
  s.cwd = "/no/such/cwd";
  auto bad_cwd = runner.run(s);
  CHECK_FALSE(bad_cwd.started);
  CHECK_THAT(bad_cwd.start_error, Catch::Contains("cannot enter directory /no/such/cwd"));

  ProcessSpec u = cmd("id", {});
  u.run_as = "ha-no-such-user";
  auto no_user = runner.run(u);
  CHECK_FALSE(no_user.started);
  CHECK_THAT(no_user.start_error, Catch::Contains("no such user 'ha-no-such-user'"));
}

TEST_CASE("process runner: run as another user", "[process]") {
  auto postgres = lookup_os_user("postgres");
  if (!postgres.ok()) {
    FAIL("no 'postgres' user on this machine: run deploy/install-deps.sh (postgresql-15)");
  }
  ProcessRunner runner;
  ProcessSpec s = cmd("/bin/sh", {"-c", "id -u; id -g; echo $HOME; echo $USER"});
  s.run_as = "postgres";
  auto r = runner.run(s);
  if (::geteuid() == 0) {
    REQUIRE(r.success());
    CHECK(r.out ==
          fmt::format("{}\n{}\n{}\npostgres\n", postgres->uid, postgres->gid, postgres->home));
  } else if (::geteuid() != postgres->uid) {
    CHECK_FALSE(r.started);
    CHECK_THAT(r.start_error, Catch::Contains("only root can switch users"));
  }
}

TEST_CASE("display_command quotes what a shell would split", "[process]") {
  ProcessSpec s = cmd("/usr/bin/pg_ctl", {"start", "-o", "-p 5433", "it's", ""});
  CHECK(display_command(s) == "/usr/bin/pg_ctl start -o '-p 5433' 'it'\\''s' ''");
}

TEST_CASE("postmaster.pid probe: stopped or crashed or running or a reused pid", "[process]") {
  ha::test::TempDir dir("ha-pidfile");
  const std::string data = dir.path();
  CHECK(probe_postmaster(data).state == PostmasterState::kStopped);

  auto write_pid = [&](pid_t pid) {
    std::ofstream(data + "/postmaster.pid")
        << pid << "\n"
        << data << "\n1700000000\n5433\n/tmp\n127.0.0.1\n  1234  5678\nready   \n";
  };
  // A pid that no longer exists: crashed.
  const pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ::waitpid(gone, nullptr, 0);
  write_pid(gone);
  auto crashed = probe_postmaster(data);
  CHECK(crashed.state == PostmasterState::kCrashed);
  REQUIRE(crashed.pid_file);
  CHECK(crashed.pid_file->pid == gone);
  CHECK(crashed.pid_file->port == 5433);
  CHECK(crashed.pid_file->socket_dir == "/tmp");
  CHECK(crashed.pid_file->listen_address == "127.0.0.1");
  CHECK(crashed.pid_file->status == "ready");
  CHECK(crashed.pid_file->start_epoch == 1700000000);

  // A live process that is not PostgreSQL (this test): the pid was reused, so crashed.
  write_pid(::getpid());
  CHECK(probe_postmaster(data).state == PostmasterState::kCrashed);

  // A live process called postgres: running.
  const std::string fake = dir / "postgres";
  fs::copy_file("/bin/sleep", fake);
  ::chmod(fake.c_str(), 0755);
  const pid_t child = ::fork();
  if (child == 0) {
    ::execl(fake.c_str(), "postgres", "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let it exec
  write_pid(child);
  CHECK(probe_postmaster(data).state == PostmasterState::kRunning);
  // Killed but not reaped yet (a zombie, as a killed postmaster is until its parent reaps it):
  // gone. Being its parent here, the probe reaps it.
  ::kill(child, SIGKILL);
  CHECK(process_ends(child));
  CHECK(probe_postmaster(data).state == PostmasterState::kCrashed);
  errno = 0;
  CHECK(::waitpid(child, nullptr, WNOHANG) == -1);
  CHECK(errno == ECHILD);
  CHECK(probe_postmaster(data).state == PostmasterState::kCrashed);

  std::ofstream(data + "/postmaster.pid") << "garbage\n";
  auto garbled = probe_postmaster(data);
  CHECK(garbled.state == PostmasterState::kCrashed);
  CHECK_FALSE(garbled.pid_file);
}
