// tcpkeep attach [--policy FILE] [--new-only] TARGET, tcpkeep detach TARGET, tcpkeep attached: cgroup mode, the
// policy applied by the kernel to every TCP socket of the processes in a cgroup
// (tools/cgroup/attachment.h). TARGET: --cgroup PATH | --unit NAME | --pid PID. Exit 0 done, 2 any
// error (nothing is left half-attached).
#include <fmt/format.h>
#include <cstdio>
#include <ctime>

#include "bpf/compiler/cgroup_policy.h"
#include "config/digest.h"
#include "tools/cgroup/attachment.h"
#include "tools/cgroup/cgroup_lookup.h"
#include "tools/cgroup/prepared_attachment.h"
#include "tools/commands/commands.h"
#include "tools/policy/policy_loading.h"

namespace tcpkeep::cli {
namespace {

struct CgroupSelection {
    std::string cgroup;
    std::string unit;
    pid_t pid = 0;
};

void add_cgroup_selection(CLI::App* cmd, CgroupSelection& t) {
    auto* path = cmd->add_option("--cgroup", t.cgroup, "The cgroup: a path in the cgroup v2 hierarchy, or its directory");
    auto* unit = cmd->add_option("--unit", t.unit, "The cgroup of a systemd unit");
    auto* pid = cmd->add_option("--pid", t.pid, "The cgroup of a process (a container's, say)");
    path->excludes(unit, pid);
    unit->excludes(pid);
}

Result<Cgroup> resolve(const CgroupSelection& t) {
    if (t.cgroup.empty() && t.unit.empty() && t.pid == 0) return Error{"which cgroup? give --cgroup PATH, --unit NAME or --pid PID", 0};
    if (!t.unit.empty()) return cgroup_of_unit(t.unit);
    if (t.pid != 0) return cgroup_of_process(t.pid);
    return cgroup_from_path(t.cgroup);
}

int fail(const std::string& message) {
    std::fprintf(stderr, "tcpkeep: %s\n", message.c_str());
    return exit_error;
}

// "existing sockets: 3 set, 1 left as the program's, 0 skipped (2 network namespaces)".
void report_existing(const ExistingSockets& e) {
    if (!e.error.empty()) {
        std::fprintf(stderr, "tcpkeep: the policy is attached, but the sockets that existed before keep their values: %s; `tcpkeep apply` can reach them\n",
                     e.error.c_str());
        return;
    }
    if (e.namespaces == 0) {
        std::printf("existing sockets: none (no process in the cgroup)\n");
        return;
    }
    std::printf("existing sockets: %llu set, %llu left as the program's, %llu skipped", static_cast<unsigned long long>(e.set),
                static_cast<unsigned long long>(e.programs), static_cast<unsigned long long>(e.skipped));
    if (e.compared) std::printf(", %llu unchanged (the replaced policy decided the same)", static_cast<unsigned long long>(e.unchanged));
    std::printf(" (%zu network namespace%s)\n", e.namespaces, e.namespaces == 1 ? "" : "s");
    if (e.programs > 0 || e.set > 0)
        std::printf(
            "note: on a socket older than the attachment, an option that differs from its network namespace's default%s is taken as "
            "the program's own and kept, unless the policy enforces it\n",
            e.compared ? " and from the replaced policy's value" : "");
}

int run_attach(const std::optional<std::string>& file, const CgroupSelection& t, bool new_only) {
    if (!cgroup_mode_built()) return fail(cgroup_mode_not_built);
    const Result<Cgroup> cgroup = resolve(t);
    if (!cgroup) return fail(cgroup.error().message);
    const ChosenPolicy chosen = choose_policy(file);
    const LoadStatus status = report_load(chosen, false);
    if (status != LoadStatus::usable) {
        if (status == LoadStatus::invalid) std::fprintf(stderr, "tcpkeep: %s: invalid policy, nothing attached\n", chosen.path_or_name().c_str());
        return exit_error;
    }
    const Result<PreparedAttachment> prepared = prepare_attachment(chosen);
    if (!prepared)
        return fail(fmt::format("{}: cgroup mode cannot decide this policy as the shim would, nothing attached:\n{}", chosen.path_or_name(),
                                prepared.error().message));
    const PolicySource& source = prepared->source;
    ExistingSockets existing;
    const Result<bool> replaced = attach_policy(*cgroup, prepared->maps, source, new_only ? nullptr : &existing);
    if (!replaced) return fail(fmt::format("cannot attach to cgroup {}: {}", cgroup->path, replaced.error().message));
    std::printf("%s %s (%u rule%s) %s cgroup %s\n", *replaced ? "replaced the policy with" : "attached", source.path.c_str(), source.rules,
                source.rules == 1 ? "" : "s", *replaced ? "on" : "to", cgroup->path.c_str());
    if (!new_only) report_existing(existing);
    for (const std::string& note : cgroup_process_notes(*chosen.load.policy)) std::printf("note: %s\n", note.c_str());
    return exit_ok;
}

// A container or pod whose cgroup went before its attachment was detached: its pins stay until
// detached by the path `tcpkeep attached` shows.
int detach_removed(const std::string& given, const std::string& why_not_found) {
    const Result<std::string> path = hierarchy_path(given);
    if (!path) return fail(path.error().message);
    if (Result<void> done = detach_removed_cgroup(*path); !done)
        return fail(done.error().code == ENOENT ? why_not_found : fmt::format("cannot detach from cgroup {}: {}", *path, done.error().message));
    std::printf("detached from cgroup %s (removed before; its pinned attachment is gone now)\n", path->c_str());
    return exit_ok;
}

int run_detach(const CgroupSelection& t) {
    if (!cgroup_mode_built()) return fail(cgroup_mode_not_built);
    const Result<Cgroup> cgroup = resolve(t);
    if (!cgroup && cgroup.error().code == ENOENT && !t.cgroup.empty()) return detach_removed(t.cgroup, cgroup.error().message);
    if (!cgroup) return fail(cgroup.error().message);
    if (Result<void> done = detach_policy(*cgroup); !done)
        return fail(fmt::format("cannot detach from cgroup {}: {}", cgroup->path, done.error().message));
    std::printf("detached from cgroup %s\n", cgroup->path.c_str());
    return exit_ok;
}

int run_attached() {
    const Result<std::vector<Attachment>> all = list_attachments();
    if (!all) return fail(all.error().message);
    if (all->empty()) {
        std::printf("no tcpkeep policy is attached to any cgroup\n");
        return exit_ok;
    }
    for (const Attachment& a : *all) {
        char when[32] = "?";
        const std::time_t t = static_cast<std::time_t>(a.attached_at);
        std::tm tm{};
        if (a.attached_at != 0 && ::gmtime_r(&t, &tm) != nullptr) std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        std::printf("%s\tpolicy %s (%u rule%s, digest %s)\tattached %s\tpinned %s%s\n", a.cgroup.empty() ? "?" : a.cgroup.c_str(),
                    a.policy.empty() ? "?" : a.policy.c_str(), a.rules, a.rules == 1 ? "" : "s", a.digest ? digest_hex(*a.digest).c_str() : "-", when,
                    a.pin_directory.c_str(), a.cgroup_removed ? "\tcgroup removed: `tcpkeep detach --cgroup` it" : "");
    }
    return exit_ok;
}

}  // namespace

void add_cgroup_commands(CLI::App& app, int& status) {
    auto* attach = app.add_subcommand("attach", "Apply a policy to every TCP socket of the processes in a cgroup, in the kernel (root)");
    auto file = std::make_shared<std::optional<std::string>>();
    auto selection = std::make_shared<CgroupSelection>();
    auto new_only = std::make_shared<bool>(false);
    attach->add_option("--policy", *file, "Policy file (default: the one discovery would load)");
    attach->add_flag("--new-only", *new_only, "Leave the sockets that already exist as they are: only new ones get the policy");
    add_cgroup_selection(attach, *selection);
    attach->callback([&status, file, selection, new_only] { status = run_attach(*file, *selection, *new_only); });

    auto* detach = app.add_subcommand("detach", "Remove the policy attached to a cgroup (root)");
    auto detach_selection = std::make_shared<CgroupSelection>();
    add_cgroup_selection(detach, *detach_selection);
    detach->callback([&status, detach_selection] { status = run_detach(*detach_selection); });

    auto* attached = app.add_subcommand("attached", "List the cgroups that carry a tcpkeep policy (root)");
    attached->callback([&status] { status = run_attached(); });
}

}  // namespace tcpkeep::cli
