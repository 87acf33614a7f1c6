// Loads libtcpkeep-engine.so and the policy at the first TCP decision, once per process.
#pragma once
#include "shim/engine_api.h"

namespace tcpkeep::shim {

// The engine and the policy one decision uses: a reload never changes them under a decision.
struct Engine {
    const EngineApi* api = nullptr;  // null: no engine, the socket is left unchanged
    const void* policy = nullptr;    // null: the policy file is unusable until it changes
    explicit operator bool() const { return api != nullptr && policy != nullptr; }
};

// The loaded engine and its current policy, or none: failing open (bad policy, missing engine),
// nothing to apply, or a re-entrant call while this thread is loading it. Thread-safe; other
// threads wait for the load. At most once a second, the call that finds the engine ready first
// lets it check whether the policy file changed (one stat) and takes the new policy when it did.
Engine engine();

// True once the shim has decided to pass every call straight through (cheap, no loading).
bool engine_disabled();

}  // namespace tcpkeep::shim
