// Client conformance scenarios: the DCS client library against a live etcd-v3 server (a real
// etcd today, hadcs later). Each takes the server's client endpoints and asserts with Catch2;
// each uses its own key prefix. Scenarios that break streams put a TcpProxy in front of the
// first endpoint themselves, so a target needs nothing but endpoints.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dcs/client/endpoint.hpp"

namespace ha::test {

struct DcsTarget {
  std::vector<dcs::Endpoint> endpoints;  // every member's client endpoint
  std::int64_t lease_ttl = 2;            // a short TTL the server grants as asked (seconds)
  std::string prefix = "/ha-test";       // keys are written under it
};

void check_kv(const DcsTarget& t);                     // put/get/prefix/range/limit/revision/del
void check_txn_cas(const DcsTarget& t);                // create-if-absent, compare-and-set, compares
void check_compaction(const DcsTarget& t);             // compact, then an old revision is an error
void check_lease_keeper(const DcsTarget& t);           // kept key outlives its TTL; revoke; lost
void check_lease_keeper_moves(const DcsTarget& t);     // keeper survives a cut connection
void check_watch_order(const DcsTarget& t);            // events in order, txn in one revision, replay
void check_watch_resume_after_outage(const DcsTarget& t);  // nothing lost while cut off
void check_watch_resume_elsewhere(const DcsTarget& t);     // cut mid-stream of writes: no loss, no repeat
void check_watch_compacted(const DcsTarget& t);        // compacted start revision: distinct error
void check_cluster_calls(const DcsTarget& t);          // status, leader, members, learner add/remove
void check_unreachable(const DcsTarget& t);            // refused and silent endpoints, rotation, deadlines
void check_prompt_shutdown(const DcsTarget& t);        // destructors stop background threads at once

// For multi-member targets: `kill(leader)` must stop the member serving that endpoint (kill -9).
// Writes (retry-safe) keep succeeding, a watcher sees every acknowledged write once and in order,
// and a kept lease stays alive through the election. Needs lease_ttl well above the failover time.
void check_survives_leader_loss(const DcsTarget& t, const std::function<void(const dcs::Endpoint&)>& kill);

}  // namespace ha::test
