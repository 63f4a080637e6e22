#include "agent/rest/request_body.hpp"

#include "agent/config_reader.hpp"

namespace ha::agent::rest {

using nlohmann::json;

std::variant<json, HttpResponse> read_json_object(
    const std::string& body, const std::optional<std::vector<std::string_view>>& allowed) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  json value;
  try {
    value = json::parse(body);
  } catch (const json::parse_error& e) {
    return text_response(400, std::string("the request body is not valid JSON: ") + e.what());
  }
  if (!value.is_object()) {
    return text_response(
        400, "the request body must be a JSON object, got " + describe_json_value(value));
  }
  if (allowed) {
    for (const auto& item : value.items()) {
      const std::string& key = item.key();
      bool known = false;
      for (const auto& a : *allowed) known = known || key == a;
      if (!known) {
        std::string names;
        for (const auto& a : *allowed) names += (names.empty() ? "" : ", ") + std::string(a);
        return text_response(400, "unknown key '" + key + "' in the request body; known: " +
                                      (names.empty() ? "none" : names));
      }
    }
  }
  return value;
}

std::variant<std::optional<std::string>, FieldError> string_field(const json& object,
                                                                  const std::string& key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) {
    return FieldError{key + ": expected a string, got " + describe_json_value(*it)};
  }
  return std::optional<std::string>{it->get<std::string>()};
}

std::variant<std::optional<bool>, FieldError> bool_field(const json& object,
                                                         const std::string& key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<bool>{};
  if (!it->is_boolean()) {
    return FieldError{key + ": expected true or false, got " + describe_json_value(*it)};
  }
  return std::optional<bool>{it->get<bool>()};
}

}  // namespace ha::agent::rest
