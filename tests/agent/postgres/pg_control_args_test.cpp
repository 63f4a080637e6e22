// PgControl with a recording CommandRunner: the exact programs, arguments, users and
// environments it asks for, how it reads their failures, and the files write_config leaves in
// a data directory. No PostgreSQL runs here (see the e2e tests for that).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "agent/postgres/pg_control.hpp"
#include "tests/agent/postgres/temp_dir.hpp"

using namespace ha::agent::pg;
namespace fs = std::filesystem;

namespace {

class FakeRunner final : public CommandRunner {
 public:
  std::function<ProcessResult(const ProcessSpec&)> answer;
  std::vector<ProcessSpec> calls;

  ProcessResult run(const ProcessSpec& spec) override {
    calls.push_back(spec);
    if (answer) return answer(spec);
    return ok("");
  }

  static ProcessResult ok(std::string out) {
    ProcessResult r;
    r.started = true;
    r.exit_code = 0;
    r.out = std::move(out);
    return r;
  }
  static ProcessResult failed(int code, std::string err) {
    ProcessResult r;
    r.started = true;
    r.exit_code = code;
    r.err = std::move(err);
    return r;
  }
};

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool has_arg(const ProcessSpec& s, const std::string& arg) {
  return std::find(s.args.begin(), s.args.end(), arg) != s.args.end();
}

// The argument right after `flag`, or "".
std::string arg_after(const ProcessSpec& s, const std::string& flag) {
  auto it = std::find(s.args.begin(), s.args.end(), flag);
  return it != s.args.end() && it + 1 != s.args.end() ? *(it + 1) : "";
}

std::string env_of(const ProcessSpec& s, const std::string& name) {
  for (const auto& [k, v] : s.set_env) {
    if (k == name) return v;
  }
  return "";
}

struct Fixture {
  ha::test::TempDir root{"ha-pg-args"};
  std::string bin = root / "bin";
  std::string data = root / "data";
  FakeRunner runner;

  Fixture() {
    fs::create_directory(bin);
    for (const char* p :
         {"initdb", "pg_ctl", "postgres", "pg_basebackup", "pg_rewind", "pg_controldata"}) {
      write_file(bin + "/" + p, "#!/bin/false\n");
      ::chmod((bin + "/" + p).c_str(), 0755);
    }
  }
  void make_cluster(const std::string& version = "15") {
    fs::create_directories(data + "/global");
    ::chmod(data.c_str(), 0700);  // as initdb leaves it (no group access)
    write_file(data + "/PG_VERSION", version + "\n");
    write_file(data + "/global/pg_control", "x");
    write_file(data + "/postgresql.conf", "# stock\nmax_connections = 100\n");
  }
  PgControl control(const std::string& run_as = "") {
    return PgControl(PgControlOptions{bin, data, run_as, root / "server.log", Millis(5000)},
                     runner);
  }
};

}  // namespace

TEST_CASE("pg_control: a bad bin_dir is reported with its path and nothing runs", "[pg_control]") {
  Fixture f;
  FakeRunner runner;
  PgControl pg(PgControlOptions{f.root / "no-such-bin", f.data, "", "", Millis(1000)}, runner);
  auto s = pg.initdb({});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().kind == PgErrorKind::kCommand);
  CHECK_THAT(s.error().message, Catch::Contains(f.root / "no-such-bin"));
  CHECK_THAT(s.error().message, Catch::Contains("bin_dir"));
  CHECK(runner.calls.empty());

  fs::remove(f.bin + "/pg_rewind");
  auto c = f.control().check_programs({"pg_ctl", "pg_rewind"});
  REQUIRE_FALSE(c.ok());
  CHECK_THAT(c.error().message, Catch::Contains(f.bin + "/pg_rewind"));
}

