// HttpRequest and HttpResponse: the REST API's requests and answers as plain values, so that
// every route is a function tested without sockets. Only rest_server.cpp knows httplib.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ha::agent::rest {

using Params = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // "GET", "HEAD", "OPTIONS", "POST", ...
  std::string path;    // without the query string
  Params query;        // in the order given
  Params headers;      // names as sent; looked up case-insensitively
  std::string body;

  // The first header named `name` (any case), if any.
  std::optional<std::string> header(std::string_view name) const;
  // The first query parameter named `name`, if any.
  std::optional<std::string> param(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;  // empty when there is no body
  std::string body;
  Params headers;  // extra headers (WWW-Authenticate, Allow)
};

HttpResponse json_response(int status, const nlohmann::json& body);
// A one-line message for people; a newline is added.
HttpResponse text_response(int status, std::string text);
// The status line only (HEAD, OPTIONS, /liveness, /readiness).
HttpResponse status_only(int status);

}  // namespace ha::agent::rest
