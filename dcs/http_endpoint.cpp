#include "dcs/http_endpoint.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace ha::dcs {

HttpEndpoint::HttpEndpoint(std::function<HealthReport()> health, std::function<std::string()> metrics)
    : health_(std::move(health)), metrics_(std::move(metrics)), server_(std::make_unique<httplib::Server>()) {
  server_->Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    HealthReport h = health_();
    nlohmann::json body{{"health", h.healthy ? "true" : "false"}, {"reason", h.reason}};
    res.status = h.healthy ? 200 : 503;
    res.set_content(body.dump() + "\n", "application/json");
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_(), "text/plain; version=0.0.4");
  });
}

HttpEndpoint::~HttpEndpoint() { stop(); }

std::string HttpEndpoint::start(const std::string& host, int port) {
  if (!server_->bind_to_port(host.c_str(), port)) {
    return "cannot listen on " + host + ":" + std::to_string(port) +
           " for /health and /metrics (address in use or not local?); choose another --metrics-listen";
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return {};
}

void HttpEndpoint::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace ha::dcs
