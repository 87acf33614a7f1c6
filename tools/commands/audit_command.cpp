// tcpkeep audit [--cgroup PATH] [--container PID] [--netns FILE] [--user USER] [--worse-than SPAN]
// [--policy FILE] [--json]: every process with TCP sockets, as verify sees it, worst first. Exit
// statuses as verify's: 0 all agree, 1 a mismatch or a missing shim (or, with --worse-than, a
// connection slower than it), 2 a process could not be inspected, or a usage error.
#include <pwd.h>

#include <charconv>
#include <cstdio>

#include "config/duration.h"
#include "tools/commands/commands.h"
#include "tools/process/target_error.h"
#include "tools/report/audit_report.h"

namespace tcpkeep::cli {
namespace {

struct AuditArgs {
    AuditScope scope;
    std::optional<int> container;
    std::optional<std::string> user;
    std::optional<std::string> worse_than;
    std::optional<std::string> policy;
    bool json = false;
};

std::optional<uid_t> parse_user(const std::string& user) {
    if (const passwd* pw = ::getpwnam(user.c_str())) return pw->pw_uid;
    uid_t uid = 0;
    const auto [end, ec] = std::from_chars(user.data(), user.data() + user.size(), uid);
    if (ec != std::errc{} || end != user.data() + user.size()) return std::nullopt;
    return uid;
}

int run_audit(AuditArgs& args) {
    if (args.user) {
        args.scope.user = parse_user(*args.user);
        if (!args.scope.user) {
            std::fprintf(stderr, "tcpkeep: --user: no user \"%s\"\n", args.user->c_str());
            return exit_error;
        }
    }
    if (args.container) args.scope.container = *args.container;
    // Without --worse-than, each connection is held to the detection time its own policy asks.
    std::optional<std::int64_t> threshold_ms;
    if (args.worse_than) {
        const Result<std::int64_t> span = parse_duration(*args.worse_than);
        if (!span) {
            std::fprintf(stderr, "tcpkeep: --worse-than: %s\n", span.error().message.c_str());
            return exit_error;
        }
        threshold_ms = *span;
    }
    const std::string source = threshold_ms ? "--worse-than" : "each connection's policy";
    try {
        const HostAudit audit = audit_host(args.scope, {.mode = InspectMode::verify, .policy_path = args.policy}, threshold_ms);
        if (args.json) {
            std::printf("%s\n", to_json(audit, source).dump(2).c_str());
        } else {
            std::printf("%s", to_text(audit, source).c_str());
        }
        return exit_status(audit);
    } catch (const TargetError& e) {  // the scope itself (--container, --netns) cannot be read
        std::fprintf(stderr, "tcpkeep: %s\n", e.what());
        return exit_error;
    }
}

}  // namespace

void add_audit_command(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("audit", "Every process with TCP sockets: coverage, agreement with the policy, worst dead-peer detection");
    cmd->footer(
        "Exit status (as verify's): 0 all agree, 1 a mismatch or a missing shim (with --worse-than, also a connection slower than it), "
        "2 a process could not be inspected or usage error.");
    auto args = std::make_shared<AuditArgs>();
    cmd->add_option("--cgroup", args->scope.cgroup, "Only processes in this cgroup or below it (path as in /proc/PID/cgroup)");
    cmd->add_option("--container", args->container, "Only processes sharing this process's PID namespace")->check(CLI::PositiveNumber);
    cmd->add_option("--netns", args->scope.netns, "Only processes in this network namespace (/run/netns/NAME, /proc/PID/ns/net)");
    cmd->add_option("--user", args->user, "Only processes running as this user (name or uid)");
    cmd->add_option("--worse-than", args->worse_than,
                    "Count connections slower than this to notice a dead idle peer, as findings (default: slower than each "
                    "connection's policy asks, reported only)");
    cmd->add_option("--policy", args->policy, "Policy file (default: each process's own, as verify finds it)");
    cmd->add_flag("--json", args->json, "Machine-readable output (schema: tools/README.md)");
    cmd->callback([&status, args] { status = run_audit(*args); });
}

}  // namespace tcpkeep::cli
