// The member key this node publishes about itself, built from its identity and its local
// PostgreSQL state (role, state, timeline, WAL positions, lag, streaming, tags). Pure.
#pragma once

#include "agent/cluster_view.hpp"
#include "agent/observation.hpp"

namespace ha::agent {

Member self_member(const Observation& obs);

}  // namespace ha::agent
