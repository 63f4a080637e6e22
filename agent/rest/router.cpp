#include "agent/rest/router.hpp"

#include <map>
#include <set>

#include "agent/rest/admin_routes.hpp"
#include "agent/rest/basic_auth.hpp"
#include "agent/rest/cluster_json.hpp"
#include "agent/rest/config_routes.hpp"
#include "agent/rest/failover_routes.hpp"
#include "agent/rest/health_checks.hpp"
#include "agent/rest/metrics.hpp"
#include "agent/rest/status_json.hpp"

namespace ha::agent::rest {

namespace {

bool is_read_method(const std::string& m) { return m == "GET" || m == "HEAD" || m == "OPTIONS"; }

// The methods each known path answers, for 405 and the Allow header.
const std::map<std::string, std::set<std::string>, std::less<>>& write_paths() {
  static const std::map<std::string, std::set<std::string>, std::less<>> paths = {
      {"/switchover", {"POST"}},   {"/failover", {"POST"}},
      {"/restart", {"POST"}},      {"/reload", {"POST"}},
      {"/reinitialize", {"POST"}}, {"/config", {"GET", "HEAD", "PATCH", "PUT"}},
  };
  return paths;
}

const std::set<std::string>& status_paths() {
  static const std::set<std::string> paths = {"/patroni", "/cluster", "/history", "/metrics"};
  return paths;
}

HttpResponse method_not_allowed(const HttpRequest& req, const std::set<std::string>& allowed) {
  std::string list;
  for (const auto& m : allowed) list += (list.empty() ? "" : ", ") + m;
  HttpResponse r = text_response(
      405, "method " + req.method + " is not allowed on " + req.path + " (allowed: " + list + ")");
  r.headers.emplace_back("Allow", list);
  return r;
}

HttpResponse not_found(const HttpRequest& req) {
  return text_response(404, "unknown path " + req.path +
                                ": try /patroni, /health, /primary, /replica, /cluster, /config "
                                "or /metrics");
}

// The status line only, for HEAD and OPTIONS.
HttpResponse head_of(HttpResponse r, const HttpRequest& req) {
  if (req.method == "GET") return r;
  HttpResponse out = status_only(r.status);
  out.headers = std::move(r.headers);
  return out;
}

}  // namespace

std::optional<HttpResponse> handle_status_request(const HttpRequest& req, const AgentStatus& s,
                                                  const AgentConfig& config, WallTime now) {
  if (!is_read_method(req.method)) return std::nullopt;
  if (const auto check = health_check_for(req.path)) {
    const CheckVerdict v = run_health_check(*check, req.query, s, now);
    if (!v.bad_parameter.empty()) return head_of(text_response(400, v.bad_parameter), req);
    const int code = v.pass ? 200 : 503;
    if (is_status_only(*check)) return status_only(code);
    return head_of(json_response(code, member_status_json(s, config)), req);
  }
  if (req.path == "/patroni")
    return head_of(json_response(200, member_status_json(s, config)), req);
  if (req.path == "/cluster") return head_of(json_response(200, cluster_json(s)), req);
  if (req.path == "/history") return head_of(json_response(200, history_json(s)), req);
  if (req.path == "/metrics") {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_text(s, now);
    return head_of(std::move(r), req);
  }
  return std::nullopt;
}

HttpResponse handle_request(const HttpRequest& req, const RestContext& ctx) {
  if (req.body.size() > ctx.options.max_body) {
    return text_response(413, "the request body has " + std::to_string(req.body.size()) +
                                  " bytes; at most " + std::to_string(ctx.options.max_body) +
                                  " are accepted");
  }
  const auto status = ctx.board->get();
  if (auto r = handle_status_request(req, *status, *ctx.config, ctx.wall_now())) return *r;

  if (health_check_for(req.path) || status_paths().count(req.path) > 0) {
    return method_not_allowed(req, {"GET", "HEAD", "OPTIONS"});
  }
  const auto known = write_paths().find(req.path);
  if (known == write_paths().end()) return not_found(req);
  if (req.path == "/config" && is_read_method(req.method)) {
    if (req.method == "OPTIONS") return status_only(200);
    return head_of(get_config(ctx), req);
  }
  if (known->second.count(req.method) == 0) return method_not_allowed(req, known->second);

  if (const auto& auth = ctx.config->restapi.authentication) {
    if (!basic_auth_matches(req.header("Authorization"), *auth)) {
      HttpResponse r = text_response(401,
                                     "authentication required: send the user and password "
                                     "of restapi.authentication (HTTP basic auth)");
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"haagent\"");
      return r;
    }
  }
  if (req.path == "/switchover") return post_failover(FailoverAction::switchover, req, ctx);
  if (req.path == "/failover") return post_failover(FailoverAction::failover, req, ctx);
  if (req.path == "/restart") return post_admin(AdminRequest::Kind::restart, req, ctx);
  if (req.path == "/reload") return post_admin(AdminRequest::Kind::reload, req, ctx);
  if (req.path == "/reinitialize") return post_admin(AdminRequest::Kind::reinitialize, req, ctx);
  if (req.method == "PATCH") return patch_config(req, ctx);
  return put_config(req, ctx);
}

}  // namespace ha::agent::rest
