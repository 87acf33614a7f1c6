// The next definition of each hooked call (libc's), resolved on first use so a hook that runs
// before the shim's constructor (from another library's constructor) still works. Found by
// next_definition (or, when that cannot tell, dlsym); never null: if both fail, a raw syscall
// stands in. Plus getsockopt/getsockname/getpeername, which the shim uses itself.
#pragma once
#include "shim/hooked_calls.h"

namespace tcpkeep::real {

#define TCPKEEP_DECLARE_REAL(ret, name, params, args) ret name params;
TCPKEEP_HOOKED_CALLS(TCPKEEP_DECLARE_REAL)
#undef TCPKEEP_DECLARE_REAL

// Not hooked: direct syscalls, so the shim's own queries never re-enter another preload.
int getsockopt(int fd, int level, int name, void* value, socklen_t* len);
int getsockname(int fd, sockaddr* addr, socklen_t* len);
int getpeername(int fd, sockaddr* addr, socklen_t* len);

}  // namespace tcpkeep::real
