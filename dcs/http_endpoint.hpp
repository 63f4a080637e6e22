// HttpEndpoint: hadcs's small HTTP server for monitoring: GET /health (200 when this member has
// a leader and is caught up, else 503 with the reason, etcd's JSON shape) and GET /metrics
// (Prometheus text). The content comes from callbacks; this class only serves it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace ha::dcs {

struct HealthReport {
  bool healthy = false;
  std::string reason;  // empty when healthy
};

class HttpEndpoint {
 public:
  HttpEndpoint(std::function<HealthReport()> health, std::function<std::string()> metrics);
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // Binds and starts serving on a thread; returns an error text, empty on success.
  std::string start(const std::string& host, int port);
  void stop();

 private:
  std::function<HealthReport()> health_;
  std::function<std::string()> metrics_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace ha::dcs
