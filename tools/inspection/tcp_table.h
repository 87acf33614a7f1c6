// The kernel's TCP socket tables as a process sees them (/proc/PID/net/tcp and tcp6: the sockets
// of its network namespace), indexed by socket inode.
#pragma once
#include <sys/types.h>
#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "config/net_address.h"

namespace tcpkeep::cli {

struct TcpEndpoint {
    Family family = Family::v4;              // the socket's family (an IPv6 socket stays v6 when v4-mapped)
    std::array<std::uint8_t, 16> address{};  // network byte order; v4 uses the first 4 bytes
    std::uint16_t port = 0;

    // "127.0.0.1:5432" or "[::1]:5432".
    [[nodiscard]] std::string to_string() const;
    // For policy matching: v4-mapped IPv6 folded into IPv4, like the shim sees a peer.
    [[nodiscard]] PeerAddress peer() const;
};

struct TcpEntry {
    TcpEndpoint local;
    TcpEndpoint remote;
    int state = 0;  // TCP_ESTABLISHED (1) .. TCP_NEW_SYN_RECV (12)
    int timer = 0;  // the "tr" column: 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero window probe
    ino_t inode = 0;
};

// "ESTABLISHED", "LISTEN", ... as ss(8) and the kernel name them.
const char* tcp_state_name(int state);
inline constexpr int tcp_state_listen = 10;
inline constexpr int tcp_timer_keepalive = 2;

// Parses the text of /proc/net/tcp (v4) or /proc/net/tcp6 (v6). Entries with inode 0 (TIME_WAIT,
// request sockets) belong to no file descriptor and are left out.
std::unordered_map<ino_t, TcpEntry> parse_tcp_table(const std::string& text, Family family);

}  // namespace tcpkeep::cli
