// connect(): outbound sockets get the policy before the SYN, so user_timeout bounds connect too.
#include "shim/decisions.h"
#include "shim/hooks/export.h"
#include "shim/real_calls.h"

TCPKEEP_HOOK int connect(int fd, const sockaddr* addr, socklen_t len) {
    tcpkeep::shim::configure_outbound(fd, addr, len);
    return tcpkeep::real::connect(fd, addr, len);
}
