// Reading what is per network namespace (the net.* sysctls under /proc/sys) as another process
// sees it: /proc/sys/net shows the namespace of the thread that looks, so a short-lived thread
// enters the target's namespace (setns on /proc/PID/ns/net) and reads there.
#pragma once
#include <sys/types.h>

#include <functional>

#include "config/kernel_defaults.h"
#include "config/result.h"

namespace tcpkeep::cli {

// Runs `read` in the network namespace of `pid`: directly when it is the tool's own, else on a
// thread that joined it (needs CAP_SYS_ADMIN over that namespace and ptrace access to the process).
// The error says why the namespace could not be entered; `read` has then not run. `read` must not
// throw (it may run on another thread).
Result<void> in_network_namespace_of(pid_t pid, const std::function<void()>& read);

// The TCP sysctls of the process's network namespace.
Result<KernelDefaults> kernel_defaults_of(pid_t pid);

}  // namespace tcpkeep::cli
