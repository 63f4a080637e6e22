#include "tests/ctl/fake_agent.hpp"

namespace ha::test {

FakeAgent::FakeAgent() {
  const auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    handle(req, res);
  };
  server_.Post(".*", handler);
  server_.Patch(".*", handler);
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  for (int i = 0; i < 200 && !server_.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

FakeAgent::~FakeAgent() {
  server_.stop();
  thread_.join();
}

std::string FakeAgent::api_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/patroni";
}

void FakeAgent::answer(int status, std::string text) {
  std::lock_guard lock(mu_);
  status_ = status;
  text_ = std::move(text);
}

void FakeAgent::on_request(std::function<void(const RecordedRequest&)> hook) {
  std::lock_guard lock(mu_);
  hook_ = std::move(hook);
}

void FakeAgent::delay(std::chrono::milliseconds d) {
  std::lock_guard lock(mu_);
  delay_ = d;
}

std::vector<RecordedRequest> FakeAgent::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

void FakeAgent::handle(const httplib::Request& req, httplib::Response& res) {
  RecordedRequest r{req.method, req.path, req.body, req.get_header_value("Authorization")};
  std::function<void(const RecordedRequest&)> hook;
  std::chrono::milliseconds delay{0};
  {
    std::lock_guard lock(mu_);
    requests_.push_back(r);
    hook = hook_;
    delay = delay_;
    res.status = status_;
    res.set_content(text_, "text/plain");
  }
  if (hook) hook(r);
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
}

}  // namespace ha::test
