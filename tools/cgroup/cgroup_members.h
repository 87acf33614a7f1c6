// What an attachment reaches in a cgroup that already runs: the cgroups below it whose sockets it
// decides (all but those under an attachment of their own, where the nearest one decides), the
// processes in them, the network namespaces they use and, for `process` rules, which process
// holds which socket. Everything here is read from /proc and the cgroup tree, which the processes
// in the cgroup can change; it only chooses which sockets the kernel looks at.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tools/cgroup/cgroup_lookup.h"

namespace tcpkeep {

struct CgroupMembers {
    std::vector<std::uint64_t> cgroups;  // ids (directory inode numbers)
    std::vector<pid_t> processes;        // ascending
};

// The cgroup and its descendants, less the subtrees whose cgroup has_own_attachment(id) says
// carry their own policy, and their processes.
CgroupMembers cgroup_members(const Cgroup& cgroup, const std::function<bool(std::uint64_t)>& has_own_attachment);

// One process per network namespace the processes use: namespace inode -> pid.
std::map<std::uint64_t, pid_t> namespaces_of(const std::vector<pid_t>& processes);

// The names cgroup mode matches `process` rules against (bpf/process.bpf.h): the executable's file
// name and the command name. Empty when the process is gone.
struct ProcessNames {
    std::string exe;
    std::string comm;
};
ProcessNames process_names_of(pid_t pid);

// Socket inode -> the first (lowest) of the processes holding a descriptor of it.
std::map<std::uint64_t, pid_t> socket_holders(const std::vector<pid_t>& processes);

}  // namespace tcpkeep
