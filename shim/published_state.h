// What a running shim publishes about itself so that `tcpkeep verify` and `apply` can read the truth
// from outside (process_vm_readv, with the permission pidfd_getfd needs anyway): which policy it
// loaded, for which identity, and what it knows of each fd. Plain fixed-width data at one exported,
// versioned symbol of libtcpkeep.so; nothing the program can observe (no fd, no file, no thread).
#pragma once
#include <cstdint>

namespace tcpkeep {

// The exported symbol; the tool also checks its size in the library's dynamic symbol table, so a
// shim of another layout is refused rather than misread.
inline constexpr const char* published_state_symbol = "tcpkeep_state_v1";
inline constexpr std::uint32_t published_layout = 1;

// Where the shim is with its policy engine (loaded at the first TCP decision).
enum class EngineStatus : std::int32_t {
    idle = 0,  // no TCP decision yet: nothing loaded
    loading = 1,
    ready = 2,     // policy loaded and applying
    disabled = 3,  // passing every call through: see DisabledReason
};

enum class DisabledReason : std::int32_t {
    none = 0,
    policy_too_long = 1,    // TCPKEEP_POLICY longer than any path
    engine_missing = 2,     // libtcpkeep-engine.so not found next to the shim
    engine_unloadable = 3,  // dlopen failed or ABI mismatch
    policy_unusable = 4,    // the policy could not be read or is invalid (PublishedPolicy::message)
    nothing_applies = 5,    // the policy sets nothing in this process
};

// Where the policy came from (the same order the shim discovers it in).
enum class PublishedSource : std::uint32_t { environment = 1, system = 2, embedded = 3 };

// Filled once by the engine when it loads the policy; lives in the engine's memory.
struct PublishedPolicy {
    std::uint32_t layout = 0;  // published_layout
    PublishedSource source = PublishedSource::embedded;
    std::uint8_t loaded = 0;  // 1: read, validated and compiled
    std::uint8_t from_compiled_form = 0;
    std::uint8_t reserved[6] = {};
    std::uint64_t text_bytes = 0;   // the policy text as read (the compiled form is keyed to it)
    std::uint64_t text_digest = 0;  // digest64 of that text
    char path[4096] = {};           // absolute, in the process's mount namespace; "" for the embedded default
    char exe_path[4096] = {};       // the identity `process` patterns were matched against
    char argv0_name[256] = {};
    char comm[16] = {};
    char message[768] = {};  // the load's outcome: the error with its location, or "policy FILE: N active rules"
};

inline constexpr int published_low_fds = 256;     // fds below this: in PublishedState itself
inline constexpr int published_chunk_bits = 16;   // higher fds: chunks of 2^16 words mapped on first use
inline constexpr int published_chunk_count = 64;  // up to 2^22 fds

// The shim's own state, in its .bss: all zero in a process that never made a TCP decision.
struct PublishedState {
    std::uint32_t layout;          // published_layout from the first TCP decision on; 0 before
    std::int32_t engine;           // EngineStatus
    std::int32_t disabled_reason;  // DisabledReason
    std::uint32_t reserved;
    const PublishedPolicy* policy;   // set once the engine has tried to load the policy
    const char* environment_policy;  // TCPKEEP_POLICY as captured at start (NUL-terminated), or null
    std::uint64_t* chunks[published_chunk_count];
    std::uint64_t low_fds[published_low_fds];  // the fd table's words (shim/fd_table.h: FdState)
};

}  // namespace tcpkeep
