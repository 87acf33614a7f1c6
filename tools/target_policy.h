// The policy a running process's shim uses: --policy when given, else the shim's own discovery
// seen from the process: TCPKEEP_POLICY from its start-up environment (relative to its working
// directory; ignored under secure execution), else the system policy, else the embedded default.
#pragma once
#include <optional>
#include <string>
#include <sys/types.h>

#include "tools/policy_loading.h"

namespace tcpkeep::cli {

// Throws TargetError when the process's environment cannot be read.
ChosenPolicy policy_of_process(pid_t pid, const std::optional<std::string>& explicit_path);

}  // namespace tcpkeep::cli
