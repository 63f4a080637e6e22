// Asking the other members for their status (GET <api_url>, Patroni's /patroni document) during
// a leader race: every member at once, each within the timeout. An unreachable member, an
// error status or a document we cannot read counts as reachable=false.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/clock.hpp"
#include "agent/observation.hpp"

namespace ha::agent::rest {

// (name, api_url like "http://10.0.0.2:8008/patroni"), answered in the same order.
std::vector<PeerStatus> probe_members(
    const std::vector<std::pair<std::string, std::string>>& members, Millis timeout);

// One member's answer. Nothing (and `error` set) when it is not a status document, or when it
// names another member than `name`.
std::optional<PeerStatus> parse_peer_status(const std::string& name, std::string_view json,
                                            std::string* error = nullptr);

}  // namespace ha::agent::rest
