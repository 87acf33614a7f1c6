// tcpkeep audit [--cgroup PATH] [--container PID] [--netns FILE] [--user USER] [--worse-than SPAN]
// [--policy FILE] [--json | --prometheus [--output FILE]]: every process with TCP sockets, as verify
// sees it, worst first. Exit statuses as verify's: 0 all agree, 1 a mismatch or a missing shim (or,
// with --worse-than, a connection slower than it), 2 a process could not be inspected, or a usage
// error. --prometheus: 0 once the metrics are written, 2 when they could not be.
#include <pwd.h>

#include <charconv>
#include <chrono>
#include <cstdio>

#include "config/duration.h"
#include "tools/commands/commands.h"
#include "tools/monitor/atomic_file.h"
#include "tools/monitor/audit_metrics.h"
#include "tools/inspection/target_error.h"
#include "tools/report/audit_report.h"
#include "tools/report/printable.h"

namespace tcpkeep::cli {
namespace {

struct AuditArgs {
    AuditScope scope;
    std::optional<int> container;
    std::optional<std::string> user;
    std::optional<std::string> worse_than;
    std::optional<std::string> policy;
    bool json = false;
    bool prometheus = false;
    std::optional<std::string> output;
};

std::optional<uid_t> parse_user(const std::string& user) {
    if (const passwd* pw = ::getpwnam(user.c_str())) return pw->pw_uid;
    uid_t uid = 0;
    const auto [end, ec] = std::from_chars(user.data(), user.data() + user.size(), uid);
    if (ec != std::errc{} || end != user.data() + user.size()) return std::nullopt;
    return uid;
}

// The metrics on stdout or, atomically, in `output` (readable by node_exporter).
int write_metrics(const HostAudit& audit, const std::optional<std::string>& output) {
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::vector<MetricFamily> families = audit_metrics(audit, now);
    for (MetricFamily& f : dead_peer_metrics(read_dead_peer_counters())) families.push_back(std::move(f));
    const std::string text = exposition(families);
    if (!output) {
        std::fputs(text.c_str(), stdout);
        return std::fflush(stdout) == 0 ? exit_ok : exit_error;
    }
    if (const Result<void> written = replace_file(*output, text, 0644); !written) {
        std::fprintf(stderr, "tcpkeep: %s\n", written.error().message.c_str());
        return exit_error;
    }
    return exit_ok;
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
        if (args.prometheus) return write_metrics(audit, args.output);
        if (args.json) {
            std::printf("%s\n", json_text(to_json(audit, source)).c_str());
        } else {
            std::printf("%s", to_text(audit, source).c_str());
        }
        return exit_status(audit);
    } catch (const TargetError& e) {  // the scope itself (--container, --netns) cannot be read
        std::fprintf(stderr, "tcpkeep: %s\n", printable(e.what()).c_str());
        return exit_error;
    }
}

}  // namespace

void add_audit_command(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("audit", "Every process with TCP sockets: coverage, agreement with the policy, worst dead-peer detection");
    cmd->footer(
        "Exit status (as verify's): 0 all agree, 1 a mismatch or a missing shim (with --worse-than, also a connection slower than it), "
        "2 a process could not be inspected or usage error. With --prometheus: 0 once the metrics are written, 2 when they could not be.");
    auto args = std::make_shared<AuditArgs>();
    cmd->add_option("--cgroup", args->scope.cgroup, "Only processes in this cgroup or below it (path as in /proc/PID/cgroup)");
    cmd->add_option("--container", args->container, "Only processes sharing this process's PID namespace")->check(CLI::PositiveNumber);
    cmd->add_option("--netns", args->scope.netns, "Only processes in this network namespace (/run/netns/NAME, /proc/PID/ns/net)");
    cmd->add_option("--user", args->user, "Only processes running as this user (name or uid)");
    cmd->add_option("--worse-than", args->worse_than,
                    "Count connections slower than this to notice a dead idle peer, as findings (default: slower than each "
                    "connection's policy asks, reported only)");
    cmd->add_option("--policy", args->policy, "Policy file (default: each process's own, as verify finds it)");
    auto* json = cmd->add_flag("--json", args->json, "Machine-readable output (schema: tools/README.md)");
    auto* prometheus = cmd->add_flag("--prometheus", args->prometheus, "Metrics in the Prometheus text format, for node_exporter's textfile collector");
    prometheus->excludes(json);
    cmd->add_option("--output", args->output, "With --prometheus: write them to this file, atomically (temporary file and rename), mode 0644")
        ->needs(prometheus);
    cmd->callback([&status, args] { status = run_audit(*args); });
}

}  // namespace tcpkeep::cli
