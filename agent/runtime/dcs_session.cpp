#include "agent/runtime/dcs_session.hpp"

#include <fmt/format.h>

#include "agent/cluster_view_builder.hpp"
#include "agent/dcs_values.hpp"
#include "dcs/client/log.hpp"
#include "dcs/client/prefix.hpp"
#include "dcs/client/txn.hpp"

namespace ha::agent {

namespace {

constexpr std::string_view kLog = "dcs";

dcs::ClientOptions client_options(const AgentConfig& config) {
  dcs::ClientOptions o;
  o.endpoints = config.dcs.endpoints;
  o.default_timeout = Millis(1000);
  o.connect_timeout = Millis(500);
  o.reconnect_backoff_initial = Millis(50);
  o.reconnect_backoff_max = Millis(500);
  o.writes_to_leader_first = true;
  return o;
}

dcs::CallOptions call(Millis timeout, bool retry_safe = false) {
  dcs::CallOptions c;
  c.timeout = timeout;
  c.retry_safe = retry_safe;
  return c;
}

}  // namespace

DcsSession::DcsSession(const AgentConfig& config)
    : name_(config.name),
      prefix_(config.key_prefix()),
      client_(std::make_unique<dcs::Client>(client_options(config))) {}

DcsSession::~DcsSession() {
  if (watcher_) watcher_->stop();
  std::lock_guard lock(keeper_mu_);
  if (keeper_) keeper_->stop();
}

std::optional<ClusterView> DcsSession::read(const DynamicConfig& last_config, Millis timeout,
                                            std::string& error,
                                            std::vector<std::string>& problems) {
  dcs::GetOptions get;
  get.prefix = true;
  auto r = client_->get(prefix_, get, call(timeout));
  if (!r) {
    error = r.error().to_string();
    return std::nullopt;
  }
  std::vector<DcsKeyValue> kvs;
  kvs.reserve(static_cast<std::size_t>(r->kvs_size()));
  for (const auto& kv : r->kvs()) {
    kvs.push_back({kv.key().substr(prefix_.size()), kv.value(), kv.lease(), kv.mod_revision()});
  }
  return build_cluster_view(kvs, last_config, problems);
}

DcsOutcome DcsSession::ensure_lease(std::chrono::seconds ttl, Millis timeout) {
  {
    std::lock_guard lock(keeper_mu_);
    if (keeper_ && !keeper_->lost() && lease_ttl_ == ttl) return DcsOutcome::success();
    if (keeper_ && keeper_->lost()) {
      log_warn(kLog, "lease {:x} is gone; granting a new one", keeper_->id());
    }
  }
  auto r = client_->lease_grant(ttl.count(), 0, call(timeout));
  if (!r) return DcsOutcome::failure("cannot grant a lease: " + r.error().to_string());
  if (!r->error().empty()) return DcsOutcome::failure("cannot grant a lease: " + r->error());
  const std::int64_t old = lease_id();
  dcs::LeaseKeeperOptions ko;
  // Keep-alives four times per second: the lock's budget is counted from the last answered
  // one, so a short interval keeps that budget close to the full TTL.
  ko.interval = Millis(250);
  ko.reply_timeout = Millis(500);
  auto keeper = std::make_unique<dcs::LeaseKeeper>(
      *client_, r->id(),
      [](std::int64_t id, const std::string& why) {
        log_warn(kLog, "lease {:x} lost: {}", id, why);
      },
      ko);
  if (!keeper->wait_confirmed(timeout)) {
    keeper->stop();
    return DcsOutcome::failure(fmt::format("lease {:x} granted but its first keep-alive was not "
                                           "answered in {} ms",
                                           r->id(), timeout.count()));
  }
  std::unique_ptr<dcs::LeaseKeeper> previous;
  {
    std::lock_guard lock(keeper_mu_);
    previous = std::move(keeper_);
    keeper_ = std::move(keeper);
    lease_ttl_ = ttl;
  }
  if (previous) previous->stop();
  log_info(kLog, "holding lease {:x} (ttl {} s){}", lease_id(), ttl.count(),
           old != 0 ? fmt::format(", replacing {:x}", old) : std::string());
  return DcsOutcome::success();
}

std::int64_t DcsSession::lease_id() const {
  std::lock_guard lock(keeper_mu_);
  return keeper_ ? keeper_->id() : 0;
}

std::chrono::seconds DcsSession::lease_ttl() const {
  std::lock_guard lock(keeper_mu_);
  return lease_ttl_;
}

std::optional<SteadyTime> DcsSession::lease_expiry() const {
  std::lock_guard lock(keeper_mu_);
  if (!keeper_ || keeper_->lost()) return std::nullopt;
  const auto e = keeper_->expiry();
  if (e == dcs::LeaseKeeper::Clock::time_point{}) return std::nullopt;
  return e;
}

void DcsSession::revoke_lease(Millis timeout) {
  std::unique_ptr<dcs::LeaseKeeper> keeper;
  {
    std::lock_guard lock(keeper_mu_);
    keeper = std::move(keeper_);
  }
  if (!keeper) return;
  keeper->stop();
  auto r = client_->lease_revoke(keeper->id(), call(timeout, true));
  if (!r) log_warn(kLog, "could not revoke lease {:x}: {}", keeper->id(), r.error().to_string());
}

bool watch_event_wakes_loop(std::string_view suffix, bool deleted, std::int64_t version) {
  const bool created = !deleted && version == 1;
  // The lock is only ever created (by its new holder) or deleted (released, expired); a put
  // on the existing key is the holder's refresh on every loop, which must not wake anyone
  // (else the leader wakes itself, and the replicas, in a tight loop).
  if (suffix == "leader") return deleted || created;
  if (suffix == "failover" || suffix == "sync" || suffix == "config" || suffix == "initialize")
    return true;
  // A member that appears (a new replica) wants its replication slot from the leader. Members
  // and status otherwise change every loop.
  return created && suffix.rfind("members/", 0) == 0;
}

void DcsSession::watch(std::function<void()> wake) {
  dcs::WatchOptions w;
  w.key = prefix_;
  w.prefix = true;
  w.probe_interval = Millis(2000);
  const auto prefix = prefix_;
  watcher_ = std::make_unique<dcs::Watcher>(
      *client_, w,
      [wake = std::move(wake), prefix](const std::vector<mvccpb::Event>& events) {
        for (const auto& e : events) {
          const std::string suffix = e.kv().key().substr(prefix.size());
          if (watch_event_wakes_loop(suffix, e.type() == mvccpb::Event::DELETE, e.kv().version())) {
            wake();
            return;
          }
        }
      },
      [](const dcs::WatchError& e) { log_warn(kLog, "watch ended: {}", e.to_string()); });
}

DcsOutcome DcsSession::run_txn(const dcs::Txn& txn, Millis timeout, bool retry_safe,
                               const char* what, bool* succeeded) {
  auto r = client_->txn(txn, call(timeout, retry_safe));
  if (!r) return DcsOutcome::failure(std::string(what) + ": " + r.error().to_string());
  if (succeeded != nullptr) *succeeded = r->succeeded();
  return DcsOutcome::success();
}

DcsOutcome DcsSession::claim_initialize(const DynamicConfig& bootstrap_config, Millis timeout,
                                        bool& won) {
  won = false;
  dcs::Txn txn;
  txn.when(dcs::key_missing(key("initialize"))).then(dcs::op_put(key("initialize"), ""));
  auto out = run_txn(txn, timeout, false, "claiming the initialize key", &won);
  if (!out.ok) return out;
  if (!won) return DcsOutcome::failure("another member claimed the initialize key first");
  dcs::Txn cfg;
  cfg.when(dcs::key_missing(key("config")))
      .then(dcs::op_put(key("config"), to_json(bootstrap_config).dump()));
  auto written = run_txn(cfg, timeout, true, "writing the bootstrap config", nullptr);
  if (!written.ok) log_warn(kLog, "{}", written.message);
  return DcsOutcome::success();
}

DcsOutcome DcsSession::set_initialize(const std::string& system_identifier, Millis timeout) {
  auto r = client_->put(key("initialize"), system_identifier, {}, call(timeout, true));
  if (!r) return DcsOutcome::failure("writing the initialize key: " + r.error().to_string());
  return DcsOutcome::success();
}

DcsOutcome DcsSession::delete_initialize(Millis timeout) {
  auto r = client_->del(key("initialize"), {}, call(timeout, true));
  if (!r) return DcsOutcome::failure("deleting the initialize key: " + r.error().to_string());
  return DcsOutcome::success();
}

DcsOutcome DcsSession::acquire_leader(Millis timeout) {
  if (lease_id() == 0) return DcsOutcome::failure("no lease to hold the lock on");
  dcs::PutOptions on_lease;
  on_lease.lease = lease_id();
  dcs::Txn txn;
  txn.when(dcs::key_missing(key("leader")))
      .then(dcs::op_put(key("leader"), name_, on_lease))
      .otherwise(dcs::op_get(key("leader")));
  auto r = client_->txn(txn, call(timeout));
  if (!r) return DcsOutcome::failure("taking the lock: " + r.error().to_string());
  if (r->succeeded()) return DcsOutcome::success();
  std::string holder = "another member";
  if (r->responses_size() > 0 && r->responses(0).response_range().kvs_size() > 0) {
    holder = r->responses(0).response_range().kvs(0).value();
  }
  return DcsOutcome::failure("lost the race for the lock: " + holder + " holds it");
}

DcsOutcome DcsSession::refresh_leader(std::uint64_t lsn, Millis timeout) {
  if (lease_id() == 0) return DcsOutcome::failure("no lease to hold the lock on");
  dcs::PutOptions on_lease;
  on_lease.lease = lease_id();
  dcs::Txn txn;
  txn.when(dcs::value_is(key("leader"), name_))
      .then(dcs::op_put(key("leader"), name_, on_lease))
      .then(dcs::op_put(key("status"), encode_status(Lsn{lsn})));
  bool held = false;
  auto out = run_txn(txn, timeout, true, "refreshing the lock", &held);
  if (!out.ok) return out;
  if (!held) return DcsOutcome::failure("the lock is not mine any more");
  return DcsOutcome::success();
}

DcsOutcome DcsSession::release_leader(std::optional<std::uint64_t> last_lsn, Millis timeout) {
  dcs::Txn txn;
  txn.when(dcs::value_is(key("leader"), name_));
  if (last_lsn) txn.then(dcs::op_put(key("status"), encode_status(Lsn{*last_lsn})));
  txn.then(dcs::op_del(key("leader")));
  bool held = false;
  auto out = run_txn(txn, timeout, true, "releasing the lock", &held);
  if (!out.ok) return out;
  if (!held) log_info(kLog, "releasing the lock: it was not mine any more");
  return DcsOutcome::success();
}

DcsOutcome DcsSession::put_member(const std::string& member_json, Millis timeout) {
  dcs::PutOptions on_lease;
  on_lease.lease = lease_id();
  auto r = client_->put(key("members/" + name_), member_json, on_lease, call(timeout, true));
  if (!r) return DcsOutcome::failure("publishing my member key: " + r.error().to_string());
  return DcsOutcome::success();
}

DcsOutcome DcsSession::append_history(const HistoryEntry& entry, Millis timeout) {
  auto r = client_->get(key("history"), {}, call(timeout));
  if (!r) return DcsOutcome::failure("reading the history: " + r.error().to_string());
  std::vector<HistoryEntry> history;
  std::int64_t mod_revision = 0;
  if (r->kvs_size() > 0) {
    mod_revision = r->kvs(0).mod_revision();
    if (auto h = decode_history(r->kvs(0).value())) history = std::move(*h);
  }
  for (const auto& h : history) {
    if (h.timeline == entry.timeline) return DcsOutcome::success();
  }
  history.push_back(entry);
  dcs::Txn txn;
  txn.when(dcs::compare_mod_revision(key("history"), dcs::CompareOp::kEqual, mod_revision))
      .then(dcs::op_put(key("history"), encode_history(history)));
  bool written = false;
  auto out = run_txn(txn, timeout, true, "writing the history", &written);
  if (!out.ok) return out;
  if (!written) return DcsOutcome::failure("the history changed while I wrote it; retrying next loop");
  return DcsOutcome::success();
}

DcsOutcome DcsSession::clear_failover(std::int64_t mod_revision, Millis timeout) {
  dcs::Txn txn;
  txn.when(dcs::compare_mod_revision(key("failover"), dcs::CompareOp::kEqual, mod_revision))
      .then(dcs::op_del(key("failover")));
  return run_txn(txn, timeout, true, "clearing the failover key", nullptr);
}

DcsOutcome DcsSession::write_sync(const SyncState& sync, std::int64_t expected_revision,
                                  Millis timeout) {
  dcs::Txn txn;
  txn.when(expected_revision == 0
               ? dcs::key_missing(key("sync"))
               : dcs::compare_mod_revision(key("sync"), dcs::CompareOp::kEqual, expected_revision))
      .then(dcs::op_put(key("sync"), encode_sync(sync)));
  bool written = false;
  auto out = run_txn(txn, timeout, false, "writing the sync key", &written);
  if (!out.ok) return out;
  if (!written) return DcsOutcome::failure("the sync key changed meanwhile; deciding again");
  return DcsOutcome::success();
}

DcsOutcome DcsSession::delete_sync(std::int64_t mod_revision, Millis timeout) {
  dcs::Txn txn;
  txn.when(dcs::compare_mod_revision(key("sync"), dcs::CompareOp::kEqual, mod_revision))
      .then(dcs::op_del(key("sync")));
  return run_txn(txn, timeout, true, "deleting the sync key", nullptr);
}

}  // namespace ha::agent
