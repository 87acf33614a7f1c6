// tcpkeep apply (--pid PID | NAME) [--policy FILE] [-s KEY=VALUE ...] [--dry-run]: set the policy's
// values on the existing TCP sockets of a running process (pidfd_getfd + setsockopt), then show
// the result like verify. Exit 0 all sockets agree, 1 some do not (dry run: changes needed), 2 error.
#include <cstdio>

#include "tools/commands/commands.h"
#include "tools/process/target_selection.h"

namespace tcpkeep::cli {
namespace {

struct ApplyArgs {
    TargetArgs targets;
    std::optional<std::string> policy;
    std::vector<std::string> settings;
    bool dry_run = false;
    bool json = false;
};

int run_apply(const ApplyArgs& args) {
    const Result<Overrides> overrides = parse_overrides(args.settings);
    if (!overrides) {
        std::fprintf(stderr, "tcpkeep: %s\n", overrides.error().message.c_str());
        return exit_error;
    }
    const InspectRequest request{
        .mode = args.dry_run ? InspectMode::dry_run : InspectMode::apply, .policy_path = args.policy, .overrides = &*overrides};
    return inspect_targets(args.targets, request, args.json);
}

}  // namespace

void add_apply_command(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("apply", "Set the policy's values on the existing TCP sockets of a running process");
    cmd->footer(
        "Works without the shim (static binaries, setuid programs, processes that cannot restart). Listening sockets\n"
        "are set too, so connections they accept later inherit the values. Rules with action = \"skip\" are respected.\n"
        "Exit status: 0 all sockets agree afterwards, 1 some do not (--dry-run: changes are needed), 2 error.");
    auto args = std::make_shared<ApplyArgs>();
    add_target_options(*cmd, args->targets);
    cmd->add_option("--policy", args->policy, "Policy file (default: the one the process's shim discovers)");
    add_settings_option(*cmd, args->settings);
    cmd->add_flag("--dry-run", args->dry_run, "Show what would change; change nothing");
    cmd->add_flag("--json", args->json, "Machine-readable output (the verify schema plus \"changes\")");
    cmd->callback([&status, args] { status = run_apply(*args); });
}

}  // namespace tcpkeep::cli
