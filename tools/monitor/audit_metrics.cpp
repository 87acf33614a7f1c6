#include "tools/monitor/audit_metrics.h"

#include <limits>

#include "tools/monitor/unit_label.h"

namespace tcpkeep::cli {
namespace {

using Type = MetricFamily::Type;

double seconds(std::int64_t ms) { return ms == never_ms ? std::numeric_limits<double>::infinity() : static_cast<double>(ms) / 1000.0; }

Labels with(Labels labels, const char* name, std::string value) {
    labels.emplace_back(name, std::move(value));
    return labels;
}

const char* coverage_of(const AuditedProcess& a) {
    if (a.shim_at_work()) return "shim";
    return a.report.cgroup_attachment ? "cgroup" : "none";
}

// Per unit and program: processes by coverage, connections by protection, listeners, slow ones.
void add_processes(const HostAudit& audit, std::vector<MetricFamily>& out) {
    MetricFamily processes("tcpkeep_processes", Type::gauge,
                           "Processes with TCP sockets by coverage: shim (the shim at work), cgroup (a cgroup attachment), none (neither).");
    MetricFamily connections("tcpkeep_connections", Type::gauge,
                             "Connected TCP sockets by who keeps them able to notice a dead peer: shim, cgroup (cgroup mode), program (its own "
                             "keepalive), skipped (a skip rule leaves them alone), unprotected (keepalive off), unknown (values unreadable).");
    MetricFamily listening("tcpkeep_listening_sockets", Type::gauge, "Listening TCP sockets.");
    MetricFamily slow("tcpkeep_slow_connections", Type::gauge,
                      "Connections slower to notice a dead idle peer than the threshold (--worse-than), or than their policy asks when none is "
                      "given; a skip rule's are not counted.");
    MetricFamily idle("tcpkeep_idle_peer_detection_worst_seconds", Type::gauge,
                      "The longest any connection of the unit takes to notice a dead idle peer, from its values (+Inf: keepalive off).");
    MetricFamily busy("tcpkeep_unacked_data_detection_worst_seconds", Type::gauge,
                      "The longest any connection of the unit takes to notice a silent peer while data is unacknowledged (retransmissions "
                      "up to tcp_retries2, or the user timeout).");
    for (const AuditedProcess& a : audit.processes) {
        const Labels unit{{"unit", unit_of_cgroup(a.cgroup)}};
        const Labels own = with(unit, "program", program_of(a.report.executable.value_or("")));
        for (const char* coverage : {"shim", "cgroup", "none"}) processes.add(with(own, "coverage", coverage), 0);
        processes.add(with(own, "coverage", coverage_of(a)), 1);
        for (int i = 0; i < protection_count; ++i)
            connections.add(with(own, "protection", protection_name(static_cast<Protection>(i))), a.protection[static_cast<std::size_t>(i)]);
        listening.add(own, a.listening);
        slow.add(own, a.above_threshold);
        if (a.worst_ms) idle.raise(unit, seconds(*a.worst_ms));
        if (a.worst_busy_ms) busy.raise(unit, seconds(*a.worst_busy_ms));
    }
    for (MetricFamily* f : {&processes, &connections, &listening, &slow, &idle, &busy}) out.push_back(std::move(*f));
}

void add_audit_itself(const HostAudit& audit, double finished_at, std::vector<MetricFamily>& out) {
    MetricFamily attachments("tcpkeep_cgroup_attachments", Type::gauge, "tcpkeep policies attached to cgroups (cgroup mode), by the cgroup's unit.");
    if (audit.attachments) {
        for (const Attachment& a : *audit.attachments) attachments.add({{"unit", unit_of_cgroup(a.cgroup)}}, 1);
        out.push_back(std::move(attachments));
    }
    MetricFamily skipped("tcpkeep_processes_not_inspected", Type::gauge,
                         "Processes the audit could not inspect, by reason: permission_denied, policy (their policy unreadable or changed), other.");
    for (const char* reason : {"permission_denied", "policy", "other"}) skipped.add({{"reason", reason}}, 0);
    for (const NotInspected& n : audit.not_inspected) skipped.add({{"reason", not_inspected_reason(n.reason)}}, 1);
    MetricFamily exited("tcpkeep_processes_exited_during_audit", Type::gauge, "Processes that exited while the audit read them.");
    exited.set({}, audit.exited);
    MetricFamily duration("tcpkeep_audit_duration_seconds", Type::gauge, "How long the audit took.");
    duration.set({}, audit.duration_s);
    MetricFamily finished("tcpkeep_audit_timestamp_seconds", Type::gauge, "When the audit finished, in seconds since the epoch.");
    finished.set({}, finished_at);
    for (MetricFamily* f : {&skipped, &exited, &duration, &finished}) out.push_back(std::move(*f));
    if (audit.threshold_ms) {
        MetricFamily threshold("tcpkeep_audit_threshold_seconds", Type::gauge, "The threshold tcpkeep_slow_connections counts against (--worse-than).");
        threshold.set({}, seconds(*audit.threshold_ms));
        out.push_back(std::move(threshold));
    }
}

}  // namespace

const char* not_inspected_reason(const std::string& message) {
    if (message.find("permission denied") != std::string::npos) return "permission_denied";
    if (message.find("policy") != std::string::npos) return "policy";
    return "other";
}

std::vector<MetricFamily> audit_metrics(const HostAudit& audit, double finished_at) {
    std::vector<MetricFamily> out;
    add_processes(audit, out);
    add_audit_itself(audit, finished_at, out);
    return out;
}

std::vector<MetricFamily> dead_peer_metrics(const Result<DeadPeerTallies>& tallies) {
    MetricFamily counting("tcpkeep_dead_peer_counters_present", Type::gauge,
                          "1 when the dead-peer counters of tcpkeep watch --keep-counters exist on this host (pinned in the BPF filesystem).");
    counting.set({}, tallies ? 1 : 0);
    std::vector<MetricFamily> out;
    out.push_back(std::move(counting));
    if (!tallies) return out;
    MetricFamily aborts("tcpkeep_dead_peers_total", Type::counter,
                        "TCP connections the kernel aborted for a silent peer, by unit and cause: keepalive, user_timeout, retransmissions "
                        "(tcp_retries2), syn_retries.");
    MetricFamily silence("tcpkeep_dead_peer_silence_seconds_total", Type::counter,
                         "The peers' silence before those aborts, summed: divided by tcpkeep_dead_peers_total, how fast they were caught.");
    for (const auto& [key, tally] : *tallies) {
        const Labels labels{{"unit", key.first}, {"cause", key.second}};
        aborts.add(labels, static_cast<double>(tally.count));
        silence.add(labels, static_cast<double>(tally.silence_ms) / 1000.0);
    }
    out.push_back(std::move(aborts));
    out.push_back(std::move(silence));
    return out;
}

}  // namespace tcpkeep::cli
