// tcpkeep verify (--pid PID | NAME) [--policy FILE] [--json]: does a running process hold the
// policy's values on its TCP sockets, and is the shim there for the sockets to come?
// Exit 0 all agree, 1 a mismatch (or the shim missing where the policy sets values), 2 error.
#include "tools/commands/commands.h"
#include "tools/commands/process_selection.h"

namespace tcpkeep::cli {
namespace {

struct VerifyArgs {
    ProcessSelection targets;
    std::optional<std::string> policy;
    bool json = false;
};

}  // namespace

void add_verify_command(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("verify", "Compare the keepalive values on a running process's TCP sockets with the policy");
    cmd->footer(
        "A socket is inbound when it listens or its local port is listened on in its network namespace; otherwise outbound.\n"
        "Exit status: 0 all sockets agree, 1 a mismatch or the shim is missing where the policy sets values, 2 error.");
    auto args = std::make_shared<VerifyArgs>();
    add_process_selection(*cmd, args->targets);
    cmd->add_option("--policy", args->policy, "Policy file (default: the one the process's shim discovers)");
    cmd->add_flag("--json", args->json, "Machine-readable output (schema: tools/README.md)");
    cmd->callback(
        [&status, args] { status = inspect_selected(args->targets, {.mode = InspectMode::verify, .policy_path = args->policy}, args->json); });
}

}  // namespace tcpkeep::cli
