#include "shim/decisions.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cerrno>
#include <cstdio>

#include "config/option_table.h"
#include "shim/engine_loader.h"
#include "shim/fd_table.h"
#include "shim/log.h"
#include "shim/real_calls.h"
#include "shim/socket_options.h"

namespace tcpkeep::shim {
namespace {

// The program's errno is the same after the shim's work as before it.
struct ErrnoKeeper {
    int saved = errno;
    ~ErrnoKeeper() { errno = saved; }
};

// Learns whether fd is a plain TCP socket; fds the shim did not create are probed once.
bool ensure_tcp(int fd, FdState& st) {
    if (st.kind != FdKind::unknown) return st.kind == FdKind::tcp;
    bool user_timeout_set = false;
    if (!probe_tcp(fd, user_timeout_set)) {
        st.kind = FdKind::not_tcp;
        set_fd_state(fd, st);  // remembered: the next connect or sendto on it probes nothing
        return false;
    }
    st.kind = FdKind::tcp;
    if (user_timeout_set) st.program_set |= bit(Option::user_timeout);
    return true;
}

// Applies the verdict, leaving the options in `leave` (the program's own) unless it enforces them.
// Returns the options really set.
std::uint8_t apply_verdict(int fd, FdState& st, const Verdict& v, std::uint8_t leave) {
    std::uint8_t set = 0;
    if (v.kind == Verdict::Kind::apply) {
        set = apply_settings(fd, v.settings, v.enforce ? 0 : leave);
        if (v.enforce) st.enforced = v.settings.mask;
    }
    st.configured = true;
    return set;
}

void format_host(const sockaddr* addr, char (&host)[INET6_ADDRSTRLEN]) {
    if (addr != nullptr && addr->sa_family == AF_INET)
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, host, sizeof host);
    else if (addr != nullptr && addr->sa_family == AF_INET6)
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, host, sizeof host);
}

// Appends printf output to a fixed buffer, stopping quietly when it is full.
struct LineBuffer {
    char text[240] = "";
    std::size_t used = 0;
    template <typename... Args>
    void add(const char* format, Args... args) {
        if (used >= sizeof text) return;
        const int n = std::snprintf(text + used, sizeof text - used, format, args...);
        if (n > 0) used += static_cast<std::size_t>(n);
    }
};

// One debug line per decision, stating what was done: the options set (the setsockopt calls made),
// those left as the program set them, and those whose setsockopt failed.
// `what` precedes the address and `port_label` the port: "outbound 10.0.0.5 port 5432",
// "listening 127.0.0.1 port 80", "inbound from 10.0.0.9 to port 80".
void log_decision(int fd, const char* what, const sockaddr* addr, const char* port_label, std::uint16_t port, const Verdict& v, std::uint8_t leave,
                  std::uint8_t set) {
    if (!log_enabled(LogLevel::debug)) return;
    char host[INET6_ADDRSTRLEN] = "*";
    format_host(addr, host);
    if (v.kind != Verdict::Kind::apply) {
        log_line(LogLevel::debug, "fd %d %s %s %s %u: %s", fd, what, host, port_label, port,
                 v.kind == Verdict::Kind::skip ? "skip rule, left unchanged" : "no rule and no [defaults], left unchanged");
        return;
    }
    const Settings& s = v.settings;
    const std::uint8_t program_own = v.enforce ? 0 : s.mask & leave;
    const std::uint8_t failed = s.mask & ~program_own & ~set;
    LineBuffer line;
    line.add(set != 0 ? "set" : "set nothing");
    for (const OptionSpec& o : option_table)
        if ((set & bit(o.option)) != 0) line.add(" %s=%d%s", o.key, o.value(s), o.unit);
    auto list = [&](std::uint8_t mask, const char* title) {
        if (mask == 0) return;
        line.add("; %s:", title);
        for (const OptionSpec& o : option_table)
            if ((mask & bit(o.option)) != 0) line.add(" %s", o.key);
    };
    list(program_own, "left as the program set them");
    list(failed, "setsockopt failed");
    log_line(LogLevel::debug, "fd %d %s %s %s %u: rule \"%s\": %s%s", fd, what, host, port_label, port, v.name, line.text,
             v.enforce ? " (enforced)" : "");
}

// The socket's local port (0 when unbound or unknown), its address in `local`.
std::uint16_t local_address(int fd, sockaddr_storage& local) {
    socklen_t len = sizeof local;
    if (real::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return 0;
    return inet_port(reinterpret_cast<const sockaddr*>(&local), len);
}

void configure_listener(int fd, FdState& st, const sockaddr_storage& local, std::uint16_t port) {
    const Engine e = engine();
    if (!e) return;
    st.local_port = port;
    if (e.api->depends_on_peer(e.policy, true, port)) {
        st.listener = ListenerMode::per_accept;
        log_line(LogLevel::debug, "fd %d listening port %u: rules with peers, deciding per accepted connection", fd, port);
    } else {
        const Verdict* v = e.api->decide(e.policy, true, port, nullptr, 0);
        const std::uint8_t set = apply_verdict(fd, st, *v, st.program_set);
        st.listener = ListenerMode::configured;
        log_decision(fd, "listening", reinterpret_cast<const sockaddr*>(&local), "port", port, *v, st.program_set, set);
    }
    set_fd_state(fd, st);
}

}  // namespace

// The fd table keeps errno itself: recording a socket must not touch errno's thread-local slot
// (binding __errno_location is ~600 instructions in a process that never needs it).
void note_new_socket(int fd, int domain, int type, int protocol) {
    if (fd < 0) return;
    FdState st;
    st.kind = is_tcp_triple(domain, type, protocol) ? FdKind::tcp : FdKind::not_tcp;
    // An inet socket that is not TCP (UDP) must be remembered, or each connect() on it would be
    // probed; other families never reach a probe, so they never map the table.
    set_fd_state(fd, st, domain == AF_INET || domain == AF_INET6);
}

