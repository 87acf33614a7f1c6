// What the shim knows about each file descriptor, lock-free. Lives for the whole process, in the
// published state (shim/publication.h): fds below 256 in static storage, the others in chunks
// mapped on first use (any fd up to 2^22).
#pragma once
#include <cstdint>

#include "shim/fd_state.h"
#include "shim/publication.h"

namespace tcpkeep::shim {

namespace fd_storage {
inline constexpr int static_fds = published_low_fds;
// The word of an fd from static_fds up; null when out of range, or not mapped and create is false.
std::uint64_t* chunk_slot(int fd, bool create);
// Inline, because every hooked call reads or writes its fd's state, and most fds are low.
inline std::uint64_t* slot(int fd, bool create) { return static_cast<unsigned>(fd) < static_fds ? published.low_fds + fd : chunk_slot(fd, create); }
}  // namespace fd_storage

// A snapshot of fd's state (all unknown when never recorded or out of range).
inline FdState fd_state(int fd) {
    const std::uint64_t* s = fd_storage::slot(fd, false);
    return s == nullptr ? FdState{} : FdState::unpack(__atomic_load_n(s, __ATOMIC_RELAXED));
}
// Records fd's state; silently does nothing when fd is out of range or memory is unavailable.
// allocate = false: only where storage already exists (no mmap: for facts the shim never needs again).
inline void set_fd_state(int fd, const FdState& state, bool allocate = true) {
    if (std::uint64_t* s = fd_storage::slot(fd, allocate)) __atomic_store_n(s, state.pack(), __ATOMIC_RELAXED);
}
// Replaces fd's state only if it is still `expected` (another thread may have recorded something).
inline bool replace_fd_state(int fd, const FdState& expected, const FdState& desired) {
    std::uint64_t* s = fd_storage::slot(fd, false);
    std::uint64_t old = expected.pack();
    return s != nullptr && __atomic_compare_exchange_n(s, &old, desired.pack(), false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}
// Calls visit(fd, state) for every fd with a record (rare work: a whole scan of the table).
template <typename Visit>
void for_each_recorded_fd(Visit visit) {
    for (int fd = 0; fd < fd_storage::static_fds; ++fd)
        if (const std::uint64_t word = __atomic_load_n(published.low_fds + fd, __ATOMIC_RELAXED); word != 0) visit(fd, FdState::unpack(word));
    for (int c = 0; c < published_chunk_count; ++c) {
        const std::uint64_t* chunk = __atomic_load_n(&published.chunks[c], __ATOMIC_ACQUIRE);
        for (int i = 0; chunk != nullptr && i < (1 << published_chunk_bits); ++i)
            if (const std::uint64_t word = __atomic_load_n(chunk + i, __ATOMIC_RELAXED); word != 0)
                visit((c << published_chunk_bits) + i, FdState::unpack(word));
    }
}
// Forgets fd (close); never allocates.
inline void forget_fd(int fd) {
    if (std::uint64_t* s = fd_storage::slot(fd, false)) __atomic_store_n(s, 0, __ATOMIC_RELAXED);
}

}  // namespace tcpkeep::shim
