#include "agent/config_reader.hpp"

#include <algorithm>
#include <cmath>

#include "agent/units.hpp"
#include "agent/yaml_json.hpp"

namespace ha::agent {

namespace {

// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string parent_path(const std::string& path) {
  const auto dot = path.find_last_of('.');
  const auto bracket = path.find_last_of('[');
  const auto cut =
      std::max(dot == std::string::npos ? 0 : dot, bracket == std::string::npos ? 0 : bracket);
  if (dot == std::string::npos && bracket == std::string::npos) return {};
  return path.substr(0, cut);
}

std::string format_number(double v) { return format_seconds(v); }

}  // namespace

std::string describe_json_value(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return "nothing (null)";
    case nlohmann::json::value_t::boolean:
      return std::string("a boolean (") + (v.get<bool>() ? "true" : "false") + ")";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: return "a number (" + v.dump() + ")";
    case nlohmann::json::value_t::string: return "a string (" + v.dump() + ")";
    case nlohmann::json::value_t::array: return "a list";
    case nlohmann::json::value_t::object: return "a map";
    default: return "an unsupported value";
  }
}

std::string format_config_error(const ConfigError& e, const std::string& source,
                                const std::map<std::string, int>& lines) {
  std::string where = source;
  for (std::string p = e.path; !p.empty(); p = parent_path(p)) {
    if (const auto it = lines.find(p); it != lines.end()) {
      where += ":" + std::to_string(it->second);
      break;
    }
  }
  return where + ": " + (e.path.empty() ? "" : e.path + ": ") + e.message;
}

std::optional<std::string> closest_name(const std::string& word,
                                        const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_d = 0;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(lower(word), lower(c));
    const std::size_t limit = std::max<std::size_t>(1, std::min(word.size(), c.size()) / 3);
    if (d <= limit && (!best || d < best_d)) {
      best = c;
      best_d = d;
    }
  }
  return best;
}

ConfigSection::ConfigSection(const nlohmann::json* object, std::string path,
                             std::vector<ConfigError>& errors)
    : path_(std::move(path)), errors_(&errors) {
  if (object == nullptr || object->is_null()) return;
  if (!object->is_object()) {
    errors_->push_back(
        {path_, "expected a map of keys to values, got " + describe_json_value(*object)});
    return;
  }
  object_ = object;
}

bool ConfigSection::has(const std::string& key) const {
  return object_ != nullptr && object_->contains(key) && !(*object_)[key].is_null();
}

std::vector<std::string> ConfigSection::keys() const {
  std::vector<std::string> out;
  if (object_ == nullptr) return out;
  for (const auto& [key, value] : object_->items()) out.push_back(key);
  return out;
}

std::string ConfigSection::path_of(const std::string& key) const { return join_path(path_, key); }

const nlohmann::json* ConfigSection::get(const std::string& key) {
  known_.insert(key);
  if (object_ == nullptr) return nullptr;
  const auto it = object_->find(key);
  if (it == object_->end() || it->is_null()) return nullptr;
  return &*it;
}

void ConfigSection::type_error(const std::string& key, const std::string& expected,
                               const nlohmann::json& got) {
  error(key, "expected " + expected + ", got " + describe_json_value(got));
}

void ConfigSection::error(const std::string& key, const std::string& message) {
  errors_->push_back({path_of(key), message});
}

std::optional<std::string> ConfigSection::string(const std::string& key) {
  const auto* v = get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    type_error(key, "a string", *v);
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<bool> ConfigSection::boolean(const std::string& key) {
  const auto* v = get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    type_error(key, "true or false", *v);
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::int64_t> ConfigSection::integer(const std::string& key, std::int64_t min,
                                                   std::int64_t max) {
  const auto* v = get(key);
  if (v == nullptr) return std::nullopt;
  std::int64_t n = 0;
  if (v->is_number_integer()) {
    n = v->get<std::int64_t>();
  } else if (v->is_number_unsigned()) {
    const auto u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(max)) {
      error(key, "must be at most " + std::to_string(max) + ", got " + v->dump());
      return std::nullopt;
    }
    n = static_cast<std::int64_t>(u);
  } else if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>() &&
             std::abs(v->get<double>()) < 9e15) {
    n = static_cast<std::int64_t>(v->get<double>());
  } else {
    type_error(key, "a whole number", *v);
    return std::nullopt;
  }
  if (n < min || n > max) {
    error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                   std::to_string(n));
    return std::nullopt;
  }
  return n;
}

std::optional<double> ConfigSection::number(const std::string& key, double min, double max) {
  const auto* v = get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number()) {
    type_error(key, "a number", *v);
    return std::nullopt;
  }
  const double n = v->get<double>();
  if (!(n >= min && n <= max)) {
    error(key, "must be between " + format_number(min) + " and " + format_number(max) + ", got " +
                   format_number(n));
    return std::nullopt;
  }
  return n;
}

std::optional<std::vector<std::string>> ConfigSection::string_list(const std::string& key,
                                                                   bool allow_csv) {
  const auto* v = get(key);
  if (v == nullptr) return std::nullopt;
  std::vector<std::string> out;
  if (allow_csv && v->is_string()) {
    const std::string s = v->get<std::string>();
    std::size_t start = 0;
    while (start <= s.size()) {
      const auto comma = s.find(',', start);
      std::string item =
          s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) out.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return out;
  }
  if (!v->is_array()) {
    type_error(
        key, allow_csv ? "a list of strings (or one comma-separated string)" : "a list of strings",
        *v);
    return std::nullopt;
  }
  for (std::size_t i = 0; i < v->size(); ++i) {
    const auto& item = (*v)[i];
    if (!item.is_string()) {
      errors_->push_back(
          {index_path(path_of(key), i), "expected a string, got " + describe_json_value(item)});
      return std::nullopt;
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<nlohmann::json> ConfigSection::scalar_map(const std::string& key) {
  const auto* v = get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_object()) {
    type_error(key, "a map of names to values", *v);
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& [name, value] : v->items()) {
    if (!(value.is_string() || value.is_number() || value.is_boolean())) {
      errors_->push_back(
          {join_path(path_of(key), name),
           "expected a string, number or boolean, got " + describe_json_value(value)});
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return *v;
}

const nlohmann::json* ConfigSection::raw(const std::string& key) { return get(key); }

ConfigSection ConfigSection::section(const std::string& key) {
  return ConfigSection(get(key), path_of(key), *errors_);
}

void ConfigSection::require(const std::string& key, const std::string& what) {
  known_.insert(key);
  if (!has(key)) errors_->push_back({path_of(key), "missing required key: " + what});
}

void ConfigSection::accept(const std::string& key) { known_.insert(key); }

void ConfigSection::finish(const std::map<std::string, std::string>& hints) {
  if (object_ == nullptr) return;
  const std::vector<std::string> known(known_.begin(), known_.end());
  for (const auto& [key, value] : object_->items()) {
    if (known_.count(key) > 0) continue;
    std::string message = "unknown key";
    if (const auto it = hints.find(key); it != hints.end()) {
      message += "; " + it->second;
    } else if (const auto guess = closest_name(key, known)) {
      message += " (did you mean '" + *guess + "'?)";
    }
    errors_->push_back({path_of(key), message});
  }
}

}  // namespace ha::agent
