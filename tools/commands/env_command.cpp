// tcpkeep env [--policy FILE] [--format systemd|shell|docker]: the environment that enables the
// shim for a service, as a systemd drop-in, shell export lines or Dockerfile ENV lines.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <sys/stat.h>

#include "tools/commands/commands.h"
#include "tools/launch/shim_location.h"
#include "tools/policy/policy_loading.h"

namespace tcpkeep::cli {
namespace {

struct EnvArgs {
    std::optional<std::string> policy;
    std::string format = "systemd";
};

bool plain(const std::string& v) {
    return std::all_of(v.begin(), v.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || std::string_view("/._-+:,=@").find(c) != std::string_view::npos;
    });
}

// `escape` characters get a backslash inside double quotes.
std::string double_quoted(const std::string& v, std::string_view escape) {
    std::string out = "\"";
    for (char c : v) {
        if (escape.find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string line(const std::string& format, const char* key, std::string value) {
    if (format == "systemd") {
        std::string escaped;  // '%' starts a unit specifier
        for (char c : value) escaped += c == '%' ? "%%" : std::string(1, c);
        const std::string assignment = fmt::format("{}={}", key, escaped);
        return fmt::format("Environment={}\n", plain(value) ? assignment : double_quoted(assignment, "\\\""));
    }
    if (format == "shell") {
        if (plain(value)) return fmt::format("export {}={}\n", key, value);
        std::string quoted = "'";
        for (char c : value) quoted += c == '\'' ? "'\\''" : std::string(1, c);
        return fmt::format("export {}={}'\n", key, quoted);
    }
    return fmt::format("ENV {}={}\n", key, plain(value) ? value : double_quoted(value, "\\\"$"));
}

int run_env(const EnvArgs& args) {
    const ShimLocation shim = locate_shim();
    if (shim.path.empty()) {
        std::fprintf(stderr, "tcpkeep: %s\n", shim.missing_message().c_str());
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
    } else if (struct stat st {}; ::stat(policy.c_str(), &st) != 0) {
        std::fprintf(stderr, "tcpkeep: warning: %s does not exist yet: until it does, the shim changes nothing (TCPKEEP_POLICY names a missing file)\n",
                     policy.c_str());
    }
    std::string out = args.format == "systemd" ? "[Service]\n" : "";
    out += line(args.format, "LD_PRELOAD", shim.path);
    out += line(args.format, "TCPKEEP_POLICY", policy);
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
