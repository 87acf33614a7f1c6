#include "tools/inspection/host_audit.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "config/live_prediction.h"
#include "config/timeline.h"
#include "tools/inspection/inspection_deadline.h"
#include "tools/inspection/process_facts.h"
#include "tools/inspection/process_lookup.h"
#include "tools/inspection/target_error.h"

namespace tcpkeep::cli {
namespace {

// The inode of a namespace file: equal inodes, same namespace. Throws TargetError.
ino_t namespace_inode(pid_t pid, const char* kind) {
    const std::string path = proc_path(pid, std::string("ns/") + kind);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw_target_error(pid, path, errno);
    return st.st_ino;
}

struct CgroupLine {
    std::string controllers;  // "" for cgroup v2, "name=systemd", "cpu,cpuacct", ...
    std::string path;
};

// The lines of /proc/PID/cgroup ("ID:CONTROLLERS:PATH"). Throws TargetError.
std::vector<CgroupLine> cgroups_of(pid_t pid) {
    const std::string file = proc_path(pid, "cgroup");
    const Result<std::string> text = read_small_file(file);
    if (!text) throw_target_error(pid, file, text.error().code);
    std::vector<CgroupLine> out;
    std::istringstream lines(*text);
    std::string line;
    while (std::getline(lines, line)) {
        const std::size_t first = line.find(':');
        const std::size_t colon = first == std::string::npos ? first : line.find(':', first + 1);
        if (colon == std::string::npos) continue;
        out.push_back({line.substr(first + 1, colon - first - 1), line.substr(colon + 1)});
    }
    return out;
}

// Whether the cgroup `path` is `top` or below it.
bool at_or_below(const std::string& path, const std::string& top) {
    return path == top || (path + "/").starts_with(top.ends_with('/') ? top : top + "/");
}

// Whether any of the process's cgroups (v1 hierarchies and v2) is `path` or below it.
bool in_cgroup(const std::vector<CgroupLine>& cgroups, const std::string& path) {
    return std::ranges::any_of(cgroups, [&](const CgroupLine& c) { return at_or_below(c.path, path); });
}

// The cgroup that names its unit or container: v2's, else systemd's v1 hierarchy.
std::string own_cgroup(const std::vector<CgroupLine>& cgroups) {
    for (const char* controllers : {"", "name=systemd"}) {
        const auto it = std::ranges::find(cgroups, std::string(controllers), &CgroupLine::controllers);
        if (it != cgroups.end()) return it->path;
    }
    return "";
}

struct ScopeInodes {
    std::optional<ino_t> container_pidns;
    std::optional<ino_t> netns;
};

bool in_scope(pid_t pid, const std::vector<CgroupLine>& cgroups, const AuditScope& scope, const ScopeInodes& inodes) {
    if (scope.cgroup && !in_cgroup(cgroups, *scope.cgroup)) return false;  // first: every user may read it
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

std::optional<std::int64_t> worse(std::optional<std::int64_t> worst, std::int64_t ms) { return std::max(worst.value_or(0), ms); }

void summarize(AuditedProcess& a, std::optional<std::int64_t> threshold_ms) {
    for (const SocketReport& s : a.report.sockets) {
        if (s.socket.listening()) {
            ++a.listening;
            continue;
        }
        ++(s.direction == Direction::inbound ? a.inbound : a.outbound);
        const Protection protection = protection_of(a.report, s);
        ++a.protection[static_cast<std::size_t>(protection)];
        a.unknown += protection == Protection::unknown;
        if (protection == Protection::unknown || protection == Protection::skipped) continue;  // skip: tcpkeep leaves it alone
        const std::int64_t detection = idle_detection_ms(*s.actual);
        a.worst_ms = worse(a.worst_ms, detection);
        a.worst_busy_ms = worse(a.worst_busy_ms, busy_detection_ms(*s.actual, a.report.kernel));
        const std::optional<std::int64_t> limit = threshold_ms ? threshold_ms : policy_idle_detection_ms(s);
        a.above_threshold += limit && detection > *limit;
    }
}

// The attachments on the scope's cgroup, below it or above it (those cover it too).
Result<std::vector<Attachment>> attachments_in_scope(const AuditScope& scope) {
    Result<std::vector<Attachment>> all = list_attachments();
    if (!all || !scope.cgroup) return all;
    std::vector<Attachment> in;
    for (Attachment& a : *all)
        if (at_or_below(a.cgroup, *scope.cgroup) || at_or_below(*scope.cgroup, a.cgroup)) in.push_back(std::move(a));
    return in;
}

}  // namespace

std::int64_t idle_detection_ms(const Settings& actual) {
    if (!actual.keepalive) return never_ms;
    return keepalive_detection_ms(effective_values(actual));  // as the kernel waits them: an interval of 0 is one tick
}

std::int64_t busy_detection_ms(const Settings& actual, const KernelDefaults& kernel) {
    return compute_timeline(effective_values(actual), kernel).detect_busy_ms;
}

HostAudit audit_host(const AuditScope& scope, const InspectRequest& request, std::optional<std::int64_t> threshold_ms) {
    const auto started = std::chrono::steady_clock::now();
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
            const std::vector<CgroupLine> cgroups = cgroups_of(pid);
            if (!in_scope(pid, cgroups, scope, inodes)) continue;
            selected = true;
            const ProcessTcp tcp = tcp_sockets_of(pid, &tables);
            if (tcp.sockets.empty()) continue;
            InspectRequest with_sockets = request;
            with_sockets.tcp = &tcp;
            AuditedProcess a;
            a.report = inspect_within_deadline(pid, with_sockets);
            a.uid = effective_uid(pid);
            a.netns = fmt::format("net:[{}]", namespace_inode(pid, "net"));
            a.cgroup = own_cgroup(cgroups);
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
    audit.attachments = attachments_in_scope(scope);
    audit.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return audit;
}

}  // namespace tcpkeep::cli
