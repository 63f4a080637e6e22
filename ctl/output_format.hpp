// Helpers for machine-readable output: JSON dumped without ever throwing on bytes that are not
// UTF-8, and the same JSON rendered as YAML (block style, keys in the JSON's order).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ha::ctl {

// One line; invalid UTF-8 is replaced, never thrown on.
std::string dump_json(const nlohmann::json& value);
// Indented by 2, for people reading JSON.
std::string dump_json_pretty(const nlohmann::json& value);
// Block-style YAML ending in a newline.
std::string to_yaml(const nlohmann::json& value);

// Whether stdout is a terminal (colour and screen clearing only then).
bool stdout_is_terminal();

}  // namespace ha::ctl
