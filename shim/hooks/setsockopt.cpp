// setsockopt(): the program's own choice of a managed option wins, unless the policy enforces it.
#include "shim/decisions.h"
#include "shim/hooks/export.h"
#include "shim/real_calls.h"
#include "shim/socket_options.h"

TCPKEEP_HOOK int setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
    if (tcpkeep::shim::managed_option_bit(level, name) == 0) return tcpkeep::real::setsockopt(fd, level, name, value, len);
    if (tcpkeep::shim::program_setsockopt_is_enforced(fd, level, name)) return 0;
    const int rc = tcpkeep::real::setsockopt(fd, level, name, value, len);
    if (rc == 0) tcpkeep::shim::note_program_setsockopt(fd, level, name);
    return rc;
}
