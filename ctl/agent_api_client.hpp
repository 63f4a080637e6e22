// AgentApiClient: hactl's HTTP client for the agents' Patroni-compatible REST API (POST
// /switchover, /failover, /restart, /reload, /reinitialize; PATCH /config), with basic auth and
// short deadlines. It tells "never reached the agent" (safe to fall back to the DCS) apart from
// "sent, but no answer" (the agent may be acting on it). Sending only: what to send is decided
// by the commands.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ha::ctl {

struct ApiCredentials {
  std::string username;
  std::string password;
};

// "http://host:8008" from a member's api_url such as "http://host:8008/patroni"; "" when it
// is not an http:// or https:// URL with a host.
std::string api_base_url(const std::string& api_url);

struct ApiResponse {
  enum class Outcome {
    kAnswered,     // an HTTP status came back
    kUnreachable,  // no connection (or no api_url): the request was not received
    kNoAnswer,     // sent, but no answer within the deadline: the outcome is unknown
  };
  Outcome outcome = Outcome::kUnreachable;
  int status = 0;
  std::string body;
  std::string error;  // why there is no answer

  bool answered() const { return outcome == Outcome::kAnswered; }
  bool ok() const { return answered() && status >= 200 && status < 300; }
  // One line for the operator: the status and the agent's text, or why there is none.
  std::string describe() const;
};

struct ApiClientOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::optional<ApiCredentials> auth;  // sent with every request when set
};

class AgentApiClient {
 public:
  explicit AgentApiClient(ApiClientOptions options) : options_(std::move(options)) {}

  // `method` is "POST" or "PATCH"; `body` null sends no body. `read_timeout` bounds the wait
  // for the answer (switchover answers only when it is done).
  ApiResponse send(const std::string& method, const std::string& api_url, const std::string& path,
                   const nlohmann::json& body, std::chrono::milliseconds read_timeout) const;

 private:
  ApiClientOptions options_;
};

}  // namespace ha::ctl
