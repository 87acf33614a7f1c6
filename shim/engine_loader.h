// Loads libtcpkeep-engine.so and the policy at the first TCP decision, once per process.
#pragma once
#include "shim/engine_api.h"

namespace tcpkeep::shim {

struct Engine {
    const EngineApi* api = nullptr;
    const void* policy = nullptr;
};

// The loaded engine, or nullptr: failing open (bad policy, missing engine), nothing to apply, or
// a re-entrant call while this thread is loading it. Thread-safe; other threads wait for the load.
const Engine* engine();

// True once the shim has decided to pass every call straight through (cheap, no loading).
bool engine_disabled();

}  // namespace tcpkeep::shim
