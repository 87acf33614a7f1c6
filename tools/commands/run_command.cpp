// tcpkeep run [--policy FILE] [--log LEVEL] [-s KEY=VALUE ...] -- CMD [ARGS...]: exec CMD with the
// shim preloaded. The exit status is CMD's; 2 for a usage or policy error before CMD starts,
// 126/127 when CMD cannot be executed or found (as env(1) and shells do).
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tools/commands/commands.h"
#include "tools/elf/elf_image.h"
#include "tools/elf/elf_linking.h"
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
};

// LD_PRELOAD cannot reach static or setuid/setgid executables: say so, and what works instead.
void warn_if_unreachable(const std::string& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return;  // exec reports it
    const Result<Linking> linking = executable_linking(file);
    const char* why = linking && *linking == Linking::static_executable ? "is statically linked"
                      : (st.st_mode & (S_ISUID | S_ISGID)) != 0         ? "is setuid/setgid"
                                                                        : nullptr;
    if (why != nullptr)
        std::fprintf(stderr, "tcpkeep: %s %s: the shim cannot load into it; set its sockets with `tcpkeep apply --pid %d` once it runs\n",
                     file.c_str(), why, static_cast<int>(::getpid()));  // exec keeps our pid
    else if (is_go_program(file))
        std::fprintf(stderr,
                     "tcpkeep: %s is a Go program: the shim loads into it but sees none of its connections (Go's runtime makes its "
                     "own system calls); set its sockets with `tcpkeep apply --pid %d` once it runs\n",
                     file.c_str(), static_cast<int>(::getpid()));
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
    const char* preload = std::getenv("LD_PRELOAD");
    const std::string new_preload = prepend_shim(*shim, preload ? std::optional<std::string>(preload) : std::nullopt);
    ::setenv("LD_PRELOAD", new_preload.c_str(), 1);
    if (*policy) ::setenv("TCPKEEP_POLICY", (*policy)->c_str(), 1);
    if (args.log) ::setenv("TCPKEEP_LOG", args.log->c_str(), 1);

    // One search, as execvp's: the file checked is the file executed.
    const Result<std::string> program = find_program(args.command[0]);
    int e = program ? 0 : program.error().code;
    if (program) {
        warn_if_unreachable(*program);
        std::vector<char*> argv;
        for (const std::string& a : args.command) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        e = exec_program(*program, argv.data());
    }
    std::fprintf(stderr, "tcpkeep: cannot run %s: %s\n", args.command[0].c_str(), std::strerror(e));
    return e == ENOENT ? 127 : 126;
}

}  // namespace

void add_run_command(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("run", "Run a command with the shim preloaded");
    cmd->footer(
        "Example: tcpkeep run -s idle=30s -s count=3 -- ./legacy-client db.example 5432\n"
        "-s changes [defaults] for this run only; rules keep the keys they set themselves.\n"
        "The exit status is the command's.");
    auto args = std::make_shared<RunArgs>();
    cmd->add_option("--policy", args->policy, "Policy file (default: TCPKEEP_POLICY, the system policy, or the embedded default)");
    cmd->add_option("--log", args->log, "Shim log level (TCPKEEP_LOG), to stderr")->check(CLI::IsMember({"off", "error", "warn", "info", "debug"}));
    add_settings_option(*cmd, args->settings);
    cmd->add_option("COMMAND", args->command, "The command and its arguments (after --)")->required();
    cmd->positionals_at_end();  // everything from the command on is the command's
    cmd->callback([&status, args] { status = run(*args); });
}

}  // namespace tcpkeep::cli