TEST_CASE("pg_control: initdb arguments checksums once password through a private file",
          "[pg_control]") {
  Fixture f;
  std::string password_seen;
  std::string pwfile;
  f.runner.answer = [&](const ProcessSpec& s) {
    for (const auto& a : s.args) {
      if (a.rfind("--pwfile=", 0) == 0) pwfile = a.substr(9);
    }
    password_seen = read_file(pwfile);
    return FakeRunner::ok("");
  };
  auto pg = f.control();
  InitdbOptions o;
  o.superuser = "admin";
  o.superuser_password = "s3cret";
  o.locale = "C";
  o.auth_local = "trust";
  o.auth_host = "scram-sha-256";
  o.extra_args = {"--wal-segsize=32"};
  REQUIRE(pg.initdb(o).ok());
  REQUIRE(f.runner.calls.size() == 1);
  const auto& s = f.runner.calls[0];
  CHECK(s.program == f.bin + "/initdb");
  CHECK(arg_after(s, "-D") == f.data);
  CHECK(has_arg(s, "--username=admin"));
  CHECK(has_arg(s, "--encoding=UTF8"));
  CHECK(has_arg(s, "--locale=C"));
  CHECK(has_arg(s, "--auth-local=trust"));
  CHECK(has_arg(s, "--auth-host=scram-sha-256"));
  CHECK(has_arg(s, "--data-checksums"));
  CHECK(has_arg(s, "--wal-segsize=32"));
  CHECK(password_seen == "s3cret\n");
  CHECK_FALSE(fs::exists(pwfile));  // removed afterwards
  CHECK(fs::is_directory(f.data));  // created for initdb

  // Checksums asked for in extra_args are not passed twice; a non-empty directory is refused.
  Fixture g;
  auto pg2 = g.control();
  InitdbOptions o2;
  o2.extra_args = {"-k"};
  REQUIRE(pg2.initdb(o2).ok());
  CHECK_FALSE(has_arg(g.runner.calls[0], "--data-checksums"));
  g.make_cluster();
  auto again = pg2.initdb({});
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().kind == PgErrorKind::kState);
  CHECK_THAT(again.error().message, Catch::Contains("not empty"));
}

TEST_CASE("pg_control: start runs pg_ctl -w with the port as the user and explains failures",
          "[pg_control]") {
  Fixture f;
  f.make_cluster();
  f.runner.answer = [&](const ProcessSpec& s) {
    if (has_arg(s, "--version")) return FakeRunner::ok("pg_ctl (PostgreSQL) 15.14 (Debian)\n");
    // The server writes its reason to the log, pg_ctl only says it could not start.
    std::ofstream(arg_after(s, "-l"), std::ios::app)
        << "2026-01-01 00:00:00 UTC [1] LOG:  could not bind IPv4 address \"127.0.0.1\": "
           "Address already in use\n2026-01-01 00:00:00 UTC [1] FATAL:  could not create any "
           "TCP/IP sockets\n";
    return FakeRunner::failed(1,
                              "waiting for server to start.... stopped waiting\npg_ctl: could "
                              "not start server\nExamine the log output.\n");
  };
  auto pg = f.control("nobody");
  auto s = pg.start(StartOptions{Millis(7000), 5433});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().kind == PgErrorKind::kCommand);
  CHECK_THAT(s.error().message, Catch::Contains("Address already in use"));
  CHECK_THAT(s.error().message, Catch::Contains("pg_ctl: could not start server"));
  CHECK_THAT(s.error().message, Catch::Contains("exit status 1"));
  REQUIRE(f.runner.calls.size() == 2);
  const auto& start = f.runner.calls[1];
  CHECK(start.program == f.bin + "/pg_ctl");
  CHECK(start.args[0] == "start");
  CHECK(start.run_as == "nobody");
  CHECK(arg_after(start, "-D") == f.data);
  CHECK(arg_after(start, "-t") == "7");
  CHECK(arg_after(start, "-o") == "-p 5433");
  CHECK(has_arg(start, "-w"));
  CHECK(env_of(start, "LC_ALL") == "C");
  CHECK(start.timeout > Millis(7000));  // pg_ctl reports its own timeout first

  // "did not start in time" is a timeout, not a plain failure.
  f.runner.answer = [&](const ProcessSpec& sp) {
    if (has_arg(sp, "--version")) return FakeRunner::ok("pg_ctl (PostgreSQL) 15.14\n");
    return FakeRunner::failed(1, "pg_ctl: server did not start in time\n");
  };
  auto slow = pg.start(StartOptions{Millis(1000), std::nullopt});
  REQUIRE_FALSE(slow.ok());
  CHECK(slow.error().kind == PgErrorKind::kTimeout);
  CHECK_FALSE(has_arg(f.runner.calls.back(), "-o"));
}

