// close(): forget the fd before the number can be reused.
#include "shim/decisions.h"
#include "shim/hooks/export.h"
#include "shim/real_calls.h"

TCPKEEP_HOOK int close(int fd) {
    tcpkeep::shim::note_close(fd);
    return tcpkeep::real::close(fd);
}
