#include "tools/cgroup/cgroup_apply.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "tools/cgroup/attachment.h"
#include "tools/cgroup/cgroup_members.h"
#include "tools/cgroup/prepared_attachment.h"
#include "tools/exit_status.h"
#include "tools/policy/policy_loading.h"

namespace tcpkeep::cli {
namespace {

// The counts, or why the iterator could not be used.
Result<ExistingSockets> through_iterator(const Cgroup& cgroup, const ChosenPolicy& chosen) {
    if (!cgroup_mode_built()) return Error{cgroup_mode_not_built};
    const Result<PreparedAttachment> prepared = prepare_attachment(chosen);
    if (!prepared) return Error{fmt::format("it cannot decide this policy as the shim would:\n{}", prepared.error().message)};
    Result<ExistingSockets> done = apply_to_existing_sockets(cgroup, prepared->maps, prepared->source);
    if (done && !done->error.empty()) return Error{done->error};
    return done;
}

}  // namespace

int apply_to_cgroup(const Cgroup& cgroup, const std::optional<std::string>& policy, const std::function<int(pid_t)>& fallback) {
    const ChosenPolicy chosen = choose_policy(policy);
    const LoadStatus status = report_load(chosen, false);
    if (status != LoadStatus::usable) {
        if (status == LoadStatus::invalid) std::fprintf(stderr, "tcpkeep: %s: invalid policy, nothing applied\n", chosen.path_or_name().c_str());
        return exit_error;
    }
    const Result<ExistingSockets> done = through_iterator(cgroup, chosen);
    if (done) {
        std::printf("applied %s to the existing sockets of cgroup %s through the kernel's TCP iterator (no ptrace; %zu network namespace%s): "
                    "%llu set, %llu left as the program's, %llu skipped\n",
                    chosen.path_or_name().c_str(), cgroup.path.c_str(), done->namespaces, done->namespaces == 1 ? "" : "s",
                    static_cast<unsigned long long>(done->set), static_cast<unsigned long long>(done->programs),
                    static_cast<unsigned long long>(done->skipped));
        if (done->set > 0 || done->programs > 0)
            std::printf("note: an option that differs from its network namespace's default is taken as the program's own and kept, unless "
                        "the policy enforces it\n");
        return exit_ok;
    }
    std::fprintf(stderr, "tcpkeep: cgroup %s: the kernel's TCP iterator cannot be used: %s\ntcpkeep: applying through pidfd_getfd, process by process\n",
                 cgroup.path.c_str(), done.error().message.c_str());
    return apply_process_by_process(cgroup, fallback);
}

int apply_process_by_process(const Cgroup& cgroup, const std::function<int(pid_t)>& one) {
    const CgroupMembers members = cgroup_members(cgroup, [](std::uint64_t) { return false; });
    if (members.processes.empty()) {
        std::fprintf(stderr, "tcpkeep: no process in cgroup %s\n", cgroup.path.c_str());
        return exit_error;
    }
    int worst = exit_ok;
    for (const pid_t pid : members.processes) worst = std::max(worst, one(pid));
    return worst;
}

}  // namespace tcpkeep::cli
