// accept()/accept4(): nothing to do on a configured listener while the policy is unchanged (the
// accepted socket inherited its options); otherwise configure a listener the shim never saw, decide
// per connection when rules name peers, or follow an edited policy (decisions.h: after_accept).
#include "shim/decisions.h"
#include "shim/hooks/export.h"
#include "shim/real_calls.h"

namespace {

template <typename RealAccept>
int accept_with_policy(int fd, sockaddr* addr, socklen_t* len, RealAccept real_accept) {
    using tcpkeep::shim::AcceptPlan;
    const AcceptPlan plan = tcpkeep::shim::prepare_accept(fd);
    if (plan.kind == AcceptPlan::per_peer && addr == nullptr) {
        // The caller does not want the address but the decision does: take it into our buffer.
        sockaddr_storage ss{};
        socklen_t ss_len = sizeof ss;
        const int accepted = real_accept(fd, reinterpret_cast<sockaddr*>(&ss), &ss_len);
        tcpkeep::shim::after_accept(fd, accepted, plan, reinterpret_cast<const sockaddr*>(&ss), ss_len);
        return accepted;
    }
    const int accepted = real_accept(fd, addr, len);
    if (plan.kind != AcceptPlan::pass) tcpkeep::shim::after_accept(fd, accepted, plan, nullptr, 0);
    return accepted;
}

}  // namespace

TCPKEEP_HOOK int accept(int fd, sockaddr* addr, socklen_t* len) {
    return accept_with_policy(fd, addr, len, [](int f, sockaddr* a, socklen_t* l) { return tcpkeep::real::accept(f, a, l); });
}

TCPKEEP_HOOK int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
    return accept_with_policy(fd, addr, len, [flags](int f, sockaddr* a, socklen_t* l) { return tcpkeep::real::accept4(f, a, l, flags); });
}
