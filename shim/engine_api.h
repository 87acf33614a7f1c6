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

inline constexpr int engine_abi_version = 5;  // checked by the shim: both files come from one build
inline constexpr const char* engine_symbol = "tcpkeep_engine_v1";
inline constexpr const char* engine_file_name = "libtcpkeep-engine.so";

struct EngineLoadResult {
    const void* policy = nullptr;                // null: fail open (published->message says why)
    const PublishedPolicy* published = nullptr;  // always set: what was loaded, for verify to read
    bool from_file = false;                      // reload_if_changed follows the file, even when it was unusable
};

// What reload_if_changed found. All null: the file is as loaded (or a change waits for its writer,
// or was already refused). `refused` (the first time a version is seen): why the new version is not
// used; the policy loaded before stays.
struct EngineReloadResult {
    const void* policy = nullptr;                // the new policy; the old one stays valid (never freed)
    const PublishedPolicy* published = nullptr;  // with `policy`: what verify reads from now on
    const char* refused = nullptr;
};

struct EngineApi {
    int abi_version;
    // Discovers and compiles the policy for the calling process. policy_env: TCPKEEP_POLICY or null.
    void (*load)(const char* policy_env, bool secure, EngineLoadResult* out) noexcept;
    // After a load from a file (usable or not): one stat of the file; reads, validates and compiles
    // it again when it changed. Called by one thread at a time, at most once a second.
    void (*reload_if_changed)(EngineReloadResult* out) noexcept;
    // inbound: false for connect() (port = remote port), true for accept() (port = local port).
    const Verdict* (*decide)(const void* policy, bool inbound, std::uint16_t port, const sockaddr* peer, socklen_t peer_len) noexcept;
    bool (*depends_on_peer)(const void* policy, bool inbound, std::uint16_t port) noexcept;
    bool (*applies_anything)(const void* policy) noexcept;
};

}  // namespace tcpkeep
