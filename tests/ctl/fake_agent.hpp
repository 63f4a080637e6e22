// FakeAgent: an in-test HTTP server standing in for one haagent's REST API (a test double for
// hactl's client, not the agent's API): it records every request (method, path, body,
// Authorization header) and answers with a set status and text, optionally running a hook
// first (e.g. to change the leader key as a real switchover would).
#pragma once

#include <httplib.h>

#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ha::test {

struct RecordedRequest {
  std::string method;
  std::string path;
  std::string body;
  std::string authorization;
};

class FakeAgent {
 public:
  FakeAgent();
  ~FakeAgent();
  FakeAgent(const FakeAgent&) = delete;
  FakeAgent& operator=(const FakeAgent&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port>/patroni", as a member key publishes it.
  std::string api_url() const;
  // The answer to every request from now on.
  void answer(int status, std::string text);
  // Runs before answering (on the server's thread).
  void on_request(std::function<void(const RecordedRequest&)> hook);
  // Delay before answering (to test the client's read deadline).
  void delay(std::chrono::milliseconds d);
  std::vector<RecordedRequest> requests() const;

 private:
  void handle(const httplib::Request& req, httplib::Response& res);

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;
  int status_ = 200;
  std::string text_ = "OK";
  std::chrono::milliseconds delay_{0};
  std::function<void(const RecordedRequest&)> hook_;
};

}  // namespace ha::test
