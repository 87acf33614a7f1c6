// A ProcessReport for people: a header, one table row per socket, what apply changed, a verdict.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "tools/inspection/process_report.h"

namespace tcpkeep::cli {

using Row = std::vector<std::string>;

// Rows as columns aligned with two spaces between them, each line starting with `indent`.
std::string aligned(const std::vector<Row>& rows, std::string_view indent);

// `dry_run`: changes are described as "would set" instead of "set".
std::string to_table(const ProcessReport& report, bool dry_run = false);

}  // namespace tcpkeep::cli
