// hactl dcs get / put / del / watch.
#include <condition_variable>
#include <mutex>
#include <sstream>

#include "ctl/dcs_commands.hpp"
#include "ctl/output_format.hpp"
#include "dcs/client/watcher.hpp"

namespace ha::ctl {

namespace {

nlohmann::json kv_json(const mvccpb::KeyValue& kv) {
  return {{"key", kv.key()},
          {"value", kv.value()},
          {"create_revision", kv.create_revision()},
          {"mod_revision", kv.mod_revision()},
          {"version", kv.version()},
          {"lease", kv.lease() == 0 ? std::string() : hex_id(static_cast<std::uint64_t>(kv.lease()))}};
}

std::string seconds_text(double s) {
  std::ostringstream text;
  text << s;
  return text.str();
}

void print_structured(Context& ctx, const nlohmann::json& doc) {
  if (ctx.options.format == OutputFormat::kYaml) {
    ctx.out << to_yaml(doc);
  } else {
    ctx.out << dump_json(doc) << '\n';
  }
}

}  // namespace

int dcs_get(Context& ctx) {
  const auto& o = ctx.options;
  dcs::GetOptions get;
  get.prefix = o.prefix;
  get.revision = o.revision;
  auto r = ctx.client.get(o.key, get, ctx.call());
  if (!r.ok()) return ctx.fail(r.error().to_string());
  if (o.format != OutputFormat::kPretty) {
    nlohmann::json doc = {{"revision", r->header().revision()}, {"count", r->kvs_size()}};
    doc["kvs"] = nlohmann::json::array();
    for (const auto& kv : r->kvs()) doc["kvs"].push_back(kv_json(kv));
    print_structured(ctx, doc);
  } else {
    for (const auto& kv : r->kvs()) {
      if (!o.print_value_only) ctx.out << kv.key() << '\n';
      ctx.out << kv.value() << '\n';
    }
  }
  if (!o.prefix && r->kvs_size() == 0) return ctx.fail("key '" + o.key + "' not found");
  return kExitOk;
}

int dcs_put(Context& ctx) {
  const auto& o = ctx.options;
  dcs::PutOptions put;
  put.lease = o.lease;
  auto call = ctx.call();
  call.retry_safe = true;  // writing the same value twice is harmless
  auto r = ctx.client.put(o.key, o.value, put, call);
  if (!r.ok()) return ctx.fail(r.error().to_string());
  if (o.format != OutputFormat::kPretty) {
    print_structured(ctx, {{"revision", r->header().revision()}});
  } else {
    ctx.out << "OK\n";
  }
  return kExitOk;
}

int dcs_del(Context& ctx) {
  const auto& o = ctx.options;
  dcs::DeleteOptions del;
  del.prefix = o.prefix;
  auto call = ctx.call();
  call.retry_safe = true;  // deleting twice deletes nothing more
  auto r = ctx.client.del(o.key, del, call);
  if (!r.ok()) return ctx.fail(r.error().to_string());
  if (o.format != OutputFormat::kPretty) {
    print_structured(ctx, {{"deleted", r->deleted()}, {"revision", r->header().revision()}});
  } else {
    ctx.out << r->deleted() << '\n';
  }
  return kExitOk;
}

int dcs_watch(Context& ctx) {
  const auto& o = ctx.options;
  // One read first: an unreachable DCS fails here within the deadline, and its revision is
  // where the watch starts, so nothing written after this command began is missed.
  dcs::GetOptions probe;
  probe.prefix = o.prefix;
  probe.count_only = true;
  auto r = ctx.client.get(o.key, probe, ctx.call());
  if (!r.ok()) return ctx.fail(r.error().to_string());

  dcs::WatchOptions w;
  w.key = o.key;
  w.prefix = o.prefix;
  w.start_revision = o.revision > 0 ? o.revision : r->header().revision() + 1;
  w.probe_timeout = ctx.timeout();

  std::mutex mu;
  std::condition_variable cv;
  int seen = 0;
  bool ended = false;
  std::string failure;
  const bool json = o.format != OutputFormat::kPretty;
  dcs::Watcher watcher(
      ctx.client, w,
      [&](const std::vector<mvccpb::Event>& events) {
        std::lock_guard lock(mu);
        for (const auto& e : events) {
          if (o.count > 0 && seen >= o.count) break;
          ++seen;
          const bool put = e.type() == mvccpb::Event::PUT;
          if (json) {
            auto doc = kv_json(e.kv());
            doc["type"] = put ? "PUT" : "DELETE";
            ctx.out << dump_json(doc) << '\n';
          } else {
            ctx.out << (put ? "PUT" : "DELETE") << '\n' << e.kv().key() << '\n';
            if (put) ctx.out << e.kv().value() << '\n';
          }
        }
        ctx.out.flush();
        cv.notify_all();
      },
      [&](const dcs::WatchError& e) {
        std::lock_guard lock(mu);
        ended = true;
        failure = e.to_string();
        cv.notify_all();
      });

  std::unique_lock lock(mu);
  const auto done = [&] { return ended || (o.count > 0 && seen >= o.count); };
  if (o.watch_timeout > 0) {
    cv.wait_for(lock, std::chrono::milliseconds(static_cast<long long>(o.watch_timeout * 1000)), done);
  } else {
    cv.wait(lock, done);
  }
  lock.unlock();
  watcher.stop();
  if (!failure.empty()) return ctx.fail("watch ended: " + failure);
  if (o.count > 0 && seen < o.count) {
    return ctx.fail("watch: " + std::to_string(seen) + " of " + std::to_string(o.count) +
                    " events within --timeout " + seconds_text(o.watch_timeout) + " s");
  }
  return kExitOk;
}

}  // namespace ha::ctl
