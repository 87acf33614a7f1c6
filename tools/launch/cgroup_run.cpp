#include "tools/launch/cgroup_run.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <cstdio>

#include "tools/cgroup/attachment.h"
#include "tools/cgroup/prepared_attachment.h"
#include "tools/cgroup/transient_cgroup.h"
#include "tools/launch/child_supervision.h"
#include "tools/launch/program_search.h"

namespace tcpkeep::cli {
namespace {

// How long processes that are exiting as the program ends may take to leave the cgroup.
constexpr int exit_patience_ms = 200;

Result<PreparedAttachment> prepare_for_run(const ChosenPolicy& chosen) {
    if (!chosen.load.ok()) return Error{fmt::format("{}: cannot load the policy", chosen.path_or_name())};
    Result<PreparedAttachment> prepared = prepare_attachment(chosen);
    if (!prepared)
        return Error{fmt::format("{}: cgroup mode cannot decide this policy as the shim would:\n{}", chosen.path_or_name(), prepared.error().message)};
    return prepared;
}

void say(const std::string& message) { std::fprintf(stderr, "tcpkeep: %s\n", message.c_str()); }

// Detaches the policy and removes the cgroup, and the temporary policy once the program is done
// with it, unless processes the program started still run there: they keep the policy, and the
// user is told how to clean up.
void clean_up(const CgroupRun& run, const Cgroup& cgroup, bool program_ran) {
    if (cgroup_still_populated(cgroup, exit_patience_ms)) {
        say(
            fmt::format("processes started by {} still run in cgroup {} and keep its policy; once they have exited: "
                        "tcpkeep detach --cgroup {} && rmdir {}",
                        run.program, cgroup.path, cgroup.path, cgroup.directory()));
        return;
    }
    if (Result<void> detached = detach_policy(cgroup); !detached)
        say(fmt::format("cannot detach from cgroup {}: {}", cgroup.path, detached.error().message));
    else if (Result<void> removed = remove_cgroup(cgroup); !removed)
        say(removed.error().message);
    if (program_ran && run.policy_is_temporary && run.policy) ::unlink(run.policy->c_str());
}

}  // namespace

Result<int> run_in_transient_cgroup(const CgroupRun& run) {
    const Result<PreparedAttachment> prepared = prepare_for_run(choose_policy(run.policy));  // first: the same answer on every machine
    if (!prepared) return prepared.error();
    if (!cgroup_mode_built()) return Error{cgroup_mode_not_built};
    if (::geteuid() != 0) return Error{"cgroup mode needs root", EPERM};
    const PolicySource& source = prepared->source;
    const Result<Cgroup> cgroup = create_transient_cgroup(fmt::format("tcpkeep-run-{}-", ::getpid()));
    if (!cgroup) return cgroup.error();
    const int procs = ::open((cgroup->directory() + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    Result<bool> attached = procs >= 0
                                ? attach_policy(*cgroup, prepared->maps, source)
                                : Result<bool>(Error{fmt::format("cannot open {}/cgroup.procs: {}", cgroup->directory(), std::strerror(errno))});
    if (!attached) {
        if (procs >= 0) ::close(procs);
        (void)remove_cgroup(*cgroup);
        return Error{fmt::format("cannot attach to cgroup {}: {}", cgroup->path, attached.error().message), attached.error().code};
    }
    say(fmt::format("{} {}; cgroup mode gives it the policy {} ({} rule{}) in the transient cgroup {}", run.program, run.unreachable, source.path,
                    source.rules, source.rules == 1 ? "" : "s", cgroup->path));
    const ChildEnd end = run_child_in_cgroup(procs, run.program, run.argv);
    ::close(procs);
    clean_up(run, *cgroup, end.kind != ChildEnd::Kind::not_entered);
    switch (end.kind) {
        case ChildEnd::Kind::ran: return pass_on_status(end.value);
        case ChildEnd::Kind::not_executed: return cannot_run(run.argv[0], end.value);
        case ChildEnd::Kind::not_entered: break;
    }
    return Error{fmt::format("cannot move the program into cgroup {}: {}", cgroup->path, std::strerror(end.value)), end.value};
}

}  // namespace tcpkeep::cli
