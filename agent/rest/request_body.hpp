// Reading a write request's JSON body: an object (an empty body counts as {}), with every key
// one the endpoint knows. Errors are 400 responses that name the problem.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "agent/rest/http_types.hpp"

namespace ha::agent::rest {

// The parsed object, or the 400 response to send. Any key is accepted without `allowed_keys`.
std::variant<nlohmann::json, HttpResponse> read_json_object(
    const std::string& body,
    const std::optional<std::vector<std::string_view>>& allowed_keys = std::nullopt);

// The value of `key` when it is a string / boolean; an error message when it has another type.
struct FieldError {
  std::string message;
};
std::variant<std::optional<std::string>, FieldError> string_field(const nlohmann::json& object,
                                                                  const std::string& key);
std::variant<std::optional<bool>, FieldError> bool_field(const nlohmann::json& object,
                                                         const std::string& key);

}  // namespace ha::agent::rest
