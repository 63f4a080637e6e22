#include "agent/runtime/agent_main.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "agent/node/postgres_node.hpp"
#include "agent/rest/dcs_cluster_store.hpp"
#include "agent/rest/peer_probe.hpp"
#include "agent/rest/rest_server.hpp"
#include "agent/runtime/admin_requests.hpp"
#include "agent/runtime/agent_status.hpp"
#include "agent/runtime/dcs_session.hpp"
#include "agent/runtime/fence_guard.hpp"
#include "agent/runtime/ha_loop.hpp"
#include "agent/runtime/watchdog.hpp"
#include "dcs/client/log.hpp"

namespace ha::agent {

namespace {

constexpr std::string_view kLog = "haagent";

// PostgreSQL refuses to run as root; an agent started as root runs it as `postgres`.
std::string postgres_user() { return ::geteuid() == 0 ? "postgres" : ""; }

}  // namespace

int run_agent(const AgentConfig& config) {
  // The guard first: forking is only safe while this process has one thread.
  std::string error;
  auto guard = FenceGuard::start(config.postgresql.data_dir, config.dcs.endpoints, error);
  if (!guard) {
    log_error(kLog, "{}; refusing to run without fencing", error);
    return 1;
  }
  // Signals go to the thread that waits for them, not to whichever thread runs.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  const std::string run_as = postgres_user();
  if (!run_as.empty()) log_warn(kLog, "running as root: PostgreSQL's programs run as '{}'", run_as);

  Watchdog watchdog(config.watchdog.mode, config.watchdog.device);
  if (config.watchdog.mode == WatchdogMode::required && !watchdog.usable()) {
    log_error(kLog, "watchdog.mode is required but {}: this member will not take the lock",
              watchdog.problem());
  }

  DcsSession dcs(config);
  pg::ProcessRunner runner;
  PostgresNode node(config, runner, run_as);
  StatusBoard board;
  AdminRequests admin;
  rest::DcsClusterStore store(dcs.client(), dcs.prefix());
  rest::RestServer api(config, board, admin, store);
  if (auto e = api.start(); !e.empty()) {
    log_error(kLog, "REST API: {}", e);
    guard->finish();
    return 1;
  }
  log_info(kLog, "REST API on {}", config.restapi.listen.to_string());

  HaLoopParts parts;
  parts.config = &config;
  parts.dcs = &dcs;
  parts.node = &node;
  parts.board = &board;
  parts.admin = &admin;
  parts.guard = &*guard;
  parts.watchdog = &watchdog;
  parts.probe = rest::probe_members;
  parts.watchdog_usable = watchdog.usable() || config.watchdog.mode != WatchdogMode::required;
  HaLoop loop(std::move(parts));

  std::thread signal_waiter([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        log_info(kLog, "SIGHUP: the config file is read at start only; restart the agent to change it");
        continue;
      }
      log_info(kLog, "{}: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      loop.stop();
      return;
    }
  });
  const int code = loop.run();
  // The waiter returns after the first SIGTERM/SIGINT; if the loop ended otherwise, send one.
  ::kill(::getpid(), SIGTERM);
  signal_waiter.join();
  api.stop();
  return code;
}

}  // namespace ha::agent
