// hadcs: the entry point of one DCS member: parses the settings, starts the Server, and stops
// it cleanly on SIGINT or SIGTERM.
#include <malloc.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "dcs/client/log.hpp"
#include "dcs/server.hpp"
#include "dcs/server_options.hpp"
#include "raft/storage.hpp"

int main(int argc, char** argv) {
  const auto cl = ha::dcs::parse_server_command_line(argc, argv);
  std::cout << cl.out;
  if (!cl.err.empty()) std::cerr << cl.err << '\n';
  if (!cl.run) return cl.exit_code;

  // Memory: glibc gives each thread that allocates concurrently its own arena (up to 8 per
  // core), and each keeps what was freed in it; with gRPC's and RocksDB's threads that is tens
  // of MB of resident memory nobody uses. Two arenas are plenty on the machines we run on.
  // MALLOC_ARENA_MAX in the environment still overrides this.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);

  // Signals are taken by one thread with sigwait, so no handler runs inside the server's code.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  ha::dcs::Server server(cl.options);
  try {
    server.start();
  } catch (const std::exception& e) {
    ha::log_error("hadcs", "cannot start: {}", e.what());
    return 1;
  }
  std::thread signals([&] {
    int sig = 0;
    sigwait(&set, &sig);
    ha::log_info("hadcs", "stopping on signal {}", sig);
    server.stop();
  });
  server.wait();
  server.stop();
  signals.detach();
  return 0;
}