void note_close(int fd) { forget_fd(fd); }

void note_dup(int fd, int copy) {
    if (copy < 0) return;
    const FdState st = fd_state(fd);
    if (st.kind == FdKind::unknown) {
        forget_fd(copy);  // nothing known: the copy is probed at its first use, like any unknown fd
    } else {
        set_fd_state(copy, st, st.kind == FdKind::tcp);
    }
}

void configure_outbound(int fd, const sockaddr* remote, socklen_t len) {
    if (!is_inet(remote, len) || engine_disabled()) return;
    ErrnoKeeper keep;
    FdState st = fd_state(fd);
    if (st.kind == FdKind::not_tcp || st.configured || st.listener != ListenerMode::none) return;
    if (!ensure_tcp(fd, st)) return;
    const Engine e = engine();
    if (!e) return;
    const std::uint16_t port = inet_port(remote, len);
    const Verdict* v = e.api->decide(e.policy, false, port, remote, len);
    const std::uint8_t set = apply_verdict(fd, st, *v, st.program_set);
    set_fd_state(fd, st);
    log_decision(fd, "outbound", remote, "port", port, *v, st.program_set, set);
}

bool configure_listener_before_listen(int fd) {
    if (engine_disabled()) return false;
    ErrnoKeeper keep;
    FdState st = fd_state(fd);
    if (st.kind == FdKind::not_tcp || st.listener != ListenerMode::none || !ensure_tcp(fd, st)) return false;
    sockaddr_storage local{};
    const std::uint16_t port = local_address(fd, local);
    if (port == 0) {
        set_fd_state(fd, st);
        return true;  // listen() binds an ephemeral port; configure right after it
    }
    configure_listener(fd, st, local, port);
    return false;
}

void configure_listener_after_listen(int fd) {
    ErrnoKeeper keep;
    FdState st = fd_state(fd);
    if (st.listener != ListenerMode::none) return;
    sockaddr_storage local{};
    if (const std::uint16_t port = local_address(fd, local); port != 0) configure_listener(fd, st, local, port);
}

AcceptPlan prepare_accept(int fd) {
    const FdState st = fd_state(fd);
    if (st.listener == ListenerMode::configured) return AcceptPlan::inherit;
    if (st.listener == ListenerMode::per_accept) return AcceptPlan::per_peer;
    // Connected sockets (configured) cannot accept: the real call fails, nothing to do.
    if (st.kind == FdKind::not_tcp || st.configured || engine_disabled()) return AcceptPlan::pass;
    // A listener the shim never saw listen(): inherited, e.g. from systemd socket activation.
    ErrnoKeeper keep;
    FdState learned = st;
    if (!ensure_tcp(fd, learned) || !is_listening(fd)) return AcceptPlan::pass;
    sockaddr_storage local{};
    const std::uint16_t port = local_address(fd, local);
    if (port == 0) return AcceptPlan::pass;
    configure_listener(fd, learned, local, port);
    if (learned.listener == ListenerMode::per_accept) return AcceptPlan::per_peer;
    return learned.listener == ListenerMode::configured ? AcceptPlan::inherit_and_apply : AcceptPlan::pass;
}

void after_accept(int listener, int accepted, AcceptPlan plan, const sockaddr* peer, socklen_t peer_len) {
    if (accepted < 0 || plan == AcceptPlan::pass) return;
    ErrnoKeeper keep;
    const FdState lst = fd_state(listener);
    FdState st;
    st.kind = FdKind::tcp;
    st.configured = true;
    st.flags = fd_inbound;
    if (plan == AcceptPlan::inherit) {
        // Inherited from the listener: its values, including those the program set on it.
        st.enforced = lst.enforced;
        st.program_set = lst.program_set;
        set_fd_state(accepted, st);
        return;
    }
    const Engine e = engine();
    if (!e) return;
    sockaddr_storage ss{};
    if (plan == AcceptPlan::per_peer && peer == nullptr) {
        socklen_t len = sizeof ss;
        if (real::getpeername(accepted, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
            peer = reinterpret_cast<const sockaddr*>(&ss);
            peer_len = len;
        }
    }
    const sockaddr* decide_peer = plan == AcceptPlan::per_peer ? peer : nullptr;
    const Verdict* v = e.api->decide(e.policy, true, lst.local_port, decide_peer, decide_peer ? peer_len : 0);
    // The accepted socket inherited the listener's options, the program's own among them.
    const std::uint8_t set = apply_verdict(accepted, st, *v, lst.program_set);
    st.program_set = lst.program_set;
    set_fd_state(accepted, st);
    log_decision(accepted, "inbound from", decide_peer, "to port", lst.local_port, *v, lst.program_set, set);
}

bool program_setsockopt_is_enforced(int fd, int level, int name) {
    const std::uint8_t b = managed_option_bit(level, name);
    if (b == 0 || (fd_state(fd).enforced & b) == 0) return false;
    log_line(LogLevel::info, "fd %d: program's setsockopt(level %d, option %d) ignored: the policy enforces it", fd, level, name);
    return true;
}

void note_program_setsockopt(int fd, int level, int name) {
    const std::uint8_t b = managed_option_bit(level, name);
    if (b == 0) return;
    ErrnoKeeper keep;
    FdState st = fd_state(fd);
    st.program_set |= b;
    set_fd_state(fd, st);
}

}  // namespace tcpkeep::shim
