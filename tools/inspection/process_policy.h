// The policy a running process uses, and how the tool knows it:
// - `--policy FILE`: the file named, read in the tool's own view;
// - the shim's published state: the policy the shim in the process really loaded, read through the
//   process's root (its mount namespace) and checked against the size and digest the shim recorded,
//   with the identity the shim matched `process` patterns against;
// - otherwise (no shim, or no TCP decision yet): discovery as the shim does it, from the
//   TCPKEEP_POLICY the shim captured at start or the process's start-up environment, then the
//   system policy, then the embedded default, through the process's root. Said to be a fallback;
// - a cgroup attachment covering a process without the shim: the text the attachment keeps.
#pragma once
#include <sys/types.h>
#include <optional>
#include <string>

#include "config/policy.h"
#include "config/process_identity.h"
#include "tools/cgroup/attachment.h"
#include "tools/inspection/shim_state.h"

namespace tcpkeep::cli {

enum class PolicyOrigin { command_line, shim, discovery, cgroup };

struct ProcessPolicy {
    PolicyOrigin origin = PolicyOrigin::discovery;
    std::string name;           // the file as the process sees it, or "<embedded default>"
    bool process_view = false;  // read through /proc/PID/root (the process's mount namespace)
    std::string note;           // how it was found, when that is not plain (a fallback)
    Policy policy;
    ProcessIdentity identity;  // what `process` patterns match
};

// `shim`: what the process's shim published, or null when no shim is loaded. Throws TargetError
// when the policy cannot be known for sure (the shim's state unreadable, the file edited since the
// shim loaded it, the shim disabled) or is invalid: never a guess.
ProcessPolicy policy_of_process(pid_t pid, const std::optional<std::string>& explicit_path, const Result<ShimState>* shim);

// The policy a cgroup attachment runs: the text it keeps, so neither a later edit of the file nor
// a file out of this mount namespace's reach (attached from a container) changes the verdicts; the
// note says when the file has changed since. Throws TargetError when the text is unreadable or invalid.
ProcessPolicy policy_of_attachment(pid_t pid, const Attachment& attachment);

const char* origin_name(PolicyOrigin origin);

}  // namespace tcpkeep::cli
