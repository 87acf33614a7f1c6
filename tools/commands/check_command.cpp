// tcpkeep check [--compile] [--cgroup] [FILE]: validate a policy; exit 0 valid, 1 invalid, refused as
// untrusted (system/policy_trust.h) or, with --cgroup, refused by cgroup mode; 2 usage or I/O error.
#include <fmt/format.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>

#include "tools/cgroup/attachment.h"
#include "bpf/compiler/cgroup_policy.h"
#include "tools/commands/commands.h"
#include "tools/policy/compiled_policy_file.h"
#include "tools/policy/policy_loading.h"

namespace tcpkeep::cli {
namespace {

// Writes FILE.compiled from the file's text as it is now, provided that text is still valid: the
// compiled form is keyed by exactly the bytes it was compiled from, so an edit made meanwhile can
// never be paired with the policy validated before it.
int compile(const ChosenPolicy& chosen) {
    if (chosen.location.kind == PolicyLocation::Kind::embedded) {
        std::fprintf(stderr, "tcpkeep: --compile: the embedded default is built in; there is no file to compile\n");
        return exit_error;
    }
    const std::string& path = chosen.location.path;
    const Result<std::string> text = read_policy_text(path, false);
    if (!text) {
        std::fprintf(stderr, "tcpkeep: --compile: %s: %s\n", path.c_str(), text.error().message.c_str());
        return exit_error;
    }
    const PolicyLoad now = read_policy(*text, path);
    if (!now.ok()) {
        std::fprintf(stderr, "tcpkeep: --compile: %s changed while it was being checked and is no longer valid; run again\n", path.c_str());
        return exit_error;
    }
    if (const Result<void> written = write_compiled_policy(path, *now.policy, *text); !written) {
        std::fprintf(stderr, "tcpkeep: %s\n", written.error().message.c_str());
        return exit_error;
    }
    std::printf("wrote %s (used by the shim while %s holds this text; copy both together)\n", compiled_path_for(path).c_str(), path.c_str());
    return exit_ok;
}

// Says whether the shim will load FILE.compiled or parse FILE: the shim ignores a stale compiled
// form without a word, and a large policy without one costs every process a parse.
void report_compiled_form(const ChosenPolicy& chosen) {
    constexpr std::size_t large_policy_rules = 5000;  // ~8 ms of parsing per process on a 2-core test machine
    if (chosen.location.kind == PolicyLocation::Kind::embedded) return;
    const std::string& path = chosen.location.path;
    const std::string compiled = compiled_path_for(path);
    const Result<std::string> text = read_policy_text(path, false);
    if (!text) return;
    if (::access(compiled.c_str(), F_OK) == 0) {
        if (const Result<void> trusted = check_policy_trust(compiled, trust_of_this_process(false)); !trusted) {
            std::printf("%s: untrusted: the shim ignores it and parses %s; %s\n", compiled.c_str(), path.c_str(), trusted.error().message.c_str());
        } else if (read_compiled_form(path, *text, false)) {
            std::printf("%s: current: the shim loads it instead of parsing %s\n", compiled.c_str(), path.c_str());
        } else {
            std::printf("%s: stale or damaged: the shim ignores it and parses %s; `tcpkeep check --compile %s` renews it\n", compiled.c_str(),
                        path.c_str(), path.c_str());
        }
    } else if (chosen.load.policy->rules.size() >= large_policy_rules) {
        std::printf(
            "note: every process parses these %zu rules at its first TCP connection; `tcpkeep check --compile %s` writes a "
            "compiled form that loads in about half the time\n",
            chosen.load.policy->rules.size(), path.c_str());
    }
}

int run_check(const std::optional<std::string>& file, bool compile_it, bool for_cgroup) {
    const ChosenPolicy chosen = choose_policy(file);
    if (!file) std::printf("checking %s\n", chosen.describe().c_str());
    // A file the shim refuses to trust is refused like an invalid one, with the shim's message.
    if (chosen.location.kind != PolicyLocation::Kind::embedded) {
        if (const Result<void> trusted = check_policy_trust(chosen.location.path, trust_of_this_process(false)); !trusted) {
            std::printf("%s: error: %s\n", chosen.location.path.c_str(), trusted.error().message.c_str());
            std::printf("%s: invalid: 1 error\n", chosen.location.path.c_str());
            return exit_findings;
        }
    }
    const LoadStatus status = report_load(chosen, true);
    if (status == LoadStatus::unreadable) return exit_error;
    if (status == LoadStatus::invalid) {
        std::size_t errors = 0;
        for (const Diagnostic& d : chosen.load.diagnostics) errors += d.severity == Severity::error;
        std::printf("%s: invalid: %zu error%s\n", chosen.path_or_name().c_str(), errors, errors == 1 ? "" : "s");
        return exit_findings;
    }
    const Policy& p = *chosen.load.policy;
    const std::size_t warnings = chosen.load.diagnostics.size();
    std::printf("%s: valid: version 1, %zu rule%s, %s%s\n", chosen.path_or_name().c_str(), p.rules.size(), p.rules.size() == 1 ? "" : "s",
                p.defaults ? "[defaults] for unmatched sockets" : "no [defaults] (unmatched sockets untouched)",
                warnings ? fmt::format(", {} warning{}", warnings, warnings == 1 ? "" : "s").c_str() : "");
    if (for_cgroup) {
        const std::vector<std::string> why = cgroup_refusals(p);
        for (const std::string& reason : why) std::printf("%s: cgroup mode: %s\n", chosen.path_or_name().c_str(), reason.c_str());
        const std::vector<std::string> notes = why.empty() ? cgroup_process_notes(p) : std::vector<std::string>{};
        for (const std::string& note : notes) std::printf("%s: cgroup mode: note: %s\n", chosen.path_or_name().c_str(), note.c_str());
        std::printf("%s: %s\n", chosen.path_or_name().c_str(),
                    !why.empty()    ? "cgroup mode: refused (tcpkeep attach would attach nothing)"
                    : notes.empty() ? "cgroup mode: can be attached (tcpkeep attach) and decides every socket as the shim does"
                                    : "cgroup mode: can be attached (tcpkeep attach); it decides every socket as the shim does except as noted");
        if (!cgroup_mode_built()) std::printf("note: %s\n", cgroup_mode_not_built);
        if (!why.empty()) return exit_findings;
    }
    if (!compile_it) {
        report_compiled_form(chosen);
        return exit_ok;
    }
    return compile(chosen);
}

}  // namespace

void add_check_command(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("check", "Validate a policy file (default: the one discovery would load)");
    auto file = std::make_shared<std::optional<std::string>>();
    auto compile_it = std::make_shared<bool>(false);
    cmd->add_option("FILE", *file, "Policy file to check");
    cmd->add_flag("--compile", *compile_it, "Also write FILE.compiled, which the shim loads instead of parsing FILE while FILE is unchanged");
    auto for_cgroup = std::make_shared<bool>(false);
    cmd->add_flag("--cgroup", *for_cgroup, "Also say whether cgroup mode (tcpkeep attach) can decide this policy as the shim does; exit 1 if not");
    cmd->callback([&status, file, compile_it, for_cgroup] { status = run_check(*file, *compile_it, *for_cgroup); });
}

}  // namespace tcpkeep::cli
