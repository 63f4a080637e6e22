#include "ctl/output_format.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

namespace ha::ctl {

namespace {

void emit(YAML::Emitter& out, const nlohmann::json& v) {
  if ((v.is_object() || v.is_array()) && v.empty()) {
    out << YAML::Flow << (v.is_object() ? YAML::BeginMap : YAML::BeginSeq)
        << (v.is_object() ? YAML::EndMap : YAML::EndSeq);
  } else if (v.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [k, item] : v.items()) {
      out << YAML::Key << k << YAML::Value;
      emit(out, item);
    }
    out << YAML::EndMap;
  } else if (v.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& item : v) emit(out, item);
    out << YAML::EndSeq;
  } else if (v.is_null()) {
    out << YAML::Null;
  } else if (v.is_boolean()) {
    out << v.get<bool>();
  } else if (v.is_number_unsigned()) {
    out << v.get<std::uint64_t>();
  } else if (v.is_number_integer()) {
    out << v.get<std::int64_t>();
  } else if (v.is_number_float()) {
    out << v.get<double>();
  } else {
    out << v.get<std::string>();
  }
}

}  // namespace

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string dump_json_pretty(const nlohmann::json& value) {
  return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string to_yaml(const nlohmann::json& value) {
  YAML::Emitter out;
  emit(out, value);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }

}  // namespace ha::ctl
