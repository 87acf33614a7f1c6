// `tcpkeep audit`: every process of the host (or of one cgroup, container, network namespace or
// user) that has TCP sockets, inspected as `verify` does, with how long each would take to notice
// a dead idle peer and who protects each connection. A process that cannot be inspected is kept
// with the reason; one that exits during the scan is only counted.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/cgroup/attachment.h"
#include "tools/inspection/socket_protection.h"
#include "tools/inspection/process_inspection.h"
#include "tools/inspection/tcp_counters.h"

namespace tcpkeep::cli {

struct AuditScope {
    std::optional<std::string> cgroup;  // a cgroup path ("/system.slice/x.service"): it and those below it
    std::optional<pid_t> container;     // the processes sharing this one's PID namespace
    std::optional<std::string> netns;   // a network namespace file (/run/netns/NAME, /proc/PID/ns/net)
    std::optional<uid_t> user;          // effective uid
};

// How long a socket takes to notice a dead idle peer, from its own values: keepalive's
// idle + probes, or never (keepalive off).
inline constexpr std::int64_t never_ms = std::numeric_limits<std::int64_t>::max();

struct AuditedProcess {
    ProcessReport report;
    uid_t uid = 0;
    std::string netns;   // "net:[INODE]"
    std::string cgroup;  // its cgroup v2 path (the systemd hierarchy's on a v1-only host), "" if none
    int listening = 0;
    int outbound = 0;
    int inbound = 0;  // accepted connections
    ProtectionCounts protection{};  // its connections (listeners aside) by who protects them
    // The worst idle detection time among its connections (never_ms: keepalive off on one) and
    // the worst time to notice a silent peer while data is unacknowledged; nullopt when it has
    // none whose values could be read. A `skip` rule's connections are left out.
    std::optional<std::int64_t> worst_ms;
    std::optional<std::int64_t> worst_busy_ms;
    // Connections slower than the threshold (never counts), a `skip` rule's left out.
    int above_threshold = 0;
    int unknown = 0;  // connections whose values could not be read

    [[nodiscard]] bool shim_at_work() const { return report.shim.loaded && !report.shim_inactive; }
    // The shim at work, or a cgroup attachment giving the policy to its new sockets.
    [[nodiscard]] bool covered() const { return shim_at_work() || report.cgroup_attachment.has_value(); }
};

struct NotInspected {
    pid_t pid = 0;
    std::optional<std::string> executable;
    std::string reason;
};

struct HostAudit {
    // Slower than this is counted; nullopt: slower than each connection's own policy asks.
    std::optional<std::int64_t> threshold_ms;
    std::vector<AuditedProcess> processes;  // worst first
    std::vector<NotInspected> not_inspected;
    int exited = 0;                                    // in the scope, gone before their inspection ended
    std::map<std::string, Result<Counters>> counters;  // per network namespace seen
    // The cgroup attachments in the scope, or why they could not be listed.
    Result<std::vector<Attachment>> attachments = std::vector<Attachment>{};
    double duration_s = 0;  // the scan's own time
};

// The idle detection time of one connected socket's values (never_ms when keepalive is off).
std::int64_t idle_detection_ms(const Settings& actual);

// How long a silent peer takes to be noticed while data is unacknowledged (retransmissions up to
// tcp_retries2, or the user timeout), from the socket's values and its namespace's sysctls.
std::int64_t busy_detection_ms(const Settings& actual, const KernelDefaults& kernel);

HostAudit audit_host(const AuditScope& scope, const InspectRequest& request, std::optional<std::int64_t> threshold_ms);

}  // namespace tcpkeep::cli
