// listen(): configure the listener once; every accepted socket inherits the five options.
#include "shim/decisions.h"
#include "shim/hooks/export.h"
#include "shim/real_calls.h"

TCPKEEP_HOOK int listen(int fd, int backlog) {
    const bool port_known_after = tcpkeep::shim::configure_listener_before_listen(fd);
    const int rc = tcpkeep::real::listen(fd, backlog);
    if (rc == 0 && port_known_after) tcpkeep::shim::configure_listener_after_listen(fd);
    return rc;
}
