#include "agent/rest/config_routes.hpp"

#include "agent/dynamic_config.hpp"
#include "agent/rest/request_body.hpp"

namespace ha::agent::rest {

using nlohmann::json;

namespace {

std::variant<json, HttpResponse> parse_stored(const StoredValue& stored) {
  try {
    return json::parse(stored.value);
  } catch (const json::parse_error& e) {
    return text_response(503, std::string("the config key in the DCS is not valid JSON: ") +
                                  e.what() + "; replace it with PUT /config");
  }
}

HttpResponse write_response(const StoreWrite& w, const json& config) {
  switch (w.result) {
    case StoreWrite::Result::written: return json_response(200, config);
    case StoreWrite::Result::conflict:
      return text_response(
          409, "the config changed meanwhile (" + w.error + "); read it again and retry");
    case StoreWrite::Result::failed: break;
  }
  return text_response(502, "failed to write the config into the DCS: " + w.error);
}

}  // namespace

std::variant<json, HttpResponse> check_dynamic_config(json config) {
  if (!config.is_object()) {
    return text_response(400, "the config must be a JSON object");
  }
  const auto parsed = parse_dynamic_config(config);
  if (!parsed.errors.empty()) {
    std::string msg = "invalid config:";
    for (const auto& e : parsed.errors) {
      msg += "\n  " + (e.path.empty() ? std::string("(top)") : e.path) + ": " + e.message;
    }
    return text_response(400, msg);
  }
  return config;
}

std::variant<json, HttpResponse> merge_config_patch(const json& current, const json& patch) {
  json merged = current.is_object() ? current : json::object();
  merged.merge_patch(patch);
  return check_dynamic_config(std::move(merged));
}

HttpResponse get_config(const RestContext& ctx) {
  if (ctx.store == nullptr) return text_response(503, "no DCS client");
  const StoreRead read = ctx.store->read_config();
  if (!read.error.empty()) {
    return text_response(502, "cannot read the config from the DCS: " + read.error);
  }
  if (!read.value)
    return text_response(502, "no config in the DCS (the cluster is not bootstrapped?)");
  auto parsed = parse_stored(*read.value);
  if (auto* r = std::get_if<HttpResponse>(&parsed)) return std::move(*r);
  return json_response(200, std::get<json>(parsed));
}

HttpResponse patch_config(const HttpRequest& request, const RestContext& ctx) {
  auto patch = read_json_object(request.body);
  if (auto* r = std::get_if<HttpResponse>(&patch)) return std::move(*r);
  if (ctx.store == nullptr) return text_response(503, "no DCS client");
  const StoreRead read = ctx.store->read_config();
  if (!read.error.empty()) {
    return text_response(503, "cannot read the config from the DCS: " + read.error);
  }
  if (!read.value) return text_response(503, "no config in the DCS to patch; use PUT /config");
  auto current = parse_stored(*read.value);
  if (auto* r = std::get_if<HttpResponse>(&current)) return std::move(*r);
  auto merged = merge_config_patch(std::get<json>(current), std::get<json>(patch));
  if (auto* r = std::get_if<HttpResponse>(&merged)) return std::move(*r);
  const json& config = std::get<json>(merged);
  return write_response(ctx.store->write_config(config.dump(), read.value->mod_revision), config);
}

HttpResponse put_config(const HttpRequest& request, const RestContext& ctx) {
  auto body = read_json_object(request.body);
  if (auto* r = std::get_if<HttpResponse>(&body)) return std::move(*r);
  auto checked = check_dynamic_config(std::move(std::get<json>(body)));
  if (auto* r = std::get_if<HttpResponse>(&checked)) return std::move(*r);
  if (ctx.store == nullptr) return text_response(503, "no DCS client");
  const json& config = std::get<json>(checked);
  return write_response(ctx.store->write_config(config.dump(), std::nullopt), config);
}

}  // namespace ha::agent::rest
