// One pass over a running process for `verify` and `apply`: its TCP sockets from /proc, the
// policy's values for each (direction rule below), the kernel's values through pidfd_getfd, and
// for apply the setsockopt calls that make them agree.
//
// Direction rule: a socket is inbound when it is a listener, or when its local port is one the
// same process listens on (an accepted connection); every other socket is outbound. Inbound
// sockets are decided by local port, outbound ones by remote port; listeners have no peer.
#pragma once
#include <sys/types.h>
#include <optional>
#include <string>

#include "tools/policy/settings_overrides.h"
#include "tools/inspection/process_sockets.h"
#include "tools/inspection/process_report.h"

namespace tcpkeep::cli {

enum class InspectMode { verify, apply, dry_run };

struct InspectRequest {
    InspectMode mode = InspectMode::verify;
    std::optional<std::string> policy_path;  // --policy; else the process's own discovery
    const Overrides* overrides = nullptr;    // apply -s
    const ProcessTcp* tcp = nullptr;         // the sockets when already read (audit); else read here
};

// Throws TargetError for the process as a whole (gone, not ours to look at, its policy invalid,
// no pidfd_getfd in this kernel). A refused pidfd_getfd is not thrown: the report lists the
// sockets without actual values and says so in `missing`.
ProcessReport inspect_process(pid_t pid, const InspectRequest& request);

}  // namespace tcpkeep::cli
