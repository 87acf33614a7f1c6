// close(), dup(), dup2(), dup3(): the calls that change which socket an fd number names. close
// forgets the fd before the number can be reused; a duplicate gets the record of the socket it
// names (the same socket: configured, the program's own options, enforced ones), and the fd a
// dup2/dup3 replaced loses its old one.
#include "shim/decisions.h"
#include "shim/hooks/export.h"
#include "shim/real_calls.h"

TCPKEEP_HOOK int close(int fd) {
    tcpkeep::shim::note_close(fd);
    return tcpkeep::real::close(fd);
}

TCPKEEP_HOOK int dup(int fd) {
    const int copy = tcpkeep::real::dup(fd);
    tcpkeep::shim::note_dup(fd, copy);
    return copy;
}

TCPKEEP_HOOK int dup2(int fd, int new_fd) {
    const int rc = tcpkeep::real::dup2(fd, new_fd);
    if (fd != new_fd) tcpkeep::shim::note_dup(fd, rc);  // dup2(fd, fd) changes nothing
    return rc;
}

TCPKEEP_HOOK int dup3(int fd, int new_fd, int flags) {
    const int rc = tcpkeep::real::dup3(fd, new_fd, flags);
    tcpkeep::shim::note_dup(fd, rc);
    return rc;
}
