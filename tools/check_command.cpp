// tcpkeep check [--compile] [FILE]: validate a policy; exit 0 valid, 1 invalid, 2 usage or I/O error.
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>

#include "tools/commands.h"
#include "tools/compiled_policy_file.h"
#include "tools/policy_loading.h"

namespace tcpkeep::cli {
namespace {

// Writes FILE.compiled for the policy just validated, if the file did not change meanwhile.
int compile(const ChosenPolicy& chosen, const std::optional<FileIdentity>& before) {
    if (chosen.location.kind == PolicyLocation::Kind::embedded) {
        std::fprintf(stderr, "tcpkeep: --compile: the embedded default is built in; there is no file to compile\n");
        return exit_error;
    }
    const std::optional<FileIdentity> after = FileIdentity::of(chosen.location.path);
    if (!before || !after || !(*before == *after)) {
        std::fprintf(stderr, "tcpkeep: --compile: %s changed while it was being checked; run again\n", chosen.location.path.c_str());
        return exit_error;
    }
    if (const std::string error = write_compiled_policy(chosen.location.path, *chosen.load.policy, *after); !error.empty()) {
        std::fprintf(stderr, "tcpkeep: %s\n", error.c_str());
        return exit_error;
    }
    std::printf("wrote %s (used by the shim while %s is unchanged)\n", compiled_path_for(chosen.location.path).c_str(),
                chosen.location.path.c_str());
    return exit_ok;
}

int run_check(const std::optional<std::string>& file, bool compile_it) {
    // The file's identity before reading it: --compile refuses a file that changed meanwhile.
    const std::string path = file ? *file : discover_policy(std::getenv("TCPKEEP_POLICY"), false, TCPKEEP_SYSCONF_POLICY).path;
    const std::optional<FileIdentity> before = FileIdentity::of(path);
    const ChosenPolicy chosen = choose_policy(file);
    if (!file) std::printf("checking %s\n", chosen.describe().c_str());
    bool io_error = false;
    const bool valid = report_load(chosen, true, io_error);
    if (io_error) return exit_error;
    if (!valid) {
        std::size_t errors = 0;
        for (const Diagnostic& d : chosen.load.diagnostics) errors += d.severity == Severity::error;
        std::printf("%s: invalid: %zu error%s\n", chosen.path_or_name().c_str(), errors, errors == 1 ? "" : "s");
        return exit_findings;
    }
    const Policy& p = *chosen.load.policy;
    const std::size_t warnings = chosen.load.diagnostics.size();
    std::printf("%s: valid: version 1, %zu rule%s, %s%s\n", chosen.path_or_name().c_str(), p.rules.size(),
                p.rules.size() == 1 ? "" : "s", p.defaults ? "[defaults] for unmatched sockets" : "no [defaults] (unmatched sockets untouched)",
                warnings ? fmt::format(", {} warning{}", warnings, warnings == 1 ? "" : "s").c_str() : "");
    if (!compile_it) return exit_ok;
    return compile(chosen, before);
}

}  // namespace

void add_check_command(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("check", "Validate a policy file (default: the one discovery would load)");
    auto file = std::make_shared<std::optional<std::string>>();
    auto compile_it = std::make_shared<bool>(false);
    cmd->add_option("FILE", *file, "Policy file to check");
    cmd->add_flag("--compile", *compile_it,
                  "Also write FILE.compiled, which the shim loads instead of parsing FILE while FILE is unchanged");
    cmd->callback([&status, file, compile_it] { status = run_check(*file, *compile_it); });
}

}  // namespace tcpkeep::cli
