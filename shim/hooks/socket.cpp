// socket(): remember which fds are TCP, so connect() needs no probe for them.
#include "shim/decisions.h"
#include "shim/hooks/export.h"
#include "shim/real_calls.h"

TCPKEEP_HOOK int socket(int domain, int type, int protocol) {
    const int fd = tcpkeep::real::socket(domain, type, protocol);
    tcpkeep::shim::note_new_socket(fd, domain, type, protocol);
    return fd;
}
