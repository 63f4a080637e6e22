#include "tests/agent/postgres/pg_test_node.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/postgres/admin_queries.hpp"
#include "agent/postgres/conninfo.hpp"
#include "agent/postgres/os_user.hpp"

namespace ha::test {

namespace fs = std::filesystem;
using namespace ha::agent::pg;

std::string pg_bin_dir() {
  const char* env = std::getenv("HA_PG_BIN_DIR");
  const std::string dir = env != nullptr && *env != '\0' ? env : "/usr/lib/postgresql/15/bin";
  for (const char* program :
       {"initdb", "pg_ctl", "postgres", "pg_basebackup", "pg_rewind", "pg_controldata"}) {
    if (::access((dir + "/" + program).c_str(), X_OK) != 0) {
      FAIL("PostgreSQL 15 is not installed: " << dir << "/" << program
                                              << " is missing. Run deploy/install-deps.sh "
                                                 "(Debian package postgresql-15), or set "
                                                 "HA_PG_BIN_DIR to another bin directory.");
    }
  }
  if (::geteuid() == 0 && !lookup_os_user("postgres").ok()) {
    FAIL(
        "no 'postgres' OS user to run PostgreSQL as (it refuses root): run "
        "deploy/install-deps.sh");
  }
  return dir;
}

std::string pg_run_as() { return ::geteuid() == 0 ? "postgres" : ""; }

std::uint16_t free_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    ::close(fd);
    const auto port = ntohs(addr.sin_port);
    if (ok && port != 5432) return port;
  }
  FAIL("no free TCP port on 127.0.0.1");
  return 0;
}

bool process_alive(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

bool wait_until(const std::function<bool()>& done, Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(Millis(50));
  }
}

PgTestRoot::PgTestRoot() {
  std::string tmpl = "/tmp/ha-pg-e2e-XXXXXX";
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  path_ = tmpl;
  const std::string user = pg_run_as();
  if (!user.empty()) {
    auto u = lookup_os_user(user);
    REQUIRE(u.ok());
    REQUIRE(::chown(path_.c_str(), u->uid, u->gid) == 0);
  }
}

PgTestRoot::~PgTestRoot() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

