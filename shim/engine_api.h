// The boundary between libtcpkeep.so (small, loaded into every process) and
// libtcpkeep-engine.so (the policy library with its C++ runtime linked in, dlopen'ed at the first
// TCP decision). Plain C types and function pointers; no exception crosses it.
#pragma once
#include <sys/socket.h>
#include <cstddef>
#include <cstdint>

#include "config/verdict.h"
#include "shim/published_state.h"

namespace tcpkeep {

inline constexpr int engine_abi_version = 3;  // checked by the shim: both files come from one build
inline constexpr const char* engine_symbol = "tcpkeep_engine_v1";
inline constexpr const char* engine_file_name = "libtcpkeep-engine.so";

struct EngineLoadResult {
    const void* policy = nullptr;                // null: fail open (published->message says why)
    const PublishedPolicy* published = nullptr;  // always set: what was loaded, for verify to read
};

struct EngineApi {
    int abi_version;
    // Discovers and compiles the policy for the calling process. policy_env: TCPKEEP_POLICY or null.
    void (*load)(const char* policy_env, bool secure, EngineLoadResult* out) noexcept;
    // inbound: false for connect() (port = remote port), true for accept() (port = local port).
    const Verdict* (*decide)(const void* policy, bool inbound, std::uint16_t port, const sockaddr* peer, socklen_t peer_len) noexcept;
    bool (*depends_on_peer)(const void* policy, bool inbound, std::uint16_t port) noexcept;
    bool (*applies_anything)(const void* policy) noexcept;
};

}  // namespace tcpkeep
