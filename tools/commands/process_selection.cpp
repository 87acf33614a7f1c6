#include "tools/commands/process_selection.h"

#include <algorithm>
#include <cstdio>

#include "tools/commands/commands.h"
#include "tools/inspection/inspection_deadline.h"
#include "tools/inspection/process_lookup.h"
#include "tools/inspection/target_error.h"
#include "tools/report/printable.h"
#include "tools/report/process_json.h"
#include "tools/report/report_table.h"

namespace tcpkeep::cli {

void add_process_selection(CLI::App& cmd, ProcessSelection& args) {
    auto* pid = cmd.add_option("--pid", args.pid, "Process id")->check(CLI::PositiveNumber);
    auto* name = cmd.add_option("NAME", args.name, "Every process with this name (comm or executable file name, like pgrep)");
    pid->excludes(name);
}

int inspect_selected(const ProcessSelection& targets, const InspectRequest& request, bool json) {
    if (!targets.pid && !targets.name) {
        std::fprintf(stderr, "tcpkeep: give --pid PID or a process NAME\n");
        return exit_error;
    }
    const std::vector<pid_t> pids = targets.pid ? std::vector<pid_t>{*targets.pid} : pids_named(*targets.name);
    if (pids.empty()) {
        std::fprintf(stderr, "tcpkeep: no process named \"%s\"\n", targets.name->c_str());
        return exit_error;
    }
    int worst = exit_ok;
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < pids.size(); ++i) {
        try {
            const ProcessReport report = inspect_within_deadline(pids[i], request);
            worst = std::max(worst, report.exit_status());
            if (json) {
                all.push_back(to_json(report));
            } else {
                std::printf("%s%s", i ? "\n" : "", to_table(report, request.mode == InspectMode::dry_run).c_str());
            }
        } catch (const TargetError& e) {
            std::fprintf(stderr, "tcpkeep: %s\n", printable(e.what()).c_str());
            if (targets.name) all.push_back({{"pid", pids[i]}, {"error", e.what()}});
            worst = exit_error;
        }
    }
    if (json && (targets.name || !all.empty())) std::printf("%s\n", json_text(targets.name ? all : all[0]).c_str());
    return worst;
}

}  // namespace tcpkeep::cli
