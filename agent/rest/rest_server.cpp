#include "agent/rest/rest_server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>

#include "agent/rest/router.hpp"

namespace ha::agent::rest {

namespace {

HttpRequest from_httplib(const httplib::Request& req) {
  HttpRequest out;
  out.method = req.method;
  out.path = req.path;
  for (const auto& [k, v] : req.params) out.query.emplace_back(k, v);
  for (const auto& [k, v] : req.headers) out.headers.emplace_back(k, v);
  out.body = req.body;
  return out;
}

void to_httplib(const HttpResponse& r, httplib::Response& res) {
  res.status = r.status;
  for (const auto& [k, v] : r.headers) res.set_header(k, v);
  if (!r.body.empty() || !r.content_type.empty()) res.set_content(r.body, r.content_type);
}

// SO_REUSEADDR only: a second server on the same port must fail, not share it.
void socket_options(socket_t sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

}  // namespace

RestServer::RestServer(const AgentConfig& config, StatusBoard& board, AdminRequests& admin,
                       ClusterStore& store, RestOptions options)
    : config_(config), server_(std::make_unique<httplib::Server>()) {
  context_.config = &config_;
  context_.board = &board;
  context_.admin = &admin;
  context_.store = &store;
  context_.options = options;
  const auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    to_httplib(handle_request(from_httplib(req), context_), res);
  };
  server_->Get(".*", handler);  // HEAD too
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  server_->Patch(".*", handler);
  server_->Delete(".*", handler);
  server_->Options(".*", handler);
  server_->set_socket_options(socket_options);
  // Larger bodies are refused by httplib itself (413 without our message); up to this size the
  // router refuses them with a message.
  server_->set_payload_max_length(std::max<std::size_t>(options.max_body * 4, 1024 * 1024));
}

RestServer::~RestServer() { stop(); }

std::string RestServer::start() {
  if (thread_.joinable()) return "the REST API is already running on port " + std::to_string(port_);
  const HostPort& listen = config_.restapi.listen;
  const std::string host = listen.host.empty() || listen.host == "*" ? "0.0.0.0" : listen.host;
  int port = listen.port;
  if (port == 0) {
    port = server_->bind_to_any_port(host.c_str());
    if (port <= 0) return "cannot listen on " + host + " for the REST API (restapi.listen)";
  } else if (!server_->bind_to_port(host.c_str(), port)) {
    return "cannot listen on " + listen.to_string() +
           " for the REST API (restapi.listen): the port is taken or the address is not local";
  }
  port_ = static_cast<std::uint16_t>(port);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() is a no-op until the server runs; wait for it so a quick stop() cannot be lost.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server_->is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return {};
}

void RestServer::stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

}  // namespace ha::agent::rest
