// tcpkeep run [--policy FILE] [--log LEVEL] [-s KEY=VALUE ...] [--no-cgroup] -- CMD [ARGS...]: exec CMD
// with the shim preloaded. A CMD the shim cannot reach (statically linked, setuid/setgid, Go) runs instead as a
// child in a transient cgroup carrying the same policy, when tcpkeep can (root, cgroup mode built,
// a policy cgroup mode decides as the shim would); else it is exec'd as any other, with a warning
// and the reason. The exit status is CMD's (a death by signal is passed on as one); 2 for a usage
// or policy error before CMD starts, 126/127 when CMD cannot be executed or found (as env(1) and
// shells do).
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tools/commands/commands.h"
#include "tools/elf/elf_image.h"
#include "tools/elf/elf_linking.h"
#include "tools/launch/cgroup_run.h"
#include "tools/launch/preload_environment.h"
#include "tools/launch/program_search.h"
#include "tools/launch/shim_location.h"
#include "tools/policy/run_policy.h"

namespace tcpkeep::cli {
namespace {

struct RunArgs {
    std::optional<std::string> policy;
    std::optional<std::string> log;
    std::vector<std::string> settings;
    std::vector<std::string> command;
    bool no_cgroup = false;
};

// Why the shim cannot set the executable's sockets, as a clause after its name ("is statically
// linked: ..."), or nullptr when it can.
const char* unreachable_because(const std::string& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return nullptr;  // exec reports it
    const Result<Linking> linking = executable_linking(file);
    if (linking && *linking == Linking::static_executable) return "is statically linked: the shim cannot load into it";
    if ((st.st_mode & (S_ISUID | S_ISGID)) != 0) return "is setuid/setgid: the shim cannot load into it";
    if (is_go_program(file))
        return "is a Go program: the shim loads into it but sees none of its connections (Go's runtime makes its own system calls)";
    return nullptr;
}

// What works instead of the shim, for a program it cannot reach or whose connections it cannot see.
void warn_unreachable(const std::string& file, const char* why, const std::optional<std::string>& no_cgroup) {
    if (why == nullptr) return;
    std::fprintf(stderr, "tcpkeep: %s %s; set its sockets with `tcpkeep apply --pid %d` once it runs\n", file.c_str(), why,
                 static_cast<int>(::getpid()));  // exec keeps our pid
    if (no_cgroup) std::fprintf(stderr, "tcpkeep: not through a transient cgroup: %s\n", no_cgroup->c_str());
}

int run(const RunArgs& args) {
    const Result<Overrides> overrides = parse_overrides(args.settings);
    if (!overrides) {
        std::fprintf(stderr, "tcpkeep: %s\n", overrides.error().message.c_str());
        return exit_error;
    }
    const Result<std::string> shim = locate_shim();
    if (!shim) {
        std::fprintf(stderr, "tcpkeep: %s\n", shim.error().message.c_str());
        return exit_error;
    }
    const Result<std::optional<std::string>> policy = policy_for_run(args.policy, *overrides);
    if (!policy) {
        std::fprintf(stderr, "tcpkeep: %s\n", policy.error().message.c_str());
        return exit_error;
    }
    // One search, as execvp's: the file checked is the file executed.
    const Result<std::string> program = find_program(args.command[0]);
    if (!program) return cannot_run(args.command[0], program.error().code);
    std::vector<char*> argv;
    for (const std::string& a : args.command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    const char* unreachable = unreachable_because(*program);
    std::optional<std::string> no_cgroup;
    if (unreachable != nullptr && !args.no_cgroup) {
        const Result<int> status = run_in_transient_cgroup({*program, argv.data(), *policy, !overrides->written.empty(), unreachable});
        if (status) return *status;
        no_cgroup = status.error().message;
    }
    const char* preload = std::getenv("LD_PRELOAD");
    const std::string new_preload = prepend_shim(*shim, preload ? std::optional<std::string>(preload) : std::nullopt);
    ::setenv("LD_PRELOAD", new_preload.c_str(), 1);
    if (*policy) ::setenv("TCPKEEP_POLICY", (*policy)->c_str(), 1);
    if (args.log) ::setenv("TCPKEEP_LOG", args.log->c_str(), 1);
    warn_unreachable(*program, unreachable, no_cgroup);
    return cannot_run(args.command[0], exec_program(*program, argv.data()));
}

}  // namespace

void add_run_command(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("run", "Run a command with the shim preloaded");
    cmd->footer(
        "Example: tcpkeep run -s idle=30s -s count=3 -- ./legacy-client db.example 5432\n"
        "-s changes [defaults] for this run only; rules keep the keys they set themselves.\n"
        "A statically linked, setuid/setgid or Go command, which the shim cannot reach, runs as root in a transient\n"
        "cgroup carrying the same policy (cgroup mode), removed when it exits; --no-cgroup turns that off.\n"
        "The exit status is the command's.");
    auto args = std::make_shared<RunArgs>();
    cmd->add_option("--policy", args->policy, "Policy file (default: TCPKEEP_POLICY, the system policy, or the embedded default)");
    cmd->add_option("--log", args->log, "Shim log level (TCPKEEP_LOG), to stderr")->check(CLI::IsMember({"off", "error", "warn", "info", "debug"}));
    add_settings_option(*cmd, args->settings);
    cmd->add_flag("--no-cgroup", args->no_cgroup,
                  "Exec the command in tcpkeep's place (same pid) even when the shim cannot reach it, instead of running it in a transient "
                  "cgroup with the policy");
    cmd->add_option("COMMAND", args->command, "The command and its arguments (after --)")->required();
    cmd->positionals_at_end();  // everything from the command on is the command's
    cmd->callback([&status, args] { status = run(*args); });
}

}  // namespace tcpkeep::cli
