// Reads a YAML document into JSON values so that one validator serves both the YAML config
// file and the JSON dynamic config in the DCS. Plain scalars get YAML 1.1 types (as PyYAML and
// so Patroni read them: yes/no/on/off are booleans), quoted scalars stay strings, and the line
// of every value is kept by its path for error messages. Not a config validator.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ha::agent {

struct YamlDocument {
  nlohmann::json value;              // null for an empty document
  std::map<std::string, int> lines;  // "postgresql.pg_hba[1]" -> 1-based line
  std::string error;                 // non-empty when the text is not YAML (or has a duplicate key)
};

YamlDocument yaml_to_json(std::string_view text);

// The path of a child: join_path("a", "b") == "a.b", join_path("", "b") == "b".
std::string join_path(const std::string& parent, const std::string& key);
std::string index_path(const std::string& parent, std::size_t index);

}  // namespace ha::agent
