// ConfigSection: walks one JSON object of a config (from YAML or from the DCS) by key, with a
// typed getter per kind of value. Wrong types, out-of-range values and missing required keys
// become ConfigErrors naming the key; keys nobody asked for become "unknown key" errors with a
// "did you mean" suggestion. The schema itself lives with each config struct, not here.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ha::agent {

struct ConfigError {
  std::string path;     // dotted key path, e.g. "postgresql.listen"
  std::string message;  // what is wrong and, where useful, what to do
};

// "<source>:<line>: <path>: <message>" when the line of `path` (or of its nearest parent) is
// known, else "<source>: <path>: <message>".
std::string format_config_error(const ConfigError& e, const std::string& source,
                                const std::map<std::string, int>& lines);

// The closest of `candidates` to `word` when it is close enough to be a likely typo.
std::optional<std::string> closest_name(const std::string& word,
                                        const std::vector<std::string>& candidates);

class ConfigSection {
 public:
  // `object` may be null or absent (nothing given); anything else that is not an object is an
  // error reported once.
  ConfigSection(const nlohmann::json* object, std::string path, std::vector<ConfigError>& errors);

  bool has(const std::string& key) const;
  // Every key present, in order (null values included).
  std::vector<std::string> keys() const;
  const std::string& path() const { return path_; }
  std::string path_of(const std::string& key) const;

  std::optional<std::string> string(const std::string& key);
  std::optional<bool> boolean(const std::string& key);
  std::optional<std::int64_t> integer(const std::string& key, std::int64_t min, std::int64_t max);
  // Integers or decimals (seconds, for example).
  std::optional<double> number(const std::string& key, double min, double max);
  // A list of strings; with `allow_csv`, also one string of comma-separated items.
  std::optional<std::vector<std::string>> string_list(const std::string& key, bool allow_csv);
  // A map of names to scalars (string, number or boolean), e.g. postgresql.parameters.
  std::optional<nlohmann::json> scalar_map(const std::string& key);
  // The raw value (marks the key as known); nullptr when absent.
  const nlohmann::json* raw(const std::string& key);
  // A child section (absent: an empty one).
  ConfigSection section(const std::string& key);

  // Records "missing required key" unless `key` is present. `what` says what the key is for.
  void require(const std::string& key, const std::string& what);
  // Marks keys as known without reading them (read by someone else).
  void accept(const std::string& key);
  void error(const std::string& key, const std::string& message);

  // Reports every key nobody read. `hints` maps a key to advice given instead of a
  // suggestion (e.g. a key that belongs in another section).
  void finish(const std::map<std::string, std::string>& hints = {});

 private:
  const nlohmann::json* get(const std::string& key);
  void type_error(const std::string& key, const std::string& expected, const nlohmann::json& got);

  const nlohmann::json* object_ = nullptr;
  std::string path_;
  std::vector<ConfigError>* errors_;
  std::set<std::string> known_;
};

// "a number (5)", "a string ('x')", "a list", ... for error messages.
std::string describe_json_value(const nlohmann::json& v);

}  // namespace ha::agent
