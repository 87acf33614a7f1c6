#include "tools/process/host_audit.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "config/live_prediction.h"
#include "config/timeline.h"
#include "tools/process/inspection_deadline.h"
#include "tools/process/process_facts.h"
#include "tools/process/process_lookup.h"
#include "tools/process/target_error.h"

namespace tcpkeep::cli {
namespace {

// The inode of a namespace file: equal inodes, same namespace. Throws TargetError.
ino_t namespace_inode(pid_t pid, const char* kind) {
    const std::string path = proc_path(pid, std::string("ns/") + kind);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw_target_error(pid, path, errno);
    return st.st_ino;
}

// Whether any of the process's cgroups (v1 hierarchies and v2) is `path` or below it.
bool in_cgroup(pid_t pid, const std::string& path) {
    const std::string file = proc_path(pid, "cgroup");
    const Result<std::string> text = read_small_file(file);
    if (!text) throw_target_error(pid, file, text.error().code);
    const std::string prefix = path.ends_with('/') ? path : path + "/";
    std::istringstream lines(*text);
    std::string line;
    while (std::getline(lines, line)) {
        const std::size_t colon = line.find(':', line.find(':') + 1);
        if (colon == std::string::npos) continue;
        const std::string own = line.substr(colon + 1);
        if (own == path || (own + "/").starts_with(prefix)) return true;
    }
    return false;
}

struct ScopeInodes {
    std::optional<ino_t> container_pidns;
    std::optional<ino_t> netns;
};

bool in_scope(pid_t pid, const AuditScope& scope, const ScopeInodes& inodes) {
    if (scope.cgroup && !in_cgroup(pid, *scope.cgroup)) return false;  // first: every user may read it
    if (scope.user && effective_uid(pid) != *scope.user) return false;
    if (inodes.container_pidns && namespace_inode(pid, "pid") != *inodes.container_pidns) return false;
    return !inodes.netns || namespace_inode(pid, "net") == *inodes.netns;
}

// Exited: no longer there, a zombie waiting for its parent, or exiting (PF_EXITING: its files
// are being closed, so /proc already fails for it while it is not yet a zombie).
bool gone(pid_t pid) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    const Result<std::string> stat = read_small_file(proc_path(pid, "stat"));
    if (!stat) return stat.error().code == ENOENT || stat.error().code == ESRCH;
    const std::size_t name_end = stat->rfind(')');  // the fields follow the name, which may hold spaces and ')'
    if (name_end == std::string::npos) return false;
    std::istringstream fields(stat->substr(name_end + 1));
    std::string state;
    long long ppid = 0, pgrp = 0, session = 0, tty = 0, tpgid = 0;
    unsigned long flags = 0;
    if (!(fields >> state >> ppid >> pgrp >> session >> tty >> tpgid >> flags)) return false;
    constexpr unsigned long pf_exiting = 0x4;
    return state == "Z" || state == "X" || (flags & pf_exiting) != 0;
}

void summarize(AuditedProcess& a, std::int64_t threshold_ms) {
    for (const SocketReport& s : a.report.sockets) {
        if (s.socket.listening()) {
            ++a.listening;
            continue;
        }
        ++(s.direction == Direction::inbound ? a.inbound : a.outbound);
        if (!s.actual) {
            ++a.unknown;
            continue;
        }
        const std::int64_t detection = idle_detection_ms(*s.actual);
        a.worst_ms = std::max(a.worst_ms.value_or(0), detection);
        a.above_threshold += detection > threshold_ms;
    }
}

}  // namespace

std::int64_t idle_detection_ms(const Settings& actual) {
    if (!actual.keepalive) return never_ms;
    return keepalive_detection_ms(effective_values(actual));  // as the kernel waits them: an interval of 0 is one tick
}

HostAudit audit_host(const AuditScope& scope, const InspectRequest& request, std::int64_t threshold_ms) {
    HostAudit audit;
    audit.threshold_ms = threshold_ms;
    ScopeInodes inodes;
    if (scope.container) inodes.container_pidns = namespace_inode(*scope.container, "pid");
    if (scope.netns) {
        struct stat st {};
        if (::stat(scope.netns->c_str(), &st) != 0) throw TargetError(fmt::format("--netns {}: {}", *scope.netns, std::strerror(errno)));
        inodes.netns = st.st_ino;
    }
    NamespaceTables tables;  // one snapshot per namespace for the whole scan
    for (const pid_t pid : all_pids()) {
        bool selected = false;  // in the scope: an exit from here on is counted
        try {
            if (!in_scope(pid, scope, inodes)) continue;
            selected = true;
            const ProcessTcp tcp = tcp_sockets_of(pid, &tables);
            if (tcp.sockets.empty()) continue;
            InspectRequest with_sockets = request;
            with_sockets.tcp = &tcp;
            AuditedProcess a;
            a.report = inspect_within_deadline(pid, with_sockets);
            a.uid = effective_uid(pid);
            a.netns = fmt::format("net:[{}]", namespace_inode(pid, "net"));
            summarize(a, threshold_ms);
            if (!audit.counters.contains(a.netns)) audit.counters.emplace(a.netns, keepalive_counters_of(pid));
            audit.processes.push_back(std::move(a));
        } catch (const TargetError& e) {
            if (gone(pid)) {
                audit.exited += selected;
                continue;
            }
            audit.not_inspected.push_back({pid, executable_of(pid), e.what()});
        }
    }
    std::stable_sort(audit.processes.begin(), audit.processes.end(),
                     [](const AuditedProcess& a, const AuditedProcess& b) { return a.worst_ms.value_or(-1) > b.worst_ms.value_or(-1); });
    return audit;
}

}  // namespace tcpkeep::cli