TEST_CASE("pg_control: start refuses a cluster of another major version", "[pg_control]") {
  Fixture f;
  f.make_cluster("14");
  f.runner.answer = [](const ProcessSpec&) { return FakeRunner::ok("pg_ctl (PostgreSQL) 15.4\n"); };
  auto pg = f.control();
  auto s = pg.start({});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().kind == PgErrorKind::kState);
  CHECK_THAT(s.error().message, Catch::Contains("PostgreSQL 14 cluster"));
  CHECK_THAT(s.error().message, Catch::Contains("PostgreSQL 15 programs"));
  CHECK(f.runner.calls.size() == 1);  // only --version
}

TEST_CASE("pg_control: stop reload and promote of a server that is not running", "[pg_control]") {
  Fixture f;
  f.make_cluster();
  auto pg = f.control();
  CHECK(pg.status().state == PostmasterState::kStopped);
  CHECK(pg.stop(StopMode::kFast, Millis(1000)).ok());  // nothing to stop: fine
  auto reload = pg.reload();
  REQUIRE_FALSE(reload.ok());
  CHECK(reload.error().kind == PgErrorKind::kState);
  auto promote = pg.promote(Millis(1000));
  REQUIRE_FALSE(promote.ok());
  CHECK_THAT(promote.error().message, Catch::Contains("not running"));
  CHECK(f.runner.calls.empty());
}

TEST_CASE(
    "pg_control: clone runs pg_basebackup with streamed WAL a slot and the password in its "
    "environment",
    "[pg_control]") {
  Fixture f;
  auto pg = f.control();
  CloneOptions o;
  o.source_conninfo = "host=10.0.0.1 port=5432 user=repl";
  o.password = "pw";
  o.slot = "node_b";
  o.create_slot = true;
  REQUIRE(pg.clone(o).ok());
  REQUIRE(f.runner.calls.size() == 1);
  const auto& s = f.runner.calls[0];
  CHECK(s.program == f.bin + "/pg_basebackup");
  CHECK(arg_after(s, "-D") == f.data);
  CHECK(arg_after(s, "-X") == "stream");
  CHECK(has_arg(s, "--checkpoint=fast"));
  CHECK(arg_after(s, "-d") == "host=10.0.0.1 port=5432 user=repl");
  CHECK(arg_after(s, "-S") == "node_b");
  CHECK(has_arg(s, "-C"));
  CHECK_FALSE(has_arg(s, "-R"));  // the agent writes the recovery settings itself
  CHECK(env_of(s, "PGPASSWORD") == "pw");
  for (const auto& a : s.args) CHECK(a.find("pw") == std::string::npos);  // not on the command line

  // A failed clone leaves an empty directory, and its error says what pg_basebackup said.
  Fixture g;
  g.runner.answer = [&](const ProcessSpec&) {
    write_file(g.data + "/half-copied", "x");
    return FakeRunner::failed(1, "pg_basebackup: error: connection to server failed\n");
  };
  auto bad = g.control().clone(CloneOptions{"host=x", "", "", false, {}, Millis(1000)});
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains("connection to server failed"));
  CHECK(fs::is_empty(g.data));

  // Cloning over an existing cluster is refused.
  Fixture h;
  h.make_cluster();
  auto over = h.control().clone(CloneOptions{"host=x", "", "", false, {}, Millis(1000)});
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().kind == PgErrorKind::kState);
  CHECK(h.runner.calls.empty());
}

