// `tcpkeep run` for a program the shim cannot reach (statically linked, setuid/setgid), as root with
// cgroup mode built: the run's policy is attached to a transient cgroup ("tcpkeep-run-<pid>-<random
// hex>", tools/cgroup/transient_cgroup.h) made for the program, the program runs in it as tcpkeep's
// child together with everything it starts, and once it has exited the policy is detached and the cgroup removed,
// whatever way it ended. No preload: the kernel gives every process in the cgroup the policy.
#pragma once
#include <optional>
#include <string>

#include "config/result.h"

namespace tcpkeep::cli {

struct CgroupRun {
    std::string program;                // the file to execute, as find_program() found it
    char* const* argv;                  // its arguments, argv[0] first
    std::optional<std::string> policy;  // as policy_for_run() gave it; nullopt: the policy discovery finds
    bool policy_is_temporary;           // a file written for -s: removed with the cgroup
    std::string unreachable;            // why the shim cannot reach it: "is statically linked: the shim ..."
};

// The exit status to return once the program has run (see pass_on_status()), or, before anything
// was run or left behind, why cgroup mode cannot be used (not built, not root, a policy it cannot
// decide as the shim would, no cgroup v2, the kernel refusing the programs): the caller then runs
// the program as before, without the policy.
Result<int> run_in_transient_cgroup(const CgroupRun& run);

}  // namespace tcpkeep::cli
