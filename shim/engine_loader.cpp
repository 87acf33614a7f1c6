#include "shim/engine_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <time.h>
#include <climits>
#include <cstdio>
#include <cstring>

#include "shim/environment.h"
#include "shim/log.h"
#include "shim/publication.h"

namespace tcpkeep::shim {
namespace {

// The status lives in the published state (its `engine` word), so verify sees what the shim sees.
constexpr std::int32_t idle = static_cast<std::int32_t>(EngineStatus::idle);
constexpr std::int32_t loading = static_cast<std::int32_t>(EngineStatus::loading);
constexpr std::int32_t ready = static_cast<std::int32_t>(EngineStatus::ready);
constexpr std::int32_t disabled = static_cast<std::int32_t>(EngineStatus::disabled);

std::int32_t& state = published.engine;
const EngineApi* loaded_api = nullptr;  // written once, before state becomes ready
const void* loaded_policy = nullptr;    // atomic: a reload replaces it
std::int64_t next_check = 0;            // atomic: CLOCK_MONOTONIC_COARSE time (ns) of the next file check, or `checking`
constexpr std::int64_t check_interval_ns = 1'000'000'000;

// CLOCK_MONOTONIC_COARSE in nanoseconds: read from the vDSO, no system call.
std::int64_t coarse_now_ns() {
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return t.tv_sec * 1'000'000'000 + t.tv_nsec;
}
// The thread loading the engine, while state == loading: a socket call it makes meanwhile (from the
// dynamic loader or the engine's initialisers) passes through instead of waiting for itself. Not a
// thread_local: static TLS in a preloaded library costs every process a page fault and ~300
// instructions at startup (measured on a floor preload), TCP or not.
pthread_t loading_thread{};

// The engine lives next to this library (build tree and install tree alike).
bool engine_path(char* out, std::size_t size) {
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void*>(&engine_path), &info) == 0 || info.dli_fname == nullptr) return false;
    const char* slash = std::strrchr(info.dli_fname, '/');
    const int dir = slash == nullptr ? 0 : static_cast<int>(slash - info.dli_fname + 1);
    // snprintf, not memcpy: the shim imports snprintf anyway, and memcpy would add a symbol version
    // (GLIBC_2.14) that the loader checks in every process.
    const int n = std::snprintf(out, size, "%.*s%s", dir, info.dli_fname, engine_file_name);
    return n > 0 && static_cast<std::size_t>(n) < size;
}

