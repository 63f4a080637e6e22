// pause, resume and edit-config: the dynamic config key, changed through an agent's PATCH
// /config when one answers (pause/resume) or by compare-and-set on the key's mod_revision.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/dynamic_config.hpp"
#include "ctl/action_commands.hpp"
#include "ctl/command_support.hpp"
#include "ctl/config_edit.hpp"
#include "ctl/output_format.hpp"
#include "ctl/prompt.hpp"
#include "dcs/client/txn.hpp"

namespace ha::ctl {

namespace {

struct ConfigKey {
  bool exists = false;
  nlohmann::json value = nlohmann::json::object();
  std::int64_t mod_revision = 0;
};

std::string config_key_name(const Context& ctx) { return ctx.source.key_prefix() + "config"; }

std::string read_config_key(Context& ctx, ConfigKey& out) {
  const std::string key = config_key_name(ctx);
  auto r = ctx.client.get(key, {}, ctx.call());
  if (!r.ok()) return r.error().to_string();
  out = ConfigKey{};
  if (r->kvs_size() == 0) return {};
  out.exists = true;
  out.mod_revision = r->kvs(0).mod_revision();
  out.value = nlohmann::json::parse(r->kvs(0).value(), nullptr, false);
  if (out.value.is_discarded() || !out.value.is_object()) {
    return "the config key " + key +
           " does not hold a JSON object; fix it with hactl edit-config --replace FILE";
  }
  return {};
}

enum class CasResult { kWritten, kLost, kError };

// Writes `value` if the key is still at `before` (absent when !before.exists).
CasResult write_config(Context& ctx, const ConfigKey& before, const nlohmann::json& value,
                       std::string& error) {
  const std::string key = config_key_name(ctx);
  dcs::Txn txn;
  txn.when(before.exists
               ? dcs::compare_mod_revision(key, dcs::CompareOp::kEqual, before.mod_revision)
               : dcs::key_missing(key))
      .then(dcs::op_put(key, dump_json(value)));
  auto r = ctx.client.txn(txn, ctx.call());
  if (!r.ok()) {
    error = "could not write " + key + ": " + r.error().to_string();
    return CasResult::kError;
  }
  return r->succeeded() ? CasResult::kWritten : CasResult::kLost;
}

bool is_paused(const nlohmann::json& config) {
  const auto it = config.find("pause");
  return it != config.end() && it->is_boolean() && it->get<bool>();
}

// The member keys' own "pause" flags: name -> flag (absent when the member does not publish it).
std::string member_pause_flags(Context& ctx,
                               std::vector<std::pair<std::string, std::optional<bool>>>& out) {
  const std::string prefix = ctx.source.key_prefix() + "members/";
  dcs::GetOptions get;
  get.prefix = true;
  auto r = ctx.client.get(prefix, get, ctx.call());
  if (!r.ok()) return r.error().to_string();
  out.clear();
  for (const auto& kv : r->kvs()) {
    const auto j = nlohmann::json::parse(kv.value(), nullptr, false);
    std::optional<bool> flag;
    if (j.is_object() && j.contains("pause") && j["pause"].is_boolean())
      flag = j["pause"].get<bool>();
    out.emplace_back(kv.key().substr(prefix.size()), flag);
  }
  return {};
}

int wait_for_members(Context& ctx, bool pause, const ClusterState& s) {
  agent::DynamicConfig cfg;
  if (s.config) cfg = agent::parse_dynamic_config(*s.config).config;
  const auto deadline = std::max<std::chrono::milliseconds>(
      std::chrono::seconds(10), 2 * cfg.loop_wait + cfg.ttl + std::chrono::seconds(5));
  ctx.out << "Waiting up to " << deadline.count() / 1000 << " s until every member reports it...\n";
  ctx.out.flush();
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::vector<std::string> waiting, silent;
  for (;;) {
    std::vector<std::pair<std::string, std::optional<bool>>> flags;
    waiting.clear();
    silent.clear();
    if (member_pause_flags(ctx, flags).empty()) {
      for (const auto& [name, flag] : flags) {
        if (!flag && pause) {
          silent.push_back(name);  // publishes no pause flag: cannot be waited for
        } else if (flag.value_or(false) != pause) {
          waiting.push_back(name);
        }
      }
      if (waiting.empty()) break;
    } else {
      waiting = {"(the DCS did not answer)"};
    }
    if (std::chrono::steady_clock::now() >= until) {
      std::string names;
      for (const auto& n : waiting) names += (names.empty() ? "" : ", ") + n;
      return ctx.fail(std::string("the config says ") + (pause ? "paused" : "resumed") +
                      ", but these members did not report it within " +
                      std::to_string(deadline.count() / 1000) + " s: " + names +
                      " (are their agents running? see hactl list)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  for (const auto& n : silent) {
    ctx.err << "hactl: note: member '" << n
            << "' does not publish its pause state; not waited for\n";
  }
  return kExitOk;
}

bool set_pause_via_api(Context& ctx, const ClusterState& s, bool pause, int& exit_code) {
  std::vector<const agent::Member*> order;
  if (const auto* l = s.member(s.leader)) order.push_back(l);
  for (const auto& m : s.members) {
    if (m.name != s.leader && m.is_running()) order.push_back(&m);
  }
  const auto api = api_client(ctx);
  for (const auto* m : order) {
    const auto r =
        api.send("PATCH", m->api_url, "/config", {{"pause", pause}}, std::chrono::seconds(5));
    if (r.ok()) {
      ctx.out << "Changed through " << m->name << "'s REST API\n";
      return true;
    }
    if (r.answered()) {
      exit_code =
          ctx.fail(m->name + " refused PATCH /config: " + r.describe() + "; nothing was changed");
      return true;
    }
    ctx.err << "hactl: " << m->name << "'s REST API is " << r.describe() << '\n';
  }
  return false;
}

std::string read_text(Context& ctx, const std::string& file, std::string& out) {
  std::stringstream text;
  if (file == "-") {
    if (ctx.in == nullptr) return "no stdin to read the config from";
    text << ctx.in->rdbuf();
  } else {
    std::ifstream in(file);
    if (!in) return "cannot read '" + file + "'";
    text << in.rdbuf();
  }
  out = text.str();
  return {};
}

// Opens $VISUAL or $EDITOR (default vi) on the config as YAML; the edited document in `out`.
std::string edit_in_editor(const nlohmann::json& before, nlohmann::json& out) {
  char path[] = "/tmp/hactl-config-XXXXXX.yaml";
  const int fd = ::mkstemps(path, 5);
  if (fd < 0) return "cannot create a temporary file in /tmp";
  ::close(fd);
  {
    std::ofstream f(path);
    f << to_yaml(before);
  }
  const char* editor = std::getenv("VISUAL");
  if (editor == nullptr || *editor == '\0') editor = std::getenv("EDITOR");
  const std::string command = std::string(editor && *editor ? editor : "vi") + " '" + path + "'";
  const int rc = std::system(command.c_str());
  std::string text, error;
  {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    text = s.str();
  }
  std::remove(path);
  if (rc != 0) return "the editor (" + command + ") failed; nothing was changed";
  return parse_config_document(text, "the edited config", out);
}

}  // namespace

int pause_or_resume(Context& ctx, bool pause) {
  ClusterState s;
  if (auto err = read_state(ctx, s); !err.empty()) return ctx.fail(err);
  ConfigKey key;
  if (auto err = read_config_key(ctx, key); !err.empty()) return ctx.fail(err);
  if (is_paused(key.value) == pause) {
    return ctx.fail("cluster '" + s.scope + "' is " + (pause ? "already paused" : "not paused") +
                    "; nothing to do");
  }
  int exit_code = kExitOk;
  const bool via_api = set_pause_via_api(ctx, s, pause, exit_code);
  if (exit_code != kExitOk) return exit_code;
  if (!via_api) {
    ctx.err << "hactl: no agent's REST API could be reached; writing the config key directly\n";
    for (int attempt = 0;; ++attempt) {
      auto value = key.value;
      value["pause"] = pause;
      std::string error;
      const auto r = write_config(ctx, key, value, error);
      if (r == CasResult::kWritten) break;
      if (r == CasResult::kError) return ctx.fail(error);
      if (attempt == 4) {
        return ctx.fail("the config key kept changing under us (5 tries); try again");
      }
      if (auto err = read_config_key(ctx, key); !err.empty()) return ctx.fail(err);
    }
  }
  if (ctx.options.wait) {
    if (const int rc = wait_for_members(ctx, pause, s); rc != kExitOk) return rc;
  }
  ctx.out << "Success: cluster management is " << (pause ? "paused" : "resumed") << '\n';
  return kExitOk;
}

int edit_config(Context& ctx) {
  const auto& o = ctx.options;
  const bool given = !o.set_values.empty() || !o.pg_values.empty() || !o.apply_file.empty() ||
                     !o.replace_file.empty();
  if (!given && !ctx.stdin_terminal) {
    ctx.err << "hactl: edit-config: nothing to change; give --set, --pg, --apply or --replace "
               "(or run it on a terminal to edit in $EDITOR)\n";
    return kExitUsage;
  }
  ClusterState s;
  if (auto err = read_state(ctx, s); !err.empty()) return ctx.fail(err);
  ConfigKey key;
  if (auto err = read_config_key(ctx, key); !err.empty()) return ctx.fail(err);
  nlohmann::json after = key.value;
  if (!o.replace_file.empty()) {
    std::string text;
    if (auto err = read_text(ctx, o.replace_file, text); !err.empty()) return ctx.fail(err);
    if (auto err = parse_config_document(text, o.replace_file, after); !err.empty()) {
      return ctx.fail(err);
    }
  }
  if (!o.apply_file.empty()) {
    std::string text;
    nlohmann::json patch;
    if (auto err = read_text(ctx, o.apply_file, text); !err.empty()) return ctx.fail(err);
    if (auto err = parse_config_document(text, o.apply_file, patch); !err.empty()) {
      return ctx.fail(err);
    }
    after.merge_patch(patch);
  }
  for (const auto& [path, value] : o.set_values) {
    if (auto err = set_config_value(after, path, value); !err.empty()) return ctx.fail(err);
  }
  for (const auto& [name, value] : o.pg_values) {
    if (auto err = set_config_value(after, "postgresql.parameters." + name, value); !err.empty()) {
      return ctx.fail(err);
    }
  }
  if (!given) {
    if (auto err = edit_in_editor(key.value, after); !err.empty()) return ctx.fail(err);
  }
  const std::string diff = render_config_diff(key.value, after, ctx.colour);
  if (diff.empty()) {
    ctx.out << "Not changed\n";
    return kExitOk;
  }
  ctx.out << diff;
  const auto check = check_config_change(key.value, after);
  for (const auto& e : check.old_errors)
    ctx.err << "hactl: warning: already invalid: " << e << '\n';
  if (!check.new_errors.empty()) {
    for (const auto& e : check.new_errors) ctx.err << "hactl: invalid: " << e << '\n';
    return ctx.fail("the new config is not valid (see above); nothing was written");
  }
  if (!o.force && !confirm(ctx, "Apply these changes?")) {
    return ctx.fail("not applied (pass --force to apply without this question)");
  }
  std::string error;
  switch (write_config(ctx, key, after, error)) {
    case CasResult::kWritten: break;
    case CasResult::kError: return ctx.fail(error);
    case CasResult::kLost:
      return ctx.fail(
          "the config was changed by someone else meanwhile; nothing was written. "
          "Run edit-config again to edit the new version");
  }
  ctx.out << "Configuration changed\n";
  return kExitOk;
}

}  // namespace ha::ctl
