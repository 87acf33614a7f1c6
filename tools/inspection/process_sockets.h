// A process's TCP sockets: its socket file descriptors (/proc/PID/fd) joined by inode with the
// TCP tables of its network namespace (/proc/PID/net/tcp, tcp6). A TCP socket that is neither
// bound nor connected is in no table and so not listed (nothing is set on it until connect/listen).
#pragma once
#include <sys/types.h>
#include <cstdint>
#include <set>
#include <unordered_map>
#include <vector>

#include "tools/inspection/tcp_table.h"

namespace tcpkeep::cli {

struct TcpSocket {
    int fd = -1;
    TcpEntry entry;

    [[nodiscard]] bool listening() const { return entry.state == tcp_state_listen; }
    [[nodiscard]] bool keepalive_timer() const { return entry.timer == tcp_timer_keepalive; }
};

// The listening endpoints of a network namespace. An accepted connection has its listener's local
// address and port (or, for a listener on the wildcard address, its port): that, not the port
// alone, tells an accepted socket from an outbound one, since anyone may listen on another address
// with the same port.
class Listeners {
public:
    void add(const TcpEndpoint& local);
    // A listener on this very address and port, or on the wildcard address of this port.
    [[nodiscard]] bool accept_on(const TcpEndpoint& local) const;

private:
    std::set<std::pair<std::uint16_t, AddressKey>> exact_;  // (port, address; v4-mapped folded into v4)
    std::set<std::pair<std::uint16_t, Family>> wildcard_;
};

struct ProcessTcp {
    std::vector<TcpSocket> sockets;  // sorted by fd; a socket open on several fds is listed once per fd
    // Listeners anywhere in the process's network namespace: a forked handler holds the accepted
    // socket while its parent holds the listener.
    Listeners namespace_listeners;
};

// The TCP tables of network namespaces, each read once: a host-wide scan reads a namespace's
// tables once instead of once per process (each read walks every socket of the namespace).
class NamespaceTables {
public:
    struct Tables {
        std::unordered_map<ino_t, TcpEntry> entries;
        Listeners listeners;
    };
    // Those of `pid`'s namespace, read through its /proc/PID/net on first use. Throws TargetError.
    const Tables& of(pid_t pid);

private:
    std::unordered_map<ino_t, Tables> by_namespace_;
};

// Throws TargetError. A process without socket fds gets an empty result without the tables read.
// `tables`: a cache shared by several calls, or null to read the tables now.
ProcessTcp tcp_sockets_of(pid_t pid, NamespaceTables* tables = nullptr);

}  // namespace tcpkeep::cli
