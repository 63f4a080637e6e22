// ClientOptions (how a Client connects: endpoints, default deadline, reconnect timing, where
// writes go first) and CallOptions (per call: deadline, whether a write may run twice).
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "dcs/client/endpoint.hpp"

namespace ha::dcs {

struct ClientOptions {
  std::vector<Endpoint> endpoints;  // at least one
  // The whole call, retries included, ends by then unless the call says otherwise.
  std::chrono::milliseconds default_timeout{2000};
  // gRPC channel reconnect timing: first backoff, largest backoff, and how long one connection
  // attempt may take.
  std::chrono::milliseconds reconnect_backoff_initial{100};
  std::chrono::milliseconds reconnect_backoff_max{1000};
  std::chrono::milliseconds connect_timeout{1000};
  // Pause between two rounds over every endpoint (doubles each round, up to 4x this).
  std::chrono::milliseconds retry_pause{50};
  // Send writes (put, delete, txn, compact, lease grant/revoke, member changes) to the leader
  // first, found with Maintenance.Status and remembered until a write fails.
  bool writes_to_leader_first = false;
};

struct CallOptions {
  // The call's overall deadline; empty = ClientOptions::default_timeout.
  std::optional<std::chrono::milliseconds> timeout;
  // For writes (put, delete, txn, compact, lease and member calls): running the request twice
  // is harmless (e.g. a compare-and-set that refreshes a key to the value it already has), so
  // it is retried on another endpoint after an ambiguous failure (timeout, lost connection, no
  // leader). Without it a write is retried only when it surely never reached a server. Reads
  // (and read-only transactions) are always retried. Do not set it on a create-if-absent
  // transaction whose caller needs to know whether it was the one that created the key.
  bool retry_safe = false;
};

}  // namespace ha::dcs
