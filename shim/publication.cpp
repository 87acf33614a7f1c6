#include "shim/publication.h"

namespace tcpkeep::shim {

// Zero-initialised, in .bss: no relocation and no written page in a process that never decides.
PublishedState published;

void publish_engine_status(EngineStatus status, DisabledReason reason) {
    __atomic_store_n(&published.disabled_reason, static_cast<std::int32_t>(reason), __ATOMIC_RELAXED);
    __atomic_store_n(&published.layout, published_layout, __ATOMIC_RELAXED);
    __atomic_store_n(&published.engine, static_cast<std::int32_t>(status), __ATOMIC_RELEASE);
}

}  // namespace tcpkeep::shim

// The one exported data symbol, an alias of the internal one (same address, no indirection).
extern "C" __attribute__((visibility("default"), alias("_ZN7tcpkeep4shim9publishedE"))) tcpkeep::PublishedState tcpkeep_state_v1;
