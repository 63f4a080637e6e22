#include "ctl/agent_api_client.hpp"

#include <httplib.h>

#include <sstream>

#include "ctl/output_format.hpp"

namespace ha::ctl {

namespace {

std::string error_text(httplib::Error e, std::chrono::milliseconds read_timeout) {
  switch (e) {
    case httplib::Error::Connection: return "cannot connect (refused or host unreachable)";
    case httplib::Error::ConnectionTimeout: return "cannot connect (timed out)";
    case httplib::Error::Read: {
      std::ostringstream s;
      s << "no answer within " << static_cast<double>(read_timeout.count()) / 1000 << " s";
      return s.str();
    }
    case httplib::Error::Write: return "could not send the request";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLServerVerification:
      return "the server's TLS certificate is not trusted";
    default: return httplib::to_string(e);
  }
}

}  // namespace

std::string api_base_url(const std::string& api_url) {
  std::string rest;
  std::string scheme;
  for (const char* s : {"http://", "https://"}) {
    if (api_url.rfind(s, 0) == 0) {
      scheme = s;
      rest = api_url.substr(scheme.size());
    }
  }
  if (scheme.empty()) return {};
  const auto slash = rest.find('/');
  const std::string host_port = rest.substr(0, slash);
  if (host_port.empty() || host_port.front() == ':') return {};
  return scheme + host_port;
}

std::string ApiResponse::describe() const {
  switch (outcome) {
    case Outcome::kUnreachable: return "unreachable: " + error;
    case Outcome::kNoAnswer: return "no answer: " + error;
    case Outcome::kAnswered: break;
  }
  std::string text = body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  // Patroni answers in plain text; some errors come as {"message": ...}.
  if (!text.empty() && text.front() == '{') {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_object() && j.contains("message") && j["message"].is_string()) {
      text = j["message"].get<std::string>();
    }
  }
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return "HTTP " + std::to_string(status) + (text.empty() ? "" : ": " + text);
}

ApiResponse AgentApiClient::send(const std::string& method, const std::string& api_url,
                                 const std::string& path, const nlohmann::json& body,
                                 std::chrono::milliseconds read_timeout) const {
  ApiResponse r;
  const std::string base = api_base_url(api_url);
  if (base.empty()) {
    r.error = api_url.empty() ? "the member published no api_url"
                              : "api_url '" + api_url + "' is not an http(s) URL";
    return r;
  }
  httplib::Client client(base);
  client.set_connection_timeout(options_.connect_timeout);
  client.set_read_timeout(read_timeout);
  client.set_write_timeout(options_.connect_timeout);
  client.set_keep_alive(false);
  if (options_.auth) client.set_basic_auth(options_.auth->username, options_.auth->password);
  const std::string text = body.is_null() ? std::string() : dump_json(body);
  const char* type = body.is_null() ? "text/plain" : "application/json";
  httplib::Result res =
      method == "PATCH" ? client.Patch(path, text, type) : client.Post(path, text, type);
  if (!res) {
    const auto e = res.error();
    r.outcome = e == httplib::Error::Read ? ApiResponse::Outcome::kNoAnswer
                                          : ApiResponse::Outcome::kUnreachable;
    r.error = base + path + ": " + error_text(e, read_timeout);
    return r;
  }
  r.outcome = ApiResponse::Outcome::kAnswered;
  r.status = res->status;
  r.body = res->body;
  return r;
}

}  // namespace ha::ctl