PgTestNode::PgTestNode(const PgTestRoot& root, const std::string& name)
    : name_(name),
      root_(root.path()),
      log_file_(root.path() + "/" + name + ".log"),
      port_(free_port()),
      control_(PgControlOptions{pg_bin_dir(), root.path() + "/" + name, pg_run_as(),
                                root.path() + "/" + name + ".log", Millis(30'000)},
               runner_) {}

PgTestNode::~PgTestNode() { cleanup(); }

void PgTestNode::cleanup() {
  // Whatever the test did: stop the server, and kill what is left of it by pid.
  const auto children = postmaster_children();
  if (control_.status().state == PostmasterState::kRunning) {
    if (!control_.stop(StopMode::kImmediate, Millis(10'000)).ok()) {
      (void)control_.kill_postmaster(Millis(5000));
    }
  }
  for (int child : children) {
    std::ifstream comm("/proc/" + std::to_string(child) + "/comm");
    std::string name;
    if (std::getline(comm, name) && name == "postgres") ::kill(child, SIGKILL);
  }
}

ServerSettings PgTestNode::settings(const PgTestNode* upstream, const std::string& slot) const {
  ServerSettings s;
  s.listen_addresses = "127.0.0.1";
  s.port = port_;
  s.unix_socket_directories = root_;
  s.cluster_name = name_;
  s.parameters = {{"fsync", "off"},
                  {"max_connections", "30"},
                  {"shared_buffers", "16MB"},
                  {"wal_keep_size", "64MB"},
                  {"wal_receiver_status_interval", "1s"},
                  {"log_min_messages", "warning"}};
  if (upstream != nullptr) {
    StandbySettings st;
    st.primary_conninfo = upstream->conninfo(kReplUser, kReplPassword, name_);
    st.primary_slot_name = slot;
    s.standby = st;
  }
  return s;
}

std::vector<std::string> PgTestNode::hba() {
  return {
      "local all all trust",
      "host all postgres 127.0.0.1/32 trust",
      "host all rewinder 127.0.0.1/32 scram-sha-256",
      "host replication replicator 127.0.0.1/32 scram-sha-256",
  };
}

void PgTestNode::init() {
  InitdbOptions o;
  o.superuser = kSuperuser;
  o.locale = "C";
  o.auth_local = "trust";
  o.auth_host = "scram-sha-256";
  o.extra_args = {"--no-sync"};
  auto s = control_.initdb(o);
  INFO(s.message());
  REQUIRE(s.ok());
  auto w = control_.write_config(settings(), hba());
  INFO(w.message());
  REQUIRE(w.ok());
}

void PgTestNode::start_as_primary() {
  auto w = control_.write_config(settings(), hba());
  INFO(w.message());
  REQUIRE(w.ok());
  auto s = control_.start(StartOptions{Millis(30'000), std::nullopt});
  INFO(s.message());
  REQUIRE(s.ok());
}

void PgTestNode::start_as_standby_of(const PgTestNode& upstream, const std::string& slot) {
  auto w = control_.write_config(settings(&upstream, slot), hba());
  INFO(w.message());
  REQUIRE(w.ok());
  auto s = control_.start(StartOptions{Millis(30'000), std::nullopt});
  INFO(s.message());
  REQUIRE(s.ok());
}

void PgTestNode::create_users() {
  auto conn = must_connect();
  auto repl = create_or_update_role(conn, RoleSpec{kReplUser, kReplPassword, true, true, false});
  INFO(repl.message());
  REQUIRE(repl.ok());
  auto rewind =
      create_or_update_role(conn, RoleSpec{kRewindUser, kRewindPassword, true, false, false});
  INFO(rewind.message());
  REQUIRE(rewind.ok());
  auto grants = grant_rewind_privileges(conn, kRewindUser);
  INFO(grants.message());
  REQUIRE(grants.ok());
}

std::string PgTestNode::conninfo(const std::string& user, const std::string& password,
                                 const std::string& application_name) const {
  ConnParams p;
  p.host = "127.0.0.1";
  p.port = port_;
  p.user = user;
  p.password = password;
  p.dbname = "postgres";
  p.application_name = application_name;
  p.connect_timeout_s = 5;
  return to_conninfo(p);
}

PgResult<PgConnection> PgTestNode::connect(Millis statement_timeout) const {
  ConnectOptions o;
  o.conninfo = conninfo();
  o.connect_timeout = Millis(5000);
  o.statement_timeout = statement_timeout;
  return PgConnection::open(o);
}

PgConnection PgTestNode::must_connect() const {
  auto c = connect();
  INFO(c.message());
  REQUIRE(c.ok());
  return std::move(c).value();
}

std::vector<std::string> PgTestNode::sql(const std::string& statement) const {
  auto conn = must_connect();
  auto r = conn.query(statement);
  INFO(statement << ": " << r.message());
  REQUIRE(r.ok());
  std::vector<std::string> out;
  for (const auto& row : r->rows) out.push_back(row.empty() ? "" : row[0].value_or("NULL"));
  return out;
}

int PgTestNode::postmaster_pid() const {
  const auto st = probe_postmaster(data_dir());
  return st.state == PostmasterState::kRunning && st.pid_file ? st.pid_file->pid : 0;
}

std::vector<int> PgTestNode::postmaster_children() const {
  std::vector<int> out;
  const int parent = postmaster_pid();
  if (parent <= 0) return out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    // ") S <ppid> ..."
    int ppid = 0;
    std::sscanf(line.c_str() + close + 1, " %*c %d", &ppid);
    if (ppid == parent) out.push_back(std::atoi(name.c_str()));
  }
  return out;
}

}  // namespace ha::test
