#include "shim/listener_reload.h"

#include <sys/mman.h>
#include <cerrno>

namespace tcpkeep::shim {
namespace {

const void* listeners_policy = nullptr;  // atomic: the policy every known listener was decided with
std::uint32_t generation = 0;            // atomic: +1 when a re-decision begins, +1 when it ends
int redeciding = 0;                      // atomic: 1 while a thread re-decides (never waited for)

// Per listener fd below outdated_fds: queued connections (low 24 bits) and the options to restore
// on them (high 8). Mapped at the first re-decision that needs it: nothing in a process that never
// reloads. Higher listener fds (rare: listeners are opened early) are set anew without the count.
constexpr int outdated_fds = 1 << 16;
constexpr std::uint32_t count_mask = (1u << 24) - 1;
std::uint32_t* outdated = nullptr;  // atomic

// The word of `listener`, or null when the table is not mapped (every accept and close asks: one load).
std::uint32_t* existing_slot(int listener) {
    std::uint32_t* table = __atomic_load_n(&outdated, __ATOMIC_ACQUIRE);
    return table != nullptr && static_cast<unsigned>(listener) < outdated_fds ? table + listener : nullptr;
}

// The same, mapping the table first (only the re-deciding thread does).
std::uint32_t* created_slot(int listener) {
    if (static_cast<unsigned>(listener) >= outdated_fds) return nullptr;
    if (__atomic_load_n(&outdated, __ATOMIC_ACQUIRE) == nullptr) {
        const int saved_errno = errno;
        void* mem = ::mmap(nullptr, sizeof(std::uint32_t) * outdated_fds, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        errno = saved_errno;
        if (mem == MAP_FAILED) return nullptr;
        __atomic_store_n(&outdated, static_cast<std::uint32_t*>(mem), __ATOMIC_RELEASE);
    }
    return existing_slot(listener);
}

}  // namespace

ListenerEpoch listener_epoch() {
    const std::uint32_t g = __atomic_load_n(&generation, __ATOMIC_SEQ_CST);
    return ListenerEpoch{g, __atomic_load_n(&listeners_policy, __ATOMIC_SEQ_CST)};
}

bool listeners_outdated(const void* current) { return __atomic_load_n(&listeners_policy, __ATOMIC_ACQUIRE) != current; }

bool note_listener_decided(const ListenerEpoch& before, const void* policy) {
    const void* none = nullptr;  // the first listener: the others are decided with its policy
    __atomic_compare_exchange_n(&listeners_policy, &none, policy, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    const std::uint32_t now = __atomic_load_n(&generation, __ATOMIC_SEQ_CST);
    return now == before.generation && (now & 1) == 0;
}

bool begin_redecision(const void* current, const void*& previous) {
    int idle = 0;
    if (!__atomic_compare_exchange_n(&redeciding, &idle, 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return false;
    previous = __atomic_load_n(&listeners_policy, __ATOMIC_SEQ_CST);
    if (previous == current) {  // another thread finished it just before
        __atomic_store_n(&redeciding, 0, __ATOMIC_SEQ_CST);
        return false;
    }
    __atomic_add_fetch(&generation, 1, __ATOMIC_SEQ_CST);
    return true;
}

void end_redecision(const void* current) {
    __atomic_store_n(&listeners_policy, current, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&generation, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&redeciding, 0, __ATOMIC_SEQ_CST);
}

bool accept_overlapped_redecision(const ListenerEpoch& before, const void* current) {
    const std::uint32_t now = __atomic_load_n(&generation, __ATOMIC_SEQ_CST);
    return now != before.generation || (before.generation & 1) != 0 || before.policy != current;
}

void expect_outdated_connections(int listener, std::uint32_t queued, std::uint8_t restore) {
    // One more than counted: a connection completing on another CPU right now may have been made
    // with the old values and not be queued yet. One extra socket set to the values it has is harmless.
    const std::uint32_t count = queued < count_mask ? queued + 1 : count_mask;
    if (std::uint32_t* slot = created_slot(listener)) __atomic_store_n(slot, count | std::uint32_t{restore} << 24, __ATOMIC_SEQ_CST);
}

bool take_outdated_connection(int listener, std::uint8_t& restore) {
    std::uint32_t* slot = existing_slot(listener);
    if (slot == nullptr) return false;
    std::uint32_t word = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    do {
        if ((word & count_mask) == 0) return false;
    } while (!__atomic_compare_exchange_n(slot, &word, word - 1, true, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
    restore = static_cast<std::uint8_t>(word >> 24);
    return true;
}

void forget_outdated_connections(int listener) {
    if (std::uint32_t* slot = existing_slot(listener)) __atomic_store_n(slot, 0, __ATOMIC_RELAXED);
}

}  // namespace tcpkeep::shim
