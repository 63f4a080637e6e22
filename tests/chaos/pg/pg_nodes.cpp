#include "tests/chaos/pg/pg_nodes.hpp"

#include <httplib.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "agent/postgres/proc_stat.hpp"
#include "tests/chaos/command.hpp"

namespace ha::chaos::pg {

namespace fs = std::filesystem;
using Ms = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

bool process_alive(pid_t pid) { return ha::agent::process_running(pid); }

std::vector<pid_t> children_of(pid_t parent) { return ha::agent::children_of(parent); }

std::string process_comm(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

namespace {

void chown_tree(const std::string& path) {
  const passwd* pw = getpwnam("postgres");
  if (pw == nullptr) throw std::runtime_error("there is no postgres user");
  must_run({"chown", "-R", "postgres:postgres", path});
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void replace_line(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("ha-config.sh output has no line '" + from + "'");
  text.replace(at, from.size(), to);
}

// Waits until none of `pids` is alive (up to `timeout`).
bool wait_gone(const std::vector<pid_t>& pids, Ms timeout) {
  const auto end = Clock::now() + timeout;
  for (;;) {
    bool any = false;
    for (pid_t p : pids) any = any || process_alive(p);
    if (!any) return true;
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(Ms(5));
  }
}

// Reaps our child `pid` after SIGKILL.
void kill_child(pid_t& pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  pid = -1;
}

}  // namespace

PgNodes::PgNodes(const Network& net, NodesOptions o) : net_(net), work_(o.work), bin_(o.work + "/bin") {
  n_.resize(static_cast<std::size_t>(net.nodes()));
  write_configs(o);
}

PgNodes::~PgNodes() {
  for (int i = 0; i < size(); ++i) {
    Node& n = n_[static_cast<std::size_t>(i)];
    if (n.agent > 0) {
      for (pid_t c : children_of(n.agent)) guards_.push_back(c);
      kill_child(n.agent);
    }
    kill_child(n.dcs);
  }
  kill_leftovers();
}

void PgNodes::write_configs(const NodesOptions& o) {
  fs::create_directories(bin_);
  fs::permissions(work_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
  for (const std::string& b : {o.hadcs, o.haagent, o.hactl}) {
    const std::string to = bin_ + "/" + fs::path(b).filename().string();
    fs::copy_file(b, to, fs::copy_options::overwrite_existing);
    fs::permissions(to, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  }
  std::string peers;
  for (int i = 0; i < size(); ++i) peers += (i ? "," : "") + name(i) + "=" + ip(i);
  const std::string secrets = work_ + "/secrets.env";
  for (int i = 0; i < size(); ++i) {
    const std::string d = dir(i);
    fs::create_directories(d + "/data/hadcs");
    fs::create_directories(d + "/run");
    fs::permissions(d, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
    chown_tree(d + "/data");
    chown_tree(d + "/run");
    fs::permissions(d + "/data", fs::perms::owner_all);
    must_run({o.repo + "/deploy/ha-config.sh", "--name", name(i), "--ip", ip(i), "--peers", peers, "--secrets",
              secrets, "--scope", "chaospg", "--out", d + "/etc", "--data-root", d + "/data", "--socket-dir",
              d + "/run", "--clients", Network::client_ip() + "/32", "--watchdog", "off"},
             work_ + "/ha-config.log");
    // Three small servers share this machine. fsync off: the campaign kills processes, never the
    // kernel, so the page cache survives every fault.
    const std::string yml = d + "/etc/haagent.yml";
    std::string text = read_file(yml);
    replace_line(text, "    shared_buffers: 256MB\n", "    shared_buffers: 16MB\n");
    replace_line(text, "    max_connections: 200\n", "    max_connections: 40\n    fsync: off\n");
    text += std::string("bootstrap:\n  dcs:\n    synchronous_mode: ") + (o.synchronous_mode ? "true" : "false") +
            "\n";
    std::ofstream(yml, std::ios::trunc) << text;
    if (run_command({bin_ + "/haagent", "--validate-config", yml}, work_ + "/ha-config.log") != 0) {
      throw std::runtime_error(name(i) + ": haagent rejects its config " + yml + " (see " + work_ +
                               "/ha-config.log)");
    }
  }
  std::istringstream s(read_file(secrets));
  for (std::string line; std::getline(s, line);) {
    if (line.rfind("SUPERUSER_PASSWORD=", 0) == 0) su_password_ = line.substr(19);
  }
  if (su_password_.empty()) throw std::runtime_error(secrets + " has no SUPERUSER_PASSWORD");
}

std::string PgNodes::conninfo(int i) const {
  return "host=" + ip(i) + " port=5432 user=postgres dbname=postgres password=" + su_password_;
}

void PgNodes::start_dcs(int i) {
  Node& n = n_.at(static_cast<std::size_t>(i));
  if (n.dcs > 0) return;
  n.dcs = spawn_command({"ip", "netns", "exec", net_.ns(i), "setpriv", "--reuid=postgres", "--regid=postgres",
                         "--init-groups", "--pdeathsig", "SIGKILL", "env", "-i", "-C", dir(i),
                         "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=" + dir(i), bin_ + "/hadcs", "--config-file",
                         dir(i) + "/etc/hadcs.yml"},
                        dcs_log(i));
}

void PgNodes::start_agent(int i) {
  Node& n = n_.at(static_cast<std::size_t>(i));
  if (n.agent > 0) return;
  n.agent = spawn_command({"ip", "netns", "exec", net_.ns(i), "setpriv", "--reuid=postgres", "--regid=postgres",
                           "--init-groups", "--pdeathsig", "SIGKILL", "env", "-i", "-C", dir(i),
                           "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=" + dir(i), "USER=postgres",
                           "LOGNAME=postgres", bin_ + "/haagent", "-c", dir(i) + "/etc/haagent.yml"},
                          agent_log(i));
  n.paused = false;
}

void PgNodes::kill_agent(int i) {
  Node& n = n_.at(static_cast<std::size_t>(i));
  if (n.agent <= 0) return;
  for (pid_t c : children_of(n.agent)) guards_.push_back(c);
  kill_child(n.agent);
  n.paused = false;
}

int PgNodes::postmaster_pid(int i) const {
  std::ifstream f(pg_data(i) + "/postmaster.pid");
  int pid = 0;
  if (!(f >> pid)) return 0;
  return process_alive(pid) && process_comm(pid) == "postgres" ? pid : 0;
}

int PgNodes::kill_postgres(int i) {
  const int pid = postmaster_pid(i);
  if (pid <= 0) return 0;
  std::vector<pid_t> all{pid};
  for (pid_t c : children_of(pid)) {
    if (process_comm(c) == "postgres") all.push_back(c);
  }
  for (pid_t p : all) ::kill(p, SIGKILL);
  wait_gone(all, Ms(5000));
  return pid;
}

void PgNodes::kill_dcs(int i) { kill_child(n_.at(static_cast<std::size_t>(i)).dcs); }

void PgNodes::kill_node(int i) {
  Node& n = n_.at(static_cast<std::size_t>(i));
  const int pm = postmaster_pid(i);
  std::vector<pid_t> pg;
  if (pm > 0) {
    pg.push_back(pm);
    for (pid_t c : children_of(pm)) {
      if (process_comm(c) == "postgres") pg.push_back(c);
    }
  }
  std::vector<pid_t> helpers = n.agent > 0 ? children_of(n.agent) : std::vector<pid_t>{};
  for (pid_t h : helpers) ::kill(h, SIGKILL);  // the guard first: it must not fence on the agent's death
  if (n.agent > 0) ::kill(n.agent, SIGKILL);
  for (pid_t p : pg) ::kill(p, SIGKILL);
  if (n.dcs > 0) ::kill(n.dcs, SIGKILL);
  kill_child(n.agent);
  kill_child(n.dcs);
  n.paused = false;
  wait_gone(pg, Ms(5000));
  wait_gone(helpers, Ms(2000));
}

void PgNodes::pause_agent(int i) {
  Node& n = n_.at(static_cast<std::size_t>(i));
  if (n.agent > 0 && ::kill(n.agent, SIGSTOP) == 0) n.paused = true;
}

void PgNodes::resume_agent(int i) {
  Node& n = n_.at(static_cast<std::size_t>(i));
  if (n.agent > 0) ::kill(n.agent, SIGCONT);
  n.paused = false;
}

void PgNodes::restart_missing() {
  for (int i = 0; i < size(); ++i) {
    resume_agent(i);
    start_dcs(i);
    start_agent(i);
  }
}

void PgNodes::stop_all() {
  for (Node& n : n_) {
    if (n.agent <= 0) continue;
    for (pid_t c : children_of(n.agent)) guards_.push_back(c);
    ::kill(n.agent, SIGCONT);
    ::kill(n.agent, SIGTERM);
  }
  auto wait_children = [](std::vector<pid_t*> pids, Ms timeout) {
    const auto end = Clock::now() + timeout;
    for (pid_t* p : pids) {
      while (*p > 0) {
        if (waitpid(*p, nullptr, WNOHANG) == *p) {
          *p = -1;
        } else if (Clock::now() >= end) {
          kill_child(*p);
        } else {
          std::this_thread::sleep_for(Ms(50));
        }
      }
    }
  };
  std::vector<pid_t*> agents, dcs;
  for (Node& n : n_) agents.push_back(&n.agent);
  wait_children(agents, Ms(20000));
  for (Node& n : n_) {
    if (n.dcs > 0) ::kill(n.dcs, SIGTERM);
    dcs.push_back(&n.dcs);
  }
  wait_children(dcs, Ms(10000));
  for (Node& n : n_) n.paused = false;
  kill_leftovers();
}

void PgNodes::kill_leftovers() {
  for (pid_t g : guards_) {
    if (process_alive(g) && process_comm(g).rfind("haagent", 0) == 0) ::kill(g, SIGKILL);
  }
  guards_.clear();
  for (int i = 0; i < size(); ++i) kill_postgres(i);
}

std::vector<std::string> PgNodes::reap_unexpected() {
  std::vector<std::string> out;
  auto check = [&](pid_t& pid, const std::string& what) {
    if (pid <= 0) return;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      out.push_back(what + " (pid " + std::to_string(pid) + ") exited with code " + std::to_string(code));
      pid = -1;
    }
  };
  for (int i = 0; i < size(); ++i) {
    Node& n = n_[static_cast<std::size_t>(i)];
    check(n.agent, "haagent " + name(i));
    check(n.dcs, "hadcs " + name(i));
    if (n.agent <= 0) n.paused = false;
  }
  return out;
}

int PgNodes::dcs_leader() const {
  for (int i = 0; i < size(); ++i) {
    if (!dcs_running(i)) continue;
    httplib::Client c(ip(i), 2381);
    c.set_connection_timeout(Ms(300));
    c.set_read_timeout(Ms(500));
    auto r = c.Get("/metrics");
    if (r && r->status == 200 && r->body.find("\nhadcs_is_leader 1") != std::string::npos) return i;
  }
  return -1;
}

std::vector<int> PgNodes::api_primaries() const {
  std::vector<int> out;
  for (int i = 0; i < size(); ++i) {
    httplib::Client c(ip(i), 8008);
    c.set_connection_timeout(Ms(300));
    c.set_read_timeout(Ms(700));
    auto r = c.Get("/primary");
    if (r && r->status == 200) out.push_back(i);
  }
  return out;
}

std::string PgNodes::hactl_list() const {
  std::string endpoints;
  for (int i = 0; i < size(); ++i) endpoints += (i ? "," : "") + ip(i) + ":2379";
  const std::string out = work_ + "/hactl-list.txt";
  fs::remove(out);
  run_command({"ip", "netns", "exec", net_.client_ns(), bin_ + "/hactl", "--dcs", endpoints, "--scope", "chaospg",
               "--timeout", "2", "list"},
              out);
  return read_file(out);
}

}  // namespace ha::chaos::pg
