// What the shim knows about each file descriptor, lock-free. Lives for the whole process: fds
// below 256 in static storage, the others in chunks mapped on first use (any fd up to 2^22).
#pragma once
#include <bit>
#include <cstdint>

namespace tcpkeep::shim {

enum class FdKind : std::uint8_t { unknown = 0, tcp = 1, not_tcp = 2 };
enum class ListenerMode : std::uint8_t { none = 0, configured = 1, per_accept = 2 };

struct FdState {
    FdKind kind = FdKind::unknown;
    bool configured = false;          // the policy was applied (or deliberately not) to this socket
    ListenerMode listener = ListenerMode::none;
    std::uint8_t program_set = 0;     // options the program set itself (Settings bits)
    std::uint8_t enforced = 0;        // options whose program setsockopt is ignored (enforce = true)
    std::uint8_t unused = 0;          // named, so that all 8 bytes are fields: no padding in the word
    std::uint16_t local_port = 0;     // listeners: the port decisions are made for

    // One 8-byte word, stored and loaded atomically; all zero is FdState{}.
    [[nodiscard]] std::uint64_t pack() const { return std::bit_cast<std::uint64_t>(*this); }
    static FdState unpack(std::uint64_t bits) { return std::bit_cast<FdState>(bits); }
};
static_assert(sizeof(FdState) == sizeof(std::uint64_t));

namespace fd_storage {
inline constexpr int static_fds = 256;
extern std::uint64_t low_fds[static_fds];
// The word of an fd from static_fds up; null when out of range, or not mapped and create is false.
std::uint64_t* chunk_slot(int fd, bool create);
// Inline, because every hooked call reads or writes its fd's state, and most fds are low.
inline std::uint64_t* slot(int fd, bool create) {
    return static_cast<unsigned>(fd) < static_fds ? low_fds + fd : chunk_slot(fd, create);
}
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
// Forgets fd (close); never allocates.
inline void forget_fd(int fd) {
    if (std::uint64_t* s = fd_storage::slot(fd, false)) __atomic_store_n(s, 0, __ATOMIC_RELAXED);
}

}  // namespace tcpkeep::shim
