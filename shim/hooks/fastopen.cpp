// sendto()/sendmsg() with MSG_FASTOPEN connect without connect(): treat them as connect.
#include "shim/decisions.h"
#include "shim/hooks/export.h"
#include "shim/real_calls.h"

TCPKEEP_HOOK ssize_t sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* addr, socklen_t len) {
    if ((flags & MSG_FASTOPEN) != 0) tcpkeep::shim::configure_outbound(fd, addr, len);
    return tcpkeep::real::sendto(fd, buf, n, flags, addr, len);
}

TCPKEEP_HOOK ssize_t sendmsg(int fd, const msghdr* msg, int flags) {
    if ((flags & MSG_FASTOPEN) != 0 && msg != nullptr)
        tcpkeep::shim::configure_outbound(fd, static_cast<const sockaddr*>(msg->msg_name), msg->msg_namelen);
    return tcpkeep::real::sendmsg(fd, msg, flags);
}
