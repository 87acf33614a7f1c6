// tcpkeep apply --cgroup PATH | --unit NAME: the policy on the sockets that exist in a cgroup and
// below, once, through the kernel's TCP iterator (no ptrace permission needed; static programs and
// containers' network namespaces included, one pass per namespace), attaching nothing. Where the
// iterator cannot decide as the shim would (a policy cgroup mode refuses) or the kernel cannot run
// it, each process of the cgroup is given the policy through pidfd_getfd instead. The report says
// which way was used.
#pragma once
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

#include "tools/cgroup/cgroup_lookup.h"

namespace tcpkeep::cli {

// fallback(pid): the pidfd_getfd way for one process, returning its exit status.
int apply_to_cgroup(const Cgroup& cgroup, const std::optional<std::string>& policy, const std::function<int(pid_t)>& fallback);
// The pidfd_getfd way for every process of the cgroup and below: the worst status.
int apply_process_by_process(const Cgroup& cgroup, const std::function<int(pid_t)>& one);

}  // namespace tcpkeep::cli
