#include "agent/member_tags.hpp"

namespace ha::agent {

namespace {

bool lenient_bool(const nlohmann::json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    const auto s = v.get<std::string>();
    return s == "true" || s == "True" || s == "yes" || s == "on";
  }
  if (v.is_number()) return v.get<double>() != 0;
  return false;
}

const char* const kKnown[] = {"nofailover", "noloadbalance", "failover_priority", "clonefrom",
                              "nosync"};

bool is_known(const std::string& key) {
  for (const char* k : kKnown) {
    if (key == k) return true;
  }
  return false;
}

}  // namespace

nlohmann::json to_json(const MemberTags& t) {
  nlohmann::json out = t.other.is_object() ? t.other : nlohmann::json::object();
  if (t.nofailover) out["nofailover"] = true;
  if (t.noloadbalance) out["noloadbalance"] = true;
  if (t.failover_priority) out["failover_priority"] = *t.failover_priority;
  if (t.clonefrom) out["clonefrom"] = true;
  if (t.nosync) out["nosync"] = true;
  return out;
}

MemberTags tags_from_json(const nlohmann::json& value) {
  MemberTags t;
  if (!value.is_object()) return t;
  for (const auto& [key, v] : value.items()) {
    if (key == "nofailover") {
      t.nofailover = lenient_bool(v);
    } else if (key == "noloadbalance") {
      t.noloadbalance = lenient_bool(v);
    } else if (key == "clonefrom") {
      t.clonefrom = lenient_bool(v);
    } else if (key == "nosync") {
      t.nosync = lenient_bool(v);
    } else if (key == "failover_priority") {
      if (v.is_number_integer() || v.is_number_unsigned()) {
        t.failover_priority = v.get<std::int64_t>();
      } else if (v.is_string()) {
        try {
          t.failover_priority = std::stoll(v.get<std::string>());
        } catch (const std::exception&) {
        }
      }
    } else {
      t.other[key] = v;
    }
  }
  return t;
}

MemberTags read_tags(ConfigSection s) {
  MemberTags t;
  if (const auto v = s.boolean("nofailover")) t.nofailover = *v;
  if (const auto v = s.boolean("noloadbalance")) t.noloadbalance = *v;
  if (const auto v = s.integer("failover_priority", 0, 1'000'000)) t.failover_priority = *v;
  if (const auto v = s.boolean("clonefrom")) t.clonefrom = *v;
  if (const auto v = s.boolean("nosync")) t.nosync = *v;
  if (t.nofailover && t.failover_priority.value_or(0) > 0) {
    s.error("failover_priority",
            "contradicts nofailover: true (a node that never fails over "
            "has no priority); remove one of them");
  }
  // Any other tag is free-form: a scalar shown in hactl list and usable as ?tag_<key>=<value>.
  // One that looks like a misspelt known tag is an error: a silently ignored "nofailvoer: true"
  // would let a node fail over that was meant never to.
  const std::vector<std::string> known(std::begin(kKnown), std::end(kKnown));
  for (const auto& key : s.keys()) {
    if (is_known(key)) continue;
    const nlohmann::json* v = s.raw(key);
    if (const auto guess = closest_name(key, known)) {
      s.error(key, "unknown tag that looks like '" + *guess + "'; fix the spelling");
    } else if (v != nullptr && !(v->is_string() || v->is_number() || v->is_boolean())) {
      s.error(key, "a tag must be a string, number or boolean, got " + describe_json_value(*v));
    } else if (v != nullptr) {
      t.other[key] = *v;
    }
  }
  return t;
}

}  // namespace ha::agent
