// tcpkeep check [FILE]: validate a policy; exit 0 valid, 1 invalid, 2 usage or I/O error.
#include <cstdio>
#include <fmt/format.h>

#include "tools/commands.h"
#include "tools/policy_loading.h"

namespace tcpkeep::cli {
namespace {

int run_check(const std::optional<std::string>& file) {
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
    return exit_ok;
}

}  // namespace

void add_check_command(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("check", "Validate a policy file (default: the one discovery would load)");
    auto file = std::make_shared<std::optional<std::string>>();
    cmd->add_option("FILE", *file, "Policy file to check");
    cmd->callback([&status, file] { status = run_check(*file); });
}

}  // namespace tcpkeep::cli
