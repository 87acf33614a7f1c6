// `tcpkeep audit --prometheus`: the audit as metric families, labelled by unit and program only
// (never PID, port or peer), for node_exporter's textfile collector.
#pragma once
#include <string>
#include <vector>

#include "tools/monitor/dead_peer_bpf.h"
#include "tools/monitor/prometheus_text.h"
#include "tools/inspection/host_audit.h"

namespace tcpkeep::cli {

// Why a process could not be inspected, as a label value: permission_denied, policy or other.
const char* not_inspected_reason(const std::string& message);

// `finished_at`: the audit's end, in seconds since the epoch.
std::vector<MetricFamily> audit_metrics(const HostAudit& audit, double finished_at);

// The dead peers `tcpkeep watch --keep-counters` counted, host-wide whatever the audit's scope;
// only whether counting runs when the counters cannot be read.
std::vector<MetricFamily> dead_peer_metrics(const Result<DeadPeerTallies>& tallies);

}  // namespace tcpkeep::cli