TEST_CASE("pg_control: rewind arguments and 'no rewind required'", "[pg_control]") {
  Fixture f;
  f.make_cluster();
  f.runner.answer = [](const ProcessSpec&) {
    ProcessResult r = FakeRunner::ok("");
    r.err =
        "pg_rewind: source and target cluster are on the same timeline\n"
        "pg_rewind: no rewind required\n";
    return r;
  };
  auto pg = f.control();
  auto r = pg.rewind(RewindOptions{"host=10.0.0.2 user=postgres", "pw", {}, Millis(1000)});
  REQUIRE(r.ok());
  CHECK_FALSE(r->rewound);
  const auto& s = f.runner.calls.at(0);
  CHECK(s.program == f.bin + "/pg_rewind");
  CHECK(has_arg(s, "--source-server=host=10.0.0.2 user=postgres"));
  CHECK(env_of(s, "PGPASSWORD") == "pw");

  f.runner.answer = [](const ProcessSpec&) {
    ProcessResult res = FakeRunner::ok("");
    res.err =
        "pg_rewind: servers diverged at WAL location 0/3000060 on timeline 1\n"
        "pg_rewind: Done!\n";
    return res;
  };
  auto r2 = pg.rewind(RewindOptions{"host=10.0.0.2", "", {}, Millis(1000)});
  REQUIRE(r2.ok());
  CHECK(r2->rewound);
  CHECK_THAT(r2->output, Catch::Contains("diverged at WAL location 0/3000060"));
}

