// What `tcpkeep audit` prints: a summary, the namespaces' keepalive counters, one line per process
// (worst first) and the processes it could not inspect; or the same as JSON (schema in tools/README.md).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "tools/inspection/host_audit.h"

namespace tcpkeep::cli {

std::string to_text(const HostAudit& audit, const std::string& threshold_source);
nlohmann::ordered_json to_json(const HostAudit& audit, const std::string& threshold_source);

// As verify's for each process: 2 when a process could not be inspected (or only partly), else 1
// when a process disagrees with its policy or lacks the shim it needs, else 0. With a threshold
// given (--worse-than), a connection slower than it (a skip rule's aside) is a finding too (1).
int exit_status(const HostAudit& audit);

}  // namespace tcpkeep::cli
