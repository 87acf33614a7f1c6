#include "shim/socket_options.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "config/option_table.h"
#include "shim/log.h"
#include "shim/real_calls.h"

namespace tcpkeep::shim {

std::uint8_t managed_option_bit(int level, int name) {
    for (const OptionSpec& o : option_table)
        if (o.level == level && o.name == name) return bit(o.option);
    return 0;
}

bool is_tcp_triple(int domain, int type, int protocol) {
    const int base_type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    return (domain == AF_INET || domain == AF_INET6) && base_type == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP);
}

bool probe_tcp(int fd, bool& user_timeout_set) {
    int value = 0;
    socklen_t len = sizeof value;
    if (real::getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &value, &len) != 0) return false;
    user_timeout_set = value != 0;
    return true;
}

bool is_listening(int fd) {
    int value = 0;
    socklen_t len = sizeof value;
    return real::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &len) == 0 && value != 0;
}

std::uint32_t queued_connections(int listener) {
    tcp_info info{};
    socklen_t len = sizeof info;
    return real::getsockopt(listener, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 ? info.tcpi_unacked : 0;
}

namespace {
// Known without asking the kernel: what a new socket has for the two options off by default.
constexpr Settings off_by_default{bit(Option::keepalive) | bit(Option::user_timeout), false, 0, 0, 0, 0};
Settings read_defaults;  // written once, by the thread that moves read_state from 0 to 1
int read_state = 0;      // atomic: 0 unread, 1 being read, 2 read
}  // namespace

const Settings& kernel_defaults() {
    int unread = 0;
    if (__atomic_load_n(&read_state, __ATOMIC_ACQUIRE) == 2) return read_defaults;
    // Being read by another thread: this caller restores what is known without asking.
    if (!__atomic_compare_exchange_n(&read_state, &unread, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return off_by_default;
    read_defaults = off_by_default;
    const int saved_errno = errno;
    if (const int fd = real::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); fd >= 0) {
        for (const OptionSpec& o : option_table) {
            int value = 0;
            socklen_t len = sizeof value;
            if (!off_by_default.has(o.option) && real::getsockopt(fd, o.level, o.name, &value, &len) == 0) {
                o.store(read_defaults, value);
                read_defaults.mask |= bit(o.option);
            }
        }
        real::close(fd);
    }
    errno = saved_errno;
    __atomic_store_n(&read_state, 2, __ATOMIC_RELEASE);
    return read_defaults;
}

// One "reported once" slot per option: a failing setsockopt is reported once for each option.
static_assert(static_cast<unsigned>(Once::setsockopt_failed_last) - static_cast<unsigned>(Once::setsockopt_failed_0) + 1 == option_count,
              "shim/log.h: one Once::setsockopt_failed_* per option");

std::uint8_t apply_settings(int fd, const Settings& s, std::uint8_t leave) {
    std::uint8_t done = 0;
    for (const OptionSpec& o : option_table) {
        if (!s.has(o.option) || (leave & bit(o.option)) != 0) continue;
        const int value = o.value(s);
        if (real::setsockopt(fd, o.level, o.name, &value, sizeof value) == 0) {
            done |= bit(o.option);
        } else {
            // Another thread of the program closed the fd (and maybe reused the number for a file):
            // nothing of ours is wrong, and the program's own call on the fd reports it.
            if (errno == EBADF || errno == ENOTSOCK) return done;
            const auto kind = static_cast<Once>(static_cast<unsigned>(Once::setsockopt_failed_0) + static_cast<unsigned>(o.option));
            log_once(kind, LogLevel::warn, "setting %s=%d on fd %d failed: %s (reported once; the program is not affected)", o.key, value, fd,
                     std::strerror(errno));
        }
    }
    return done;
}

bool is_inet(const sockaddr* addr, socklen_t len) {
    if (addr == nullptr) return false;
    if (len >= static_cast<socklen_t>(sizeof(sockaddr_in)) && addr->sa_family == AF_INET) return true;
    return len >= static_cast<socklen_t>(sizeof(sockaddr_in6)) && addr->sa_family == AF_INET6;
}

std::uint16_t inet_port(const sockaddr* addr, socklen_t len) {
    if (!is_inet(addr, len)) return 0;
    in_port_t port = 0;  // sin_port and sin6_port share one offset
    std::memcpy(&port, reinterpret_cast<const char*>(addr) + offsetof(sockaddr_in, sin_port), sizeof port);
    return ntohs(port);
}

}  // namespace tcpkeep::shim
