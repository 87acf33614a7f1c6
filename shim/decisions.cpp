#include "shim/decisions.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <cerrno>

#include "shim/decision_log.h"
#include "shim/engine_loader.h"
#include "shim/fd_table.h"
#include "shim/listener_reload.h"
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

// The options a verdict decides (set, or left as the program set them): the others stay as they are.
std::uint8_t governed(const Verdict& v) { return v.kind == Verdict::Kind::apply ? v.settings.mask : 0; }

// The socket's local port (0 when unbound or unknown), its address in `local`.
std::uint16_t local_address(int fd, sockaddr_storage& local) {
    socklen_t len = sizeof local;
    if (real::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return 0;
    return inet_port(reinterpret_cast<const sockaddr*>(&local), len);
}

// Decides a listener with e's policy: options set, and per_accept when rules name peers (decided for
// each accepted connection then). Returns the options the decision governs, the program's own
// included (none for skip, untouched and per_accept).
std::uint8_t decide_listener(int fd, FdState& st, const sockaddr_storage& local, const Engine& e, const char* what) {
    const std::uint16_t port = st.local_port;
    st.enforced = 0;
    st.configured = true;
    if (e.api->depends_on_peer(e.policy, true, port)) {
        st.listener = ListenerMode::per_accept;
        log_line(LogLevel::debug, "fd %d %s port %u: rules with peers, deciding per accepted connection", fd, what, port);
        return 0;
    }
    const Verdict* v = e.api->decide(e.policy, true, port, nullptr, 0);
    const std::uint8_t set = apply_verdict(fd, st, *v, st.program_set);
    st.listener = ListenerMode::configured;
    log_decision(fd, what, reinterpret_cast<const sockaddr*>(&local), "port", port, *v, st.program_set, set);
    return governed(*v);
}

void configure_listener(int fd, FdState& st, const sockaddr_storage& local, std::uint16_t port) {
    st.local_port = port;
    // A re-decision that scanned the table before this listener was recorded would leave it with
    // an older policy: decide again then (bounded: re-decisions are once a second at most).
    for (int attempt = 0; attempt < 3; ++attempt) {
        const ListenerEpoch before = listener_epoch();
        const Engine e = engine();
        if (!e) return;
        decide_listener(fd, st, local, e, "listening");
        set_fd_state(fd, st);
        if (note_listener_decided(before, e.policy)) return;
    }
}

// The options the shim set on a listener of `port` when it decided it with `policy`: those a
// socket it accepted inherited from the shim (none under rules with peers: the listener is left).
std::uint8_t shim_set_on_listener(const Engine& e, const void* policy, std::uint16_t port, std::uint8_t program_set) {
    if (policy == nullptr || e.api->depends_on_peer(policy, true, port)) return 0;
    const Verdict* v = e.api->decide(policy, true, port, nullptr, 0);
    return governed(*v) & ~(v->enforce ? 0 : program_set);
}

// Puts `options` back to the values a new socket has.
void restore_kernel_defaults(int fd, std::uint8_t options) {
    if (options == 0) return;
    Settings defaults = kernel_defaults();
    defaults.mask &= options;
    log_restored(fd, apply_settings(fd, defaults, 0));
}

// A listener after a reload: decided with the new policy; what the old one set and the new one no
// longer does goes back to the kernel's defaults, so that a `skip` rule leaves the next connections
// as the program makes them (otherwise they would keep inheriting the old policy's values); the
// connections queued meanwhile, made with the old values, are counted to be set as accepted.
void redecide_listener(int fd, const FdState& st, const void* previous, const Engine& e) {
    sockaddr_storage local{};
    if (local_address(fd, local) != st.local_port || !is_listening(fd)) return;  // closed behind the shim's back
    FdState next = st;
    const std::uint8_t now = decide_listener(fd, next, local, e, "listening (policy reloaded)");
    const std::uint8_t restore = shim_set_on_listener(e, previous, st.local_port, st.program_set) & ~now & ~st.program_set;
    restore_kernel_defaults(fd, restore);
    // Only the decision's fields: the program may have set an option of its own meanwhile.
    for (FdState seen = st; seen.listener != ListenerMode::none; seen = fd_state(fd)) {
        FdState merged = seen;
        merged.listener = next.listener;
        merged.enforced = next.enforced;
        merged.configured = true;
        if (replace_fd_state(fd, seen, merged)) break;
    }
    expect_outdated_connections(fd, queued_connections(fd), restore);
}

// Every listener the shim knows, decided again with e's policy (one thread at a time).
void redecide_listeners(const Engine& e) {
    const void* previous = nullptr;
    if (!begin_redecision(e.policy, previous)) return;
    for_each_recorded_fd([&](int fd, const FdState& st) {
        if (st.listener != ListenerMode::none) redecide_listener(fd, st, previous, e);
    });
    end_redecision(e.policy);
}

// Whether an accepted socket may hold values its listener had before a re-decision (it was made
// before the listener was set anew); `restore`: the options to put back to the kernel's defaults.
bool holds_outdated_values(int listener, const AcceptPlan& plan, const Engine& e, const FdState& lst, std::uint8_t& restore) {
    if (accept_overlapped_redecision(plan.epoch, e.policy)) {
        restore = shim_set_on_listener(e, plan.epoch.policy, lst.local_port, lst.program_set);
        return true;
    }
    return take_outdated_connection(listener, restore);
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

void note_close(int fd) {
    forget_fd(fd);
    forget_outdated_connections(fd);
}

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
    if (st.listener == ListenerMode::configured) return {AcceptPlan::inherit, listener_epoch()};
    if (st.listener == ListenerMode::per_accept) return {AcceptPlan::per_peer, listener_epoch()};
    // Connected sockets (configured) cannot accept: the real call fails, nothing to do.
    if (st.kind == FdKind::not_tcp || st.configured || engine_disabled()) return {};
    // A listener the shim never saw listen(): inherited, e.g. from systemd socket activation.
    ErrnoKeeper keep;
    FdState learned = st;
    if (!ensure_tcp(fd, learned) || !is_listening(fd)) return {};
    sockaddr_storage local{};
    const std::uint16_t port = local_address(fd, local);
    if (port == 0) return {};
    const ListenerEpoch epoch = listener_epoch();
    configure_listener(fd, learned, local, port);
    if (learned.listener == ListenerMode::per_accept) return {AcceptPlan::per_peer, epoch};
    return {learned.listener == ListenerMode::configured ? AcceptPlan::inherit_and_apply : AcceptPlan::pass, epoch};
}

void after_accept(int listener, int accepted, const AcceptPlan& plan, const sockaddr* peer, socklen_t peer_len) {
    if (accepted < 0 || plan.kind == AcceptPlan::pass) return;
    ErrnoKeeper keep;
    // At most once a second this looks at the policy file (one stat); otherwise it reads the clock
    // (vDSO, no system call). A changed policy is used for the listeners from this accept on.
    const Engine e = engine();
    if (e && listeners_outdated(e.policy)) redecide_listeners(e);
    const FdState lst = fd_state(listener);
    std::uint8_t restore = 0;
    const bool outdated = e && holds_outdated_values(listener, plan, e, lst, restore);
    FdState st;
    st.kind = FdKind::tcp;
    st.configured = true;
    st.flags = fd_inbound;
    if (plan.kind == AcceptPlan::inherit && !outdated) {
        // Inherited from the listener: its values, including those the program set on it.
        st.enforced = lst.enforced;
        st.program_set = lst.program_set;
        set_fd_state(accepted, st);
        return;
    }
    if (!e) return;
    // Per peer, or set anew: decided here. The listener may have changed mode in a re-decision.
    sockaddr_storage ss{};
    const bool by_peer = lst.listener == ListenerMode::per_accept;
    if (by_peer && peer == nullptr) {
        socklen_t len = sizeof ss;
        if (real::getpeername(accepted, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
            peer = reinterpret_cast<const sockaddr*>(&ss);
            peer_len = len;
        }
    }
    const sockaddr* decide_peer = by_peer ? peer : nullptr;
    const Verdict* v = e.api->decide(e.policy, true, lst.local_port, decide_peer, decide_peer ? peer_len : 0);
    // The accepted socket inherited the listener's options, the program's own among them.
    const std::uint8_t set = apply_verdict(accepted, st, *v, lst.program_set);
    restore_kernel_defaults(accepted, restore & ~governed(*v) & ~lst.program_set);
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
