// The JSON of the values under /<namespace>/<scope>/ — members/<name>, failover, sync, history,
// status — with Patroni's field names, so the keys read the same as Patroni's. Encoders write
// exactly these fields; decoders are lenient about optional ones and say why a value is
// unusable. The leader and initialize keys hold plain text, not JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/cluster_view.hpp"

namespace ha::agent {

// Each decoder returns nothing and sets `error` (when given) for a value it cannot use.
std::string encode_member(const Member& member);
std::optional<Member> decode_member(const std::string& name, std::string_view json,
                                    std::string* error = nullptr);

// {"leader": ..., "member": <candidate>, "scheduled_at": ISO 8601}; "candidate" is also read.
std::string encode_failover(const FailoverRequest& request);
std::optional<FailoverRequest> decode_failover(std::string_view json, std::string* error = nullptr);

// {"leader": ..., "sync_standby": "a,b"} (null when none); a JSON list is also read.
std::string encode_sync(const SyncState& sync);
std::optional<SyncState> decode_sync(std::string_view json, std::string* error = nullptr);

// [[timeline, lsn, reason, timestamp, new_leader], ...]
std::string encode_history(const std::vector<HistoryEntry>& history);
std::optional<std::vector<HistoryEntry>> decode_history(std::string_view json,
                                                        std::string* error = nullptr);

// {"optime": <leader lsn>}
std::string encode_status(Lsn last_leader_lsn);
std::optional<Lsn> decode_status(std::string_view json, std::string* error = nullptr);

}  // namespace ha::agent
