// GET, PATCH and PUT /config: the dynamic config in the DCS. PATCH applies a JSON merge patch
// (RFC 7386, as Patroni: null deletes a key) to the stored value; both check the result with
// parse_dynamic_config (400 with every error) and write it by compare-and-set on the key's
// mod_revision (409 when someone changed it meanwhile).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "agent/rest/http_types.hpp"
#include "agent/rest/rest_context.hpp"

namespace ha::agent::rest {

// The merged document, or the 400 response listing what is wrong with it.
std::variant<nlohmann::json, HttpResponse> merge_config_patch(const nlohmann::json& current,
                                                              const nlohmann::json& patch);
// `config` itself, or the 400 response listing what is wrong with it.
std::variant<nlohmann::json, HttpResponse> check_dynamic_config(nlohmann::json config);

HttpResponse get_config(const RestContext& context);
HttpResponse patch_config(const HttpRequest& request, const RestContext& context);
HttpResponse put_config(const HttpRequest& request, const RestContext& context);

}  // namespace ha::agent::rest
