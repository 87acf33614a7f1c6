// `--pid PID | NAME` for verify and apply, and reporting on every selected process: a table
// each, or JSON (one object for --pid, an array for NAME).
#pragma once
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "tools/inspection/process_inspection.h"

namespace tcpkeep::cli {

struct ProcessSelection {
    std::optional<int> pid;
    std::optional<std::string> name;
};

void add_process_selection(CLI::App& cmd, ProcessSelection& args);

// Inspects each selected process; returns the worst exit status (2 when none can be selected).
int inspect_selected(const ProcessSelection& targets, const InspectRequest& request, bool json);

}  // namespace tcpkeep::cli
