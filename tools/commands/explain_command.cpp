// tcpkeep explain: which rule a socket matches, the values it gets, and when a dead peer is noticed.
#include <fmt/format.h>
#include <cstdio>

#include "system/read_kernel_defaults.h"
#include "system/read_process_identity.h"
#include "tools/commands/commands.h"
#include "tools/policy/policy_loading.h"
#include "tools/inspection/network_namespace.h"
#include "tools/report/explanation.h"
#include "tools/report/printable.h"

namespace tcpkeep::cli {
namespace {

struct ExplainArgs {
    std::optional<std::string> policy;
    std::optional<std::string> process;
    std::optional<int> pid;
    std::string direction = "outbound";
    std::optional<int> port;
    std::optional<std::string> peer;
    bool json = false;
};

// A process named on the command line: a path, or a name that the file, argv[0] and comm all have.
ProcessIdentity identity_for(const std::optional<std::string>& process) {
    if (!process) return {};
    return process_identity(*process, *process, base_name(*process).substr(0, 15));
}

int run_explain(const ExplainArgs& args) {
    std::optional<PeerAddress> peer;
    if (args.peer) {
        peer = PeerAddress::parse(*args.peer);
        if (!peer) {
            std::fprintf(stderr, "tcpkeep: --peer: \"%s\" is not an IPv4 or IPv6 address\n", args.peer->c_str());
            return exit_error;
        }
    }
    const ChosenPolicy chosen = choose_policy(args.policy);
    if (const LoadStatus status = report_load(chosen, false); status != LoadStatus::usable)
        return status == LoadStatus::unreadable ? exit_error : exit_findings;

    KernelDefaults kernel = read_kernel_defaults();
    ProcessIdentity who = identity_for(args.process);
    if (args.pid) {  // a running process: its namespace's sysctls, and its name unless --process says otherwise
        const Result<KernelDefaults> theirs = kernel_defaults_of(*args.pid);
        if (!theirs) {
            std::fprintf(stderr, "tcpkeep: --pid %d: %s\n", *args.pid, theirs.error().message.c_str());
            return exit_error;
        }
        kernel = *theirs;
        if (!args.process) who = read_process_identity(*args.pid);
    }
    const CompiledPolicy compiled = CompiledPolicy::compile(*chosen.load.policy, who, kernel);
    const Direction direction = args.direction == "inbound" ? Direction::inbound : Direction::outbound;
    const auto port = static_cast<std::uint16_t>(args.port.value_or(0));
    const Explanation e = explain(compiled, direction, port, peer ? &*peer : nullptr, kernel);

    if (args.json) {
        nlohmann::json j = to_json(e);
        j["policy"] = chosen.path_or_name();
        j["process"] = args.process ? nlohmann::json(*args.process) : nlohmann::json(nullptr);
        j["pid"] = args.pid ? nlohmann::json(*args.pid) : nlohmann::json(nullptr);
        j["direction"] = args.direction;
        j["port"] = args.port ? nlohmann::json(*args.port) : nlohmann::json(nullptr);
        j["peer"] = peer ? nlohmann::json(peer->to_string()) : nlohmann::json(nullptr);
        std::printf("%s\n", json_text(j).c_str());
        return exit_ok;
    }
    std::printf("policy:   %s\n", chosen.describe().c_str());
    std::printf("socket:   %s%s%s, process %s\n", args.direction.c_str(),
                args.port ? fmt::format(" {} port {}", direction == Direction::inbound ? "on local" : "to", *args.port).c_str() : " (any port)",
                peer ? fmt::format(", peer {}", peer->to_string()).c_str() : "",
                args.process ? args.process->c_str()
                : args.pid   ? fmt::format("{} (pid {})", who.exe_name, *args.pid).c_str()
                             : "(any)");
    std::printf("sysctls:  %s (%s)\n", kernel_text(kernel).c_str(),
                args.pid ? fmt::format("network namespace of pid {}", *args.pid).c_str() : "this network namespace");
    const bool named = args.process || args.pid;
    if (!named || !args.port)
        std::printf("note:     rules that name %s do not match without %s\n",
                    !named && !args.port ? "a process or ports"
                    : !named             ? "a process"
                                         : "ports",
                    !named && !args.port ? "--process and --port"
                    : !named             ? "--process"
                                         : "--port");
    std::printf("%s", to_text(e).c_str());
    return exit_ok;
}

}  // namespace

void add_explain_command(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("explain", "Show the rule and values a socket gets and when a dead peer is detected");
    auto args = std::make_shared<ExplainArgs>();
    cmd->add_option("--policy", args->policy, "Policy file (default: discovery: TCPKEEP_POLICY, system policy, embedded default)");
    cmd->add_option("--process", args->process, "Process name or executable path");
    cmd->add_option("--pid", args->pid,
                    "A running process: the sysctls of its network namespace, and its name for `process` patterns unless --process is given")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--direction", args->direction, "outbound (the program connects) or inbound (it accepts)")
        ->check(CLI::IsMember({"outbound", "inbound"}));
    cmd->add_option("--port", args->port, "Remote port (outbound) or local port (inbound)")->check(CLI::Range(1, 65535));
    cmd->add_option("--peer", args->peer, "Peer address (IPv4 or IPv6)");
    cmd->add_flag("--json", args->json, "Machine-readable output");
    cmd->callback([&status, args] { status = run_explain(*args); });
}

}  // namespace tcpkeep::cli
