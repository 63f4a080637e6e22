// RestServer: the agent's REST API on restapi.listen — an httplib server on its own thread
// that turns every request into handle_request() (router.hpp). start() says plainly when the
// address cannot be bound (port taken: we do not share ports with SO_REUSEPORT).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "agent/config.hpp"
#include "agent/rest/cluster_store.hpp"
#include "agent/rest/rest_context.hpp"
#include "agent/runtime/admin_requests.hpp"
#include "agent/runtime/agent_status.hpp"

namespace httplib {
class Server;
}

namespace ha::agent::rest {

class RestServer {
 public:
  // The references must outlive the server. restapi.listen with port 0 picks a free port.
  RestServer(const AgentConfig& config, StatusBoard& board, AdminRequests& admin,
             ClusterStore& store, RestOptions options = {});
  ~RestServer();  // stops
  RestServer(const RestServer&) = delete;
  RestServer& operator=(const RestServer&) = delete;

  // Binds and serves on its own thread. Empty when serving, else one line saying why not.
  std::string start();
  // Stops accepting, waits for the requests in progress, joins the thread. Idempotent.
  void stop();
  // The bound port (0 before start()).
  std::uint16_t port() const { return port_; }

 private:
  const AgentConfig& config_;
  RestContext context_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

}  // namespace ha::agent::rest
