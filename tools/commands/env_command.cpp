// tcpkeep env [--policy FILE] [--format systemd|shell|docker]: the environment that enables the
// shim for a service, as a systemd drop-in, shell export lines or Dockerfile ENV lines.
#include <fmt/format.h>
#include <sys/stat.h>
#include <cstdio>
#include <filesystem>

#include "tools/commands/commands.h"
#include "tools/launch/preload_environment.h"
#include "tools/launch/shim_location.h"
#include "tools/policy/policy_loading.h"

namespace tcpkeep::cli {
namespace {

struct EnvArgs {
    std::optional<std::string> policy;
    std::string format = "systemd";
};

int run_env(const EnvArgs& args) {
    const Result<std::string> shim = locate_shim();
    if (!shim) {
        std::fprintf(stderr, "tcpkeep: %s\n", shim.error().message.c_str());
        return exit_error;
    }
    std::string policy = TCPKEEP_SYSCONF_POLICY;
    if (args.policy) {
        policy = std::filesystem::absolute(*args.policy).lexically_normal().string();
        const ChosenPolicy chosen = choose_policy(policy);
        if (!chosen.load.ok()) {
            const Diagnostic* e = first_error(chosen.load.diagnostics);
            std::fprintf(stderr, "tcpkeep: %s\n", e != nullptr ? e->location_and_message().c_str() : "cannot load the policy");
            return exit_error;
        }
    } else if (struct stat st{}; ::stat(policy.c_str(), &st) != 0) {
        std::fprintf(stderr,
                     "tcpkeep: warning: %s does not exist yet: until it does, the shim changes nothing (TCPKEEP_POLICY names a missing file)\n",
                     policy.c_str());
    }
    const EnvFormat format = args.format == "systemd" ? EnvFormat::systemd : args.format == "shell" ? EnvFormat::shell : EnvFormat::docker;
    std::string out = format == EnvFormat::systemd ? "[Service]\n" : "";
    for (const auto& [key, value] : {std::pair{"LD_PRELOAD", *shim}, std::pair{"TCPKEEP_POLICY", policy}}) {
        const Result<std::string> line = environment_line(format, key, value);
        if (!line) {
            std::fprintf(stderr, "tcpkeep: %s: %s\n", value.c_str(), line.error().message.c_str());
            return exit_error;
        }
        out += *line;
    }
    std::fputs(out.c_str(), stdout);
    return exit_ok;
}

}  // namespace

void add_env_command(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("env", "Print the environment that enables the shim for a service");
    cmd->footer("systemd: save as /etc/systemd/system/SERVICE.service.d/tcpkeep.conf, then systemctl daemon-reload.");
    auto args = std::make_shared<EnvArgs>();
    cmd->add_option("--policy", args->policy, fmt::format("Policy file (default: {})", TCPKEEP_SYSCONF_POLICY));
    cmd->add_option("--format", args->format, "systemd (a drop-in), shell (export lines) or docker (ENV lines)")
        ->check(CLI::IsMember({"systemd", "shell", "docker"}));
    cmd->callback([&status, args] { status = run_env(*args); });
}

}  // namespace tcpkeep::cli
