// The five options on a real socket: recognising them in the program's setsockopt, applying a
// verdict, and telling a plain TCP socket apart from everything else.
#pragma once
#include <sys/socket.h>
#include <cstdint>

#include "config/settings.h"

namespace tcpkeep::shim {

// The Settings bit of a managed option, or 0 for any other (level, name).
std::uint8_t managed_option_bit(int level, int name);

// socket(domain, type, protocol) creates a TCP socket (MPTCP, SCTP, raw and UDP do not count).
bool is_tcp_triple(int domain, int type, int protocol);

// One getsockopt(SOL_TCP, TCP_USER_TIMEOUT): succeeds only on plain TCP sockets (UDP, unix,
// raw, SCTP and MPTCP refuse it). `user_timeout_set` reports a program-set user timeout.
bool probe_tcp(int fd, bool& user_timeout_set);

// SO_ACCEPTCONN: fd is a listening socket.
bool is_listening(int fd);

// Connections waiting in a listener's accept queue (TCP_INFO of a listener: tcpi_unacked), 0 if unknown.
std::uint32_t queued_connections(int listener);

// The values a socket has before anyone sets them: keepalive off, no user timeout, and idle,
// interval and count as a new socket reads them (the network namespace's sysctls). Read once.
const Settings& kernel_defaults();

// Sets each option in s.mask that is not in `leave`: one setsockopt each. Failures are logged once
// per option at warn and never reported to the program; a closed fd (EBADF, ENOTSOCK) ends it silently.
// Returns the options really set (Settings bits).
std::uint8_t apply_settings(int fd, const Settings& s, std::uint8_t leave);

// Port of an AF_INET/AF_INET6 sockaddr (host order), 0 otherwise.
std::uint16_t inet_port(const sockaddr* addr, socklen_t len);
bool is_inet(const sockaddr* addr, socklen_t len);

}  // namespace tcpkeep::shim
