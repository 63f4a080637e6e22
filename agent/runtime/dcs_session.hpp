// DcsSession: the agent's side of the DCS — one linearizable read of the cluster's keys per
// loop (as a ClusterView), this agent's lease kept alive by a LeaseKeeper (the leader and member
// keys live on it), a watch that wakes the loop when the leader, failover, sync, config or
// initialize key changes, and one method per DCS action of decide(), each a single
// compare-and-set transaction where a race is possible.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/clock.hpp"
#include "agent/cluster_view.hpp"
#include "agent/config.hpp"
#include "dcs/client/client.hpp"
#include "dcs/client/lease_keeper.hpp"
#include "dcs/client/watcher.hpp"

namespace ha::agent {

// The outcome of one DCS action: ok, or why not ("lost the race: node2 holds the lock", or the
// DCS error).
struct DcsOutcome {
  bool ok = false;
  std::string message;

  static DcsOutcome success() { return {true, {}}; }
  static DcsOutcome failure(std::string why) { return {false, std::move(why)}; }
};

// Whether a watch event on the key `suffix` (the part after the cluster prefix: "leader",
// "members/node1", ...) needs a decision at once: the lock created or deleted (not its
// refresh), a failover, sync, config or initialize change, a new member.
bool watch_event_wakes_loop(std::string_view suffix, bool deleted, std::int64_t version);

class DcsSession {
 public:
  explicit DcsSession(const AgentConfig& config);
  ~DcsSession();
  DcsSession(const DcsSession&) = delete;
  DcsSession& operator=(const DcsSession&) = delete;

  dcs::Client& client() { return *client_; }
  const std::string& prefix() const { return prefix_; }

  // Reads every key of the cluster. `problems` lists values that could not be used; a missing
  // or bad config key leaves `last_config` in force.
  std::optional<ClusterView> read(const DynamicConfig& last_config, Millis timeout,
                                  std::string& error, std::vector<std::string>& problems);

  // A live lease with this TTL (call from one thread): granted when there is none, it was lost, or its TTL differs
  // from `ttl` (then the next refresh moves our keys onto the new one). Waits for the first
  // keep-alive answer, so that lease_expiry() is known once this succeeds.
  DcsOutcome ensure_lease(std::chrono::seconds ttl, Millis timeout);
  std::int64_t lease_id() const;
  // The earliest moment the DCS may expire our lease (and the keys on it): when the last
  // answered keep-alive was sent plus the TTL. Nothing before the first answer.
  std::optional<SteadyTime> lease_expiry() const;
  std::chrono::seconds lease_ttl() const;
  // Revokes the lease (the leader and member keys go with it). At shutdown.
  void revoke_lease(Millis timeout);

  // Calls `wake` (from the watcher's thread) when a key that needs a prompt decision changes
  // or a member key appears (watch_event_wakes_loop).
  void watch(std::function<void()> wake);

  // --- the DCS actions of decide()
  // Creates /initialize ("") if absent; `won` says whether we created it. Also writes the
  // bootstrap dynamic config when there is no config key yet.
  DcsOutcome claim_initialize(const DynamicConfig& bootstrap_config, Millis timeout, bool& won);
  DcsOutcome set_initialize(const std::string& system_identifier, Millis timeout);
  DcsOutcome delete_initialize(Millis timeout);
  // Creates /leader = name on our lease if absent; fails naming the holder otherwise.
  DcsOutcome acquire_leader(Millis timeout);
  // Rewrites /leader on our lease if it still names us; publishes `lsn` in /status.
  DcsOutcome refresh_leader(std::uint64_t lsn, Millis timeout);
  // Deletes /leader if it still names us; with `last_lsn`, publishes it in /status first.
  DcsOutcome release_leader(std::optional<std::uint64_t> last_lsn, Millis timeout);
  DcsOutcome put_member(const std::string& member_json, Millis timeout);
  // Appends to /history (compare-and-set against the value read).
  DcsOutcome append_history(const HistoryEntry& entry, Millis timeout);
  DcsOutcome clear_failover(std::int64_t mod_revision, Millis timeout);
  DcsOutcome write_sync(const SyncState& sync, std::int64_t expected_revision, Millis timeout);
  DcsOutcome delete_sync(std::int64_t mod_revision, Millis timeout);

 private:
  std::string key(const std::string& suffix) const { return prefix_ + suffix; }
  DcsOutcome run_txn(const dcs::Txn& txn, Millis timeout, bool retry_safe, const char* what,
                     bool* succeeded);

  const std::string name_;
  const std::string prefix_;
  std::unique_ptr<dcs::Client> client_;
  // keeper_ and lease_ttl_ are replaced on the loop's thread and read by the fence feeder.
  mutable std::mutex keeper_mu_;
  std::unique_ptr<dcs::LeaseKeeper> keeper_;
  std::chrono::seconds lease_ttl_{0};
  std::unique_ptr<dcs::Watcher> watcher_;
};

}  // namespace ha::agent