DisabledReason load() {
    const ShimEnvironment& env = shim_environment();
    if (env.policy_too_long) {  // unset would mean the default policy: the operator named another one
        log_line(LogLevel::error, "TCPKEEP_POLICY is longer than any path (%d bytes at most); sockets left unchanged", PATH_MAX - 1);
        return DisabledReason::policy_too_long;
    }
    char path[PATH_MAX];
    if (!engine_path(path, sizeof path)) {
        log_line(LogLevel::error, "cannot locate %s; sockets left unchanged", engine_file_name);
        return DisabledReason::engine_missing;
    }
    void* handle = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
    const auto* api = handle ? static_cast<const EngineApi*>(::dlsym(handle, engine_symbol)) : nullptr;
    if (api == nullptr || api->abi_version != engine_abi_version) {
        const char* why = ::dlerror();
        log_line(LogLevel::error, "cannot load %s: %s; sockets left unchanged", path, why ? why : "ABI version mismatch");
        return DisabledReason::engine_unloadable;
    }
    EngineLoadResult result;
    api->load(env.policy, env.secure, &result);
    __atomic_store_n(&published.policy, result.published, __ATOMIC_RELEASE);
    // From a file, the engine stays ready even with nothing to apply now: an edit may change that.
    if (result.policy == nullptr) {
        log_line(LogLevel::error, "%s; sockets left unchanged", result.published->message);
        if (!result.from_file) return DisabledReason::policy_unusable;
    } else if (!api->applies_anything(result.policy)) {
        log_line(LogLevel::info, "%s: nothing applies to this process; sockets left unchanged", result.published->message);
        if (!result.from_file) return DisabledReason::nothing_applies;
    } else {
        log_line(LogLevel::info, "%s", result.published->message);
    }
    loaded_api = api;
    __atomic_store_n(&loaded_policy, result.policy, __ATOMIC_RELEASE);
    __atomic_store_n(&next_check, coarse_now_ns() + check_interval_ns, __ATOMIC_RELAXED);
    return DisabledReason::none;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// While one thread checks the file, next_check holds this: a decision made meanwhile waits for the
// outcome, so that nothing is decided with the old policy once a check has found a new one.
constexpr std::int64_t checking = -1;
int check_overdue = 0;  // atomic: 1 once a check took too long to wait for

// Waits for the check another thread is making: a spin while it is a stat (microseconds, no system
// call), sleeps when it reads a new version; bounded like wait_for_loader. A check that has not
// ended by then (a hung file system, or a thread lost in a fork) is not waited for again until it ends.
void wait_for_check() {
    auto running = [] {
        return __atomic_load_n(&next_check, __ATOMIC_ACQUIRE) == checking && __atomic_load_n(&check_overdue, __ATOMIC_RELAXED) == 0;
    };
    for (int i = 0; i < 4'000 && running(); ++i) cpu_relax();
    const timespec pause{0, 200'000};
    for (int i = 0; i < 10'000 && running(); ++i) ::nanosleep(&pause, nullptr);
    if (running()) __atomic_store_n(&check_overdue, 1, __ATOMIC_RELAXED);
}

// The policy file changed? Asked by one thread at a time, at most once a second, and only by a
// thread making a TCP decision: a program that makes none pays nothing, not even a timer.
void reload_when_due() {
    std::int64_t due = __atomic_load_n(&next_check, __ATOMIC_ACQUIRE);
    if (due == checking) return wait_for_check();
    if (coarse_now_ns() < due) return;
    if (!__atomic_compare_exchange_n(&next_check, &due, checking, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return wait_for_check();
    EngineReloadResult result;
    loaded_api->reload_if_changed(&result);
    if (result.refused != nullptr)
        log_line(LogLevel::error, "%s; %s", result.refused,
                 __atomic_load_n(&loaded_policy, __ATOMIC_ACQUIRE) != nullptr ? "the policy loaded before stays in use" : "sockets left unchanged");
    if (result.policy != nullptr) {
        __atomic_store_n(&published.policy, result.published, __ATOMIC_RELEASE);
        __atomic_store_n(&loaded_policy, result.policy, __ATOMIC_RELEASE);
        log_line(LogLevel::info, "%s (reloaded: the file changed)", result.published->message);
    }
    __atomic_store_n(&check_overdue, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&next_check, coarse_now_ns() + check_interval_ns, __ATOMIC_RELEASE);
}

void wait_for_loader() {
    // Bounded: a loader blocked on us (both inside library constructors) must not hang the program.
    const timespec pause{0, 200'000};
    for (int i = 0; i < 10'000 && __atomic_load_n(&state, __ATOMIC_ACQUIRE) == loading; ++i) ::nanosleep(&pause, nullptr);
}

Engine current() { return Engine{loaded_api, __atomic_load_n(&loaded_policy, __ATOMIC_ACQUIRE)}; }

}  // namespace

bool engine_disabled() { return __atomic_load_n(&state, __ATOMIC_ACQUIRE) == disabled; }

Engine engine() {
    int s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
    if (s == ready) {
        reload_when_due();
        return current();
    }
    if (s == disabled) return {};
    if (s == loading && ::pthread_equal(__atomic_load_n(&loading_thread, __ATOMIC_ACQUIRE), ::pthread_self())) return {};
    int expected = idle;
    if (__atomic_compare_exchange_n(&state, &expected, loading, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&loading_thread, ::pthread_self(), __ATOMIC_RELEASE);
        publish_engine_status(EngineStatus::loading);
        const DisabledReason result = load();
        __atomic_store_n(&loading_thread, pthread_t{}, __ATOMIC_RELEASE);
        publish_engine_status(result == DisabledReason::none ? EngineStatus::ready : EngineStatus::disabled, result);
        return result == DisabledReason::none ? current() : Engine{};
    }
    wait_for_loader();
    s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
    if (s == loading) log_once(Once::engine_wait, LogLevel::warn, "policy still loading in another thread after 2s; this socket left unchanged");
    return s == ready ? current() : Engine{};
}

}  // namespace tcpkeep::shim
