// The shim's one instance of its published state (shim/published_state.h): the fd table and the
// engine's status live in it, so what verify reads from outside is what the shim itself uses.
#pragma once
#include "shim/published_state.h"

namespace tcpkeep::shim {

// Internal name: the shim reaches it directly; exports.map exports it as tcpkeep_state_v1.
extern PublishedState published __attribute__((visibility("hidden")));

// Marks the state readable (layout set) before the engine's status first changes.
void publish_engine_status(EngineStatus status, DisabledReason reason = DisabledReason::none);

}  // namespace tcpkeep::shim
