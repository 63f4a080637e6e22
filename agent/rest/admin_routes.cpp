#include "agent/rest/admin_routes.hpp"

#include "agent/rest/request_body.hpp"
#include "agent/units.hpp"

namespace ha::agent::rest {

HttpResponse post_admin(AdminRequest::Kind kind, const HttpRequest& request,
                        const RestContext& ctx) {
  AdminRequest admin;
  admin.kind = kind;
  std::vector<std::string_view> keys;
  if (kind == AdminRequest::Kind::restart) keys = {"restart_pending"};
  if (kind == AdminRequest::Kind::reinitialize) keys = {"force"};
  auto body = read_json_object(request.body, keys);
  if (auto* r = std::get_if<HttpResponse>(&body)) return std::move(*r);
  const auto& object = std::get<nlohmann::json>(body);
  const char* flag = kind == AdminRequest::Kind::restart ? "restart_pending" : "force";
  const auto value = bool_field(object, flag);
  if (const auto* e = std::get_if<FieldError>(&value)) return text_response(400, e->message);
  const bool set = std::get<0>(value).value_or(false);
  if (kind == AdminRequest::Kind::restart) admin.only_if_pending_restart = set;
  if (kind == AdminRequest::Kind::reinitialize) admin.force = set;

  if (ctx.admin == nullptr) {
    return text_response(503, std::string(to_string(kind)) + " is not possible: no HA loop");
  }
  auto outcome = ctx.admin->submit(admin);
  if (outcome.wait_for(ctx.options.admin_wait) != std::future_status::ready) {
    return text_response(
        503, std::string(to_string(kind)) + ": no answer from the HA loop within " +
                 format_duration(ctx.options.admin_wait) + " (it may still act on the request)");
  }
  AdminOutcome o;
  try {
    o = outcome.get();
  } catch (const std::future_error&) {
    return text_response(503, std::string(to_string(kind)) + ": the HA loop dropped the request");
  }
  return text_response(o.ok ? 200 : 503,
                       o.message.empty() ? (o.ok ? "done" : "failed") : o.message);
}

}  // namespace ha::agent::rest
