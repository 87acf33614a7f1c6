// Finding a cgroup (the one a command acts on, or a process's): from its directory under the v2
// mount or its path in the hierarchy ("/system.slice/x.service", as /proc/PID/cgroup shows it), a
// systemd unit, or a process.
#pragma once
#include <sys/types.h>
#include <string>

#include "config/result.h"

namespace tcpkeep {

struct Cgroup {
    std::string mount;  // the cgroup v2 mount point
    std::string path;   // the cgroup's path inside the hierarchy, "/" for the root
    [[nodiscard]] std::string directory() const { return path == "/" ? mount : mount + path; }
};

// The cgroup v2 mount, or an error saying there is none.
Result<std::string> cgroup_v2_mount();

Result<Cgroup> cgroup_from_path(const std::string& path);
// The path in the hierarchy that `path` names, whether or not such a cgroup exists (any more).
Result<std::string> hierarchy_path(const std::string& path);
// Whether one of two paths in the hierarchy is the other or an ancestor of it, so programs attached
// to both run for the same sockets.
bool cgroup_paths_nested(const std::string& a, const std::string& b);
Result<Cgroup> cgroup_of_unit(const std::string& unit);  // asks systemctl
Result<Cgroup> cgroup_of_process(pid_t pid);             // /proc/PID/cgroup, its "0::" line

}  // namespace tcpkeep
