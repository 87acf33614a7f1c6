// What `tcpkeep audit` prints: a summary, the namespaces' keepalive counters, one line per process
// (worst first) and the processes it could not inspect; or the same as JSON (schema in tools/README.md).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "tools/process/host_audit.h"

namespace tcpkeep::cli {

std::string to_text(const HostAudit& audit, const std::string& threshold_source);
nlohmann::ordered_json to_json(const HostAudit& audit, const std::string& threshold_source);

// 2 when a process could not be inspected (or only partly), else 1 when a process disagrees with
// its policy or a connection is slower than the threshold, else 0.
int exit_status(const HostAudit& audit);

}  // namespace tcpkeep::cli
