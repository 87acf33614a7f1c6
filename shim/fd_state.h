// What the shim knows about one file descriptor: one 8-byte word, also read from outside by
// `tcpkeep verify` (shim/published_state.h), so the layout is part of the published state's.
#pragma once
#include <bit>
#include <cstdint>

namespace tcpkeep::shim {

enum class FdKind : std::uint8_t { unknown = 0, tcp = 1, not_tcp = 2 };
enum class ListenerMode : std::uint8_t { none = 0, configured = 1, per_accept = 2 };

// FdState::flags
inline constexpr std::uint8_t fd_inbound = 1;  // an accepted connection (decided by its local port)

struct FdState {
    FdKind kind = FdKind::unknown;
    bool configured = false;  // the policy was applied (or deliberately not) to this socket
    ListenerMode listener = ListenerMode::none;
    std::uint8_t program_set = 0;  // options the program set itself (Settings bits)
    std::uint8_t enforced = 0;     // options whose program setsockopt is ignored (enforce = true)
    std::uint8_t flags = 0;        // FdFlag bits
    std::uint16_t local_port = 0;  // listeners: the port decisions are made for

    // One 8-byte word, stored and loaded atomically; all zero is FdState{}.
    [[nodiscard]] std::uint64_t pack() const { return std::bit_cast<std::uint64_t>(*this); }
    static FdState unpack(std::uint64_t bits) { return std::bit_cast<FdState>(bits); }
};
static_assert(sizeof(FdState) == sizeof(std::uint64_t));

}  // namespace tcpkeep::shim
