// A ProcessReport for people: a header, one table row per socket, what apply changed, a verdict.
#pragma once
#include <string>

#include "tools/report/socket_report.h"

namespace tcpkeep::cli {

// `dry_run`: changes are described as "would set" instead of "set".
std::string to_table(const ProcessReport& report, bool dry_run = false);

}  // namespace tcpkeep::cli
