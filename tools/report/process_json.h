// A process's inspection as JSON, for `verify --json` and `apply --json` (schema: tools/README.md).
#pragma once
#include <nlohmann/json.hpp>

#include "tools/inspection/process_report.h"

namespace tcpkeep::cli {

nlohmann::ordered_json to_json(const ProcessReport& report);

}  // namespace tcpkeep::cli
