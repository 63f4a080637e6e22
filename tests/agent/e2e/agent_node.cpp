#include "tests/agent/e2e/agent_node.hpp"

#include <httplib.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "agent/postgres/proc_stat.hpp"

namespace ha::e2e {

bool process_alive(int pid) { return ha::agent::process_running(pid); }

std::vector<int> children_of(int pid) { return ha::agent::children_of(pid); }

AgentNode::AgentNode(AgentConfigSpec spec, std::string dir, std::string haagent_path)
    : spec_(std::move(spec)),
      dir_(std::move(dir)),
      haagent_(std::move(haagent_path)),
      config_path_(dir_ + "/haagent.yml"),
      log_path_(dir_ + "/haagent.log") {
  std::ofstream f(config_path_);
  f << render_agent_config(spec_);
  f.close();
  if (!f) throw E2eError("cannot write " + config_path_);
  give_to_postgres(config_path_);
}

AgentNode::~AgentNode() {
  kill_agent();
  // The agent's helpers (its fence guard) are ours to end too.
  for (int h : helpers_) {
    std::ifstream comm("/proc/" + std::to_string(h) + "/comm");
    std::string name;
    if (std::getline(comm, name) && name.rfind("haagent", 0) == 0) ::kill(h, SIGKILL);
  }
  kill_postgres();
}

std::string AgentNode::log_tail(std::size_t bytes) const {
  return ha::itest::file_tail(log_path_, bytes);
}

void AgentNode::start_agent() {
  if (agent_ && agent_->alive()) throw E2eError("agent " + name() + " is already running");
  const auto& u = postgres_user();
  std::vector<std::string> argv = {"env",
                                   "-C",
                                   dir_,
                                   "setpriv",
                                   "--reuid=" + u.name,
                                   "--regid=" + u.name,
                                   "--init-groups",
                                   "--pdeathsig",
                                   "SIGKILL",
                                   haagent_,
                                   "-c",
                                   config_path_};
  agent_ = ha::itest::Child::spawn(argv, log_path_,
                                   {{"HOME", dir_}, {"USER", u.name}, {"LOGNAME", u.name}});
}

bool AgentNode::agent_running() { return agent_ && agent_->alive(); }

int AgentNode::agent_pid() const { return agent_ ? agent_->pid() : 0; }

void AgentNode::kill_agent() {
  if (!agent_running()) return;
  for (int h : children_of(agent_pid())) helpers_.push_back(h);
  agent_->kill_and_reap();
}

void AgentNode::stop_agent(Ms timeout) {
  if (!agent_ || !agent_->alive()) return;
  agent_->signal(SIGTERM);
  if (!agent_->wait_exit(timeout)) agent_->kill_and_reap();
}

int AgentNode::postmaster_pid() const {
  std::ifstream f(spec_.data_dir + "/postmaster.pid");
  int pid = 0;
  if (!(f >> pid)) return 0;
  return process_alive(pid) ? pid : 0;
}

namespace {
void kill_postgres_tree(int pid, const std::vector<int>& children) {
  ::kill(pid, SIGKILL);
  for (int c : children) {
    std::ifstream comm("/proc/" + std::to_string(c) + "/comm");
    std::string name;
    if (std::getline(comm, name) && name == "postgres") ::kill(c, SIGKILL);
  }
  const auto end = Clock::now() + Ms(5000);
  while (Clock::now() < end) {
    bool any = process_alive(pid);
    for (int c : children) any = any || process_alive(c);
    if (!any) break;
    std::this_thread::sleep_for(Ms(5));
  }
}
}  // namespace

int AgentNode::kill_postgres() {
  const int pid = postmaster_pid();
  if (pid <= 0) return 0;
  kill_postgres_tree(pid, children_of(pid));
  return pid;
}

int AgentNode::crash_node(Crash how) {
  const int pid = postmaster_pid();
  const auto children = pid > 0 ? children_of(pid) : std::vector<int>{};
  const auto helpers = agent_running() ? children_of(agent_pid()) : std::vector<int>{};
  helpers_.insert(helpers_.end(), helpers.begin(), helpers.end());
  if (agent_) agent_->signal(SIGKILL);
  if (how == Crash::whole_node) {
    for (int h : helpers) ::kill(h, SIGKILL);
  }
  if (pid > 0) kill_postgres_tree(pid, children);
  kill_agent();
  return pid;
}

HttpResult AgentNode::api_get(const std::string& path, Ms timeout) const {
  httplib::Client c("127.0.0.1", spec_.api_port);
  c.set_connection_timeout(timeout);
  c.set_read_timeout(timeout);
  auto r = c.Get(path);
  if (!r) return {};
  return {r->status, r->body};
}

HttpResult AgentNode::api_post(const std::string& path, const std::string& json_body,
                               Ms timeout) const {
  httplib::Client c("127.0.0.1", spec_.api_port);
  c.set_connection_timeout(Ms(2000));
  c.set_read_timeout(timeout);
  auto r = c.Post(path, json_body, "application/json");
  if (!r) return {};
  return {r->status, r->body};
}

}  // namespace ha::e2e
