// Each subcommand registers itself on the CLI11 app and returns the exit status through `status`.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "tools/exit_status.h"

namespace tcpkeep::cli {

// The -s/--set option of run and apply: [defaults] keys overridden for this command only.
inline void add_settings_option(CLI::App& cmd, std::vector<std::string>& settings) {
    cmd.add_option("-s,--set", settings, "Override a [defaults] key, e.g. -s idle=30s -s count=3")->allow_extra_args(false);
}

void add_check_command(CLI::App& app, int& status);
void add_explain_command(CLI::App& app, int& status);
void add_run_command(CLI::App& app, int& status);
void add_verify_command(CLI::App& app, int& status);
void add_audit_command(CLI::App& app, int& status);
void add_apply_command(CLI::App& app, int& status);
void add_env_command(CLI::App& app, int& status);
void add_cgroup_commands(CLI::App& app, int& status);  // attach, detach, attached
void add_watch_command(CLI::App& app, int& status);

}  // namespace tcpkeep::cli
