// tcpkeep apply (--pid PID | NAME) [--policy FILE] [-s KEY=VALUE ...] [--dry-run]: set the policy's
// values on the existing TCP sockets of a running process (pidfd_getfd + setsockopt), then show
// the result like verify. Exit 0 all sockets agree, 1 some do not (dry run: changes needed), 2 error.
// tcpkeep apply (--cgroup PATH | --unit NAME) [--policy FILE]: every process of a cgroup at once,
// through the kernel's TCP iterator where it can (tools/cgroup/cgroup_apply.h).
#include <cstdio>

#include "tools/cgroup/cgroup_apply.h"
#include "tools/commands/commands.h"
#include "tools/commands/process_selection.h"

namespace tcpkeep::cli {
namespace {

struct ApplyArgs {
    ProcessSelection targets;
    std::string cgroup;
    std::string unit;
    std::optional<std::string> policy;
    std::vector<std::string> settings;
    bool dry_run = false;
    bool json = false;
};

// The cgroup way; a dry run, overrides or JSON go process by process.
int run_apply_cgroup(const ApplyArgs& args, const InspectRequest& request) {
    if (args.targets.pid || args.targets.name) {
        std::fprintf(stderr, "tcpkeep: give either --cgroup/--unit or --pid/NAME\n");
        return exit_error;
    }
    const Result<Cgroup> cgroup = args.unit.empty() ? cgroup_from_path(args.cgroup) : cgroup_of_unit(args.unit);
    if (!cgroup) {
        std::fprintf(stderr, "tcpkeep: %s\n", cgroup.error().message.c_str());
        return exit_error;
    }
    auto one_process = [&](pid_t pid) { return inspect_selected(ProcessSelection{.pid = pid, .name = std::nullopt}, request, args.json); };
    if (args.dry_run || !args.settings.empty() || args.json) return apply_process_by_process(*cgroup, one_process);
    return apply_to_cgroup(*cgroup, args.policy, one_process);
}

int run_apply(const ApplyArgs& args) {
    const Result<Overrides> overrides = parse_overrides(args.settings);
    if (!overrides) {
        std::fprintf(stderr, "tcpkeep: %s\n", overrides.error().message.c_str());
        return exit_error;
    }
    const InspectRequest request{
        .mode = args.dry_run ? InspectMode::dry_run : InspectMode::apply, .policy_path = args.policy, .overrides = &*overrides};
    if (!args.cgroup.empty() || !args.unit.empty()) return run_apply_cgroup(args, request);
    return inspect_selected(args.targets, request, args.json);
}

}  // namespace

void add_apply_command(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("apply", "Set the policy's values on the existing TCP sockets of a running process");
    cmd->footer(
        "Works without the shim (static binaries, setuid programs, processes that cannot restart). Listening sockets\n"
        "are set too, so connections they accept later inherit the values. Rules with action = \"skip\" are respected.\n"
        "Exit status: 0 all sockets agree afterwards, 1 some do not (--dry-run: changes are needed), 2 error.");
    auto args = std::make_shared<ApplyArgs>();
    add_process_selection(*cmd, args->targets);
    auto* cgroup = cmd->add_option("--cgroup", args->cgroup, "Every process of a cgroup (and below), through the kernel's TCP iterator");
    cmd->add_option("--unit", args->unit, "Every process of a systemd unit's cgroup, likewise")->excludes(cgroup);
    cmd->add_option("--policy", args->policy, "Policy file (default: the one the process's shim discovers)");
    add_settings_option(*cmd, args->settings);
    cmd->add_flag("--dry-run", args->dry_run, "Show what would change; change nothing");
    cmd->add_flag("--json", args->json, "Machine-readable output (the verify schema plus \"changes\")");
    cmd->callback([&status, args] { status = run_apply(*args); });
}

}  // namespace tcpkeep::cli
