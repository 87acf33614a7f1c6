// A process's TCP sockets: its socket file descriptors (/proc/PID/fd) joined by inode with the
// TCP tables of its network namespace (/proc/PID/net/tcp, tcp6). A TCP socket that is neither
// bound nor connected is in no table and so not listed (nothing is set on it until connect/listen).
#pragma once
#include <sys/types.h>
#include <cstdint>
#include <set>
#include <vector>

#include "tools/process/tcp_table.h"

namespace tcpkeep::cli {

struct TcpSocket {
    int fd = -1;
    TcpEntry entry;

    [[nodiscard]] bool listening() const { return entry.state == tcp_state_listen; }
    [[nodiscard]] bool keepalive_timer() const { return entry.timer == tcp_timer_keepalive; }
};

struct ProcessTcp {
    std::vector<TcpSocket> sockets;  // sorted by fd; a socket open on several fds is listed once per fd
    // Ports listened on anywhere in the process's network namespace: a forked handler holds the
    // accepted socket while its parent holds the listener.
    std::set<std::uint16_t> namespace_listen_ports;
};

// Throws TargetError.
ProcessTcp tcp_sockets_of(pid_t pid);

}  // namespace tcpkeep::cli