TEST_CASE("pg_control: write_config writes the ha file the include once pg_hba and standby.signal",
          "[pg_control]") {
  Fixture f;
  f.make_cluster();
  auto pg = f.control();
  ServerSettings s;
  s.port = 5544;
  s.standby = StandbySettings{"host=a port=1 user=r", "slot_a", "latest"};
  REQUIRE(pg.write_config(s, {"local all all trust"}).ok());
  CHECK_THAT(read_file(f.data + "/postgresql.ha.conf"), Catch::Contains("port = '5544'"));
  CHECK_THAT(read_file(f.data + "/postgresql.ha.conf"),
             Catch::Contains("primary_slot_name = 'slot_a'"));
  CHECK_THAT(read_file(f.data + "/pg_hba.conf"), Catch::EndsWith("local all all trust\n"));
  CHECK(fs::exists(f.data + "/standby.signal"));
  const auto conf = read_file(f.data + "/postgresql.conf");
  CHECK_THAT(conf, Catch::StartsWith("# stock\nmax_connections = 100\n"));
  CHECK_THAT(conf, Catch::Contains("include_if_exists = 'postgresql.ha.conf'"));
  struct stat st {};
  REQUIRE(::stat((f.data + "/postgresql.ha.conf").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // With group access on the directory (initdb --allow-group-access), files are 0640.
  ::chmod(f.data.c_str(), 0750);
  REQUIRE(pg.write_config(s, {}).ok());
  REQUIRE(::stat((f.data + "/postgresql.ha.conf").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  ::chmod(f.data.c_str(), 0700);

  // As a primary: no standby.signal, and the include line is not added twice; pg_hba is left
  // alone when no lines are given.
  s.standby.reset();
  REQUIRE(pg.write_config(s, {}).ok());
  CHECK_FALSE(fs::exists(f.data + "/standby.signal"));
  const auto conf2 = read_file(f.data + "/postgresql.conf");
  CHECK(conf2.find("include_if_exists") == conf2.rfind("include_if_exists"));
  CHECK_THAT(read_file(f.data + "/pg_hba.conf"), Catch::EndsWith("local all all trust\n"));
  CHECK(f.runner.calls.empty());

  // A cluster too old for standby.signal is refused; so is an empty directory.
  Fixture old;
  old.make_cluster("11");
  auto r = old.control().write_config(s, {});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("12 or newer"));
  Fixture none;
  auto r2 = none.control().write_config(s, {});
  REQUIRE_FALSE(r2.ok());
  CHECK_THAT(r2.error().message, Catch::Contains("initdb or clone first"));
}

TEST_CASE("pg_control: moving aside and removing the data directory", "[pg_control]") {
  Fixture f;
  f.make_cluster();
  auto pg = f.control();
  auto moved = pg.move_data_dir_aside("failed-1");
  REQUIRE(moved.ok());
  CHECK(*moved == f.data + ".failed-1");
  CHECK(fs::exists(*moved + "/PG_VERSION"));
  CHECK(pg.data_dir_state() == DataDirState::kMissing);
  CHECK_FALSE(pg.move_data_dir_aside("a/b").ok());
  f.make_cluster();
  auto clash = pg.move_data_dir_aside("failed-1");
  REQUIRE_FALSE(clash.ok());
  CHECK_THAT(clash.error().message, Catch::Contains("already exists"));
  REQUIRE(pg.remove_data_dir().ok());
  CHECK_FALSE(fs::exists(f.data));

  FakeRunner runner;
  PgControl root_dir(PgControlOptions{"", "/tmp", "", "", Millis(1000)}, runner);
  auto refused = root_dir.remove_data_dir();
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains("refusing"));
}

TEST_CASE("pg_control: controldata runs pg_controldata in the C locale and parses it",
          "[pg_control]") {
  Fixture f;
  f.make_cluster();
  f.runner.answer = [](const ProcessSpec&) {
    return FakeRunner::ok(
        "Database system identifier:           42\nDatabase cluster state:               in "
        "production\nLatest checkpoint location:           0/3000060\nLatest checkpoint's REDO "
        "location:    0/3000028\nLatest checkpoint's TimeLineID:       2\nLatest checkpoint's "
        "PrevTimeLineID:   1\nMinimum recovery ending location:     0/0\nMin recovery ending "
        "loc's timeline:   0\nData page checksum version:           1\n");
  };
  auto pg = f.control();
  auto cd = pg.controldata();
  REQUIRE(cd.ok());
  CHECK(cd->state == ClusterState::kInProduction);
  CHECK(cd->timeline == 2);
  CHECK(cd->system_identifier == 42);
  CHECK(env_of(f.runner.calls.at(0), "LC_ALL") == "C");
  CHECK(f.runner.calls.at(0).args == std::vector<std::string>{f.data});
}

TEST_CASE("pg_control: start after a crash removes lock files naming a pid that is no server",
          "[pg_control]") {
  Fixture f;
  f.make_cluster();
  // The pid in the files exists (it is this test), but it is no postmaster: a reused pid, or a
  // dead postmaster not yet reaped. PostgreSQL would refuse to start while such files exist.
  const std::string pid = std::to_string(::getpid());
  write_file(f.data + "/postmaster.pid", pid + "\n" + f.data + "\n1700000000\n5433\n" +
                                             f.root.path() + "\n127.0.0.1\n -1 -1\nready\n");
  write_file(f.root / ".s.PGSQL.5433.lock", pid + "\n" + f.data + "\n");
  write_file(f.root / ".s.PGSQL.5434.lock", "999999\n");  // another server's: kept
  f.runner.answer = [&](const ProcessSpec& s) {
    if (has_arg(s, "--version")) return FakeRunner::ok("pg_ctl (PostgreSQL) 15.14\n");
    CHECK_FALSE(fs::exists(f.data + "/postmaster.pid"));
    CHECK_FALSE(fs::exists(f.root / ".s.PGSQL.5433.lock"));
    return FakeRunner::ok("server started\n");
  };
  auto pg = f.control();
  CHECK(pg.status().state == PostmasterState::kCrashed);
  REQUIRE(pg.start({}).ok());
  CHECK(f.runner.calls.size() == 2);
  CHECK(fs::exists(f.root / ".s.PGSQL.5434.lock"));
}
