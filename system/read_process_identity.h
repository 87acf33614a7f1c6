// Reading who a process is from /proc/PID, for matching `process = [...]` patterns.
#pragma once
#include <sys/types.h>

#include "config/process_identity.h"

namespace tcpkeep {

// pid 0: this process. Unreadable parts stay empty.
ProcessIdentity read_process_identity(pid_t pid = 0);

}  // namespace tcpkeep
