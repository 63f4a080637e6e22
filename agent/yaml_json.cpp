#include "agent/yaml_json.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <regex>

namespace ha::agent {

namespace {

bool is_one_of(const std::string& s, std::initializer_list<const char*> words) {
  for (const char* w : words) {
    if (s == w) return true;
  }
  return false;
}

// The JSON value of a plain (unquoted) YAML scalar, typed as YAML 1.1 would.
nlohmann::json plain_scalar(const std::string& s) {
  if (is_one_of(s, {"", "~", "null", "Null", "NULL"})) return nullptr;
  if (is_one_of(s, {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})) return true;
  if (is_one_of(s, {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})) {
    return false;
  }
  static const std::regex kInt(R"([-+]?[0-9]+)");
  static const std::regex kFloat(R"([-+]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(s, kInt)) {
    std::int64_t v = 0;
    const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
    const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size()) return v;
    return s;  // out of range: leave it to the validator to reject as a string
  }
  if (std::regex_match(s, kFloat)) {
    try {
      return std::stod(s);
    } catch (const std::exception&) {
      return s;
    }
  }
  return s;
}

struct Converter {
  std::map<std::string, int>& lines;
  std::string error;

  nlohmann::json convert(const YAML::Node& node, const std::string& path) {
    if (!path.empty()) lines.emplace(path, node.Mark().line + 1);
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null: return nullptr;
      case YAML::NodeType::Scalar:
        return node.Tag() == "!" ? nlohmann::json(node.Scalar()) : plain_scalar(node.Scalar());
      case YAML::NodeType::Sequence: {
        nlohmann::json out = nlohmann::json::array();
        std::size_t i = 0;
        for (const auto& item : node) out.push_back(convert(item, index_path(path, i++)));
        return out;
      }
      case YAML::NodeType::Map: {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& item : node) {
          const std::string key = item.first.IsScalar() ? item.first.Scalar() : std::string();
          if (!item.first.IsScalar()) {
            fail(item.first, "keys must be plain names");
            continue;
          }
          if (out.contains(key)) {
            fail(item.first, "duplicate key '" + join_path(path, key) + "'");
            continue;
          }
          out[key] = convert(item.second, join_path(path, key));
        }
        return out;
      }
    }
    return nullptr;
  }

  void fail(const YAML::Node& at, const std::string& what) {
    if (error.empty()) error = "line " + std::to_string(at.Mark().line + 1) + ": " + what;
  }
};

}  // namespace

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string index_path(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

YamlDocument yaml_to_json(std::string_view text) {
  YamlDocument doc;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    doc.error = e.mark.is_null() ? e.msg : "line " + std::to_string(e.mark.line + 1) + ": " + e.msg;
    return doc;
  }
  Converter c{doc.lines, {}};
  doc.value = c.convert(root, "");
  doc.error = std::move(c.error);
  return doc;
}

}  // namespace ha::agent
