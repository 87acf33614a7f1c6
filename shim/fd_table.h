// What the shim knows about each file descriptor, lock-free. Lives for the whole process: fds
// below 256 in static storage, the others in chunks mapped on first use (any fd up to 2^22).
#pragma once
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
    std::uint16_t local_port = 0;     // listeners: the port decisions are made for

    [[nodiscard]] std::uint64_t pack() const;
    static FdState unpack(std::uint64_t bits);
};

// A snapshot of fd's state (all unknown when never recorded or out of range).
FdState fd_state(int fd);
// Records fd's state; silently does nothing when fd is out of range or memory is unavailable.
// allocate = false: only where storage already exists (no mmap: for facts the shim never needs again).
void set_fd_state(int fd, const FdState& state, bool allocate = true);
// Forgets fd (close); never allocates.
void forget_fd(int fd);

}  // namespace tcpkeep::shim
