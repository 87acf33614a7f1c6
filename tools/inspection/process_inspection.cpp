#include "tools/inspection/process_inspection.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "config/compiled_policy.h"
#include "system/read_kernel_defaults.h"
#include "tools/cgroup/cgroup_lookup.h"
#include "tools/elf/elf_image.h"
#include "tools/inspection/process_policy.h"
#include "tools/inspection/network_namespace.h"
#include "tools/inspection/process_facts.h"
#include "tools/inspection/remote_socket.h"
#include "tools/inspection/socket_decision.h"
#include "tools/inspection/socket_direction.h"
#include "tools/inspection/target_error.h"

namespace tcpkeep::cli {
namespace {

// The sysctls of the process's network namespace; the tool's own (and why) when it cannot be entered.
PortRange read_namespace(pid_t pid, ProcessReport& report) {
    PortRange ports;
    const Result<void> entered = in_network_namespace_of(pid, [&] {
        report.kernel = read_kernel_defaults();
        ports = ephemeral_ports();
    });
    if (!entered) {
        report.kernel = read_kernel_defaults();
        ports = ephemeral_ports();
        report.kernel_note = fmt::format("{}: the sysctls shown are the tool's own namespace's", entered.error().message);
    }
    return ports;
}

// Why a loaded shim cannot act on the process's connections, or nullopt. Only a runtime that
// makes its own system calls stops it: sockets it did not see made (inherited from the process
// that started this one, like sshd's session or an inetd child) are judged by their values, and
// the shim sets the sockets the process makes from now on.
std::optional<std::string> inactive_shim(pid_t pid, const ShimState* shim, const ProcessTcp& tcp) {
    if (shim == nullptr || tcp.sockets.empty() || shim->engine != EngineStatus::idle) return std::nullopt;
    if (is_go_program(proc_path(pid, "exe")))
        return "a Go program: its runtime makes system calls directly, so the shim sees none of its connections "
               "(use tcpkeep apply for the sockets it has)";
    return std::nullopt;
}

std::optional<std::string> runs_as(pid_t pid, const std::optional<std::string>& executable) {
    Result<std::string> comm = read_small_file(proc_path(pid, "comm"));
    if (!comm || !executable) return std::nullopt;
    if (!comm->empty() && comm->back() == '\n') comm->pop_back();
    const std::string file = std::filesystem::path(*executable).filename().string();
    if (file.starts_with(*comm)) return std::nullopt;  // comm is the file name cut to 15 bytes
    return std::move(comm).value();
}

// The report's head: who the process is, its shim and the cgroup attachment covering it.
// Returns what its shim published, when one is loaded.
std::optional<Result<ShimState>> describe_process(pid_t pid, const InspectRequest& request, ProcessReport& report) {
    report.pid = pid;
    report.judge_shim = request.mode == InspectMode::verify;
    report.shim = shim_presence(pid);  // says "no such process" / "permission denied" plainly
    report.executable = executable_of(pid);
    report.runs_as = runs_as(pid, report.executable);
    std::optional<Result<ShimState>> shim;
    if (report.shim.loaded) shim = read_shim_state(pid, report.shim);
    if (shim && *shim) report.engine = (*shim)->engine;
    if (const Result<Cgroup> cgroup = cgroup_of_process(pid)) report.cgroup_attachment = attachment_covering(*cgroup);
    return shim;
}

// Without a shim (and without --policy), an attachment's policy is the one the process's new sockets get.
bool judged_by_attachment(const InspectRequest& request, const ProcessReport& report) {
    return !request.policy_path && !report.shim.loaded && report.cgroup_attachment && !report.cgroup_attachment->policy.empty();
}

// The policy the sockets are judged by: --policy, else (without a shim) the attachment's, else the
// process's own; -s overrides laid over it.
ProcessPolicy choose_policy(pid_t pid, const InspectRequest& request, const std::optional<Result<ShimState>>& shim, bool attached,
                            ProcessReport& report) {
    ProcessPolicy chosen = attached ? policy_of_attachment(pid, *report.cgroup_attachment)
                                    : policy_of_process(pid, request.policy_path, shim ? &*shim : nullptr);
    report.policy = chosen.name;
    report.policy_origin = origin_name(chosen.origin);
    report.policy_process_view = chosen.process_view;
    report.policy_note = chosen.note;
    if (request.overrides != nullptr) apply_overrides(chosen.policy, *request.overrides);
    return chosen;
}

// One pass over a process's sockets, while `remote` (opened first) names the process.
struct SocketPass {
    pid_t pid;
    const InspectRequest& request;
    const RemoteProcess& remote;
    ProcessReport& report;
    bool attached_policy;  // judged by an attachment's policy: the program's own options read from cgroup mode's storage

    // The socket's values from the kernel, apply's changes and the prediction; false when the
    // socket is no longer the process's (closed or replaced since /proc listed it).
    bool read_values(SocketReport& s) const {
        const Result<UniqueFd> fd = remote.duplicate(s.socket.fd);
        const int error = fd ? 0 : fd.error().code;
        struct stat st {};
        if (error == EBADF || (fd && (::fstat(fd->get(), &st) != 0 || st.st_ino != s.socket.entry.inode))) return false;
        if (error == ESRCH) throw TargetError(fmt::format("process {}: exited during the scan", pid));
        if (error == ENOSYS) throw TargetError("this kernel has no pidfd_getfd (Linux >= 5.6 is needed to read another process's sockets)");
        if (error == EPERM || error == EACCES) {
            report.missing = fmt::format("option values: pidfd_getfd refused: {}; sockets and states come from /proc", ptrace_requirement);
        } else if (error != 0) {
            report.missing = fmt::format("option values: pidfd_getfd: {}", std::strerror(error));
        } else if (const Result<Settings> actual = read_options(fd->get())) {
            s.actual = *actual;
            if (attached_policy) s.program_set = program_set_in_cgroup(fd->get());
            if (request.mode != InspectMode::verify && s.action == Verdict::Kind::apply && !s.direction_ambiguous)
                apply_expected(fd->get(), request.mode == InspectMode::dry_run, s);
            if (const Result<LiveTcpState> live = read_live_state(fd->get()); live && live->established)
                s.prediction = predict_live(effective_values(*s.actual), report.kernel, *live);
        } else {
            report.missing = fmt::format("option values of fd {}: getsockopt: {}", s.socket.fd, actual.error().message);
        }
        return true;
    }
};

ProcessReport inspect_alive(pid_t pid, const InspectRequest& request, const RemoteProcess& remote) {
    ProcessReport report;
    const std::optional<Result<ShimState>> shim = describe_process(pid, request, report);
    const ShimState* state = shim && *shim ? &shim->value() : nullptr;
    const bool attached = judged_by_attachment(request, report);
    const ProcessPolicy chosen = choose_policy(pid, request, shim, attached, report);
    const PortRange ephemeral_range = read_namespace(pid, report);
    const CompiledPolicy compiled = CompiledPolicy::compile(chosen.policy, chosen.identity, report.kernel);
    report.policy_applies = compiled.applies_anything();

    const ProcessTcp tcp = request.tcp != nullptr ? *request.tcp : tcp_sockets_of(pid);
    report.shim_inactive = inactive_shim(pid, state, tcp);
    const SocketPass pass{pid, request, remote, report, attached};
    for (const TcpSocket& socket : tcp.sockets) {
        SocketReport s;
        s.socket = socket;
        const bool guessed = infer_direction(s, tcp.namespace_listeners, ephemeral_range);
        if (state != nullptr) take_shim_record(*state, s);
        decide_socket(compiled, s, guessed && s.direction_source != DirectionSource::shim);
        // Once pidfd_getfd has refused, the rest is listed as /proc shows it.
        if (report.missing || pass.read_values(s)) report.sockets.push_back(std::move(s));
    }
    return report;
}

}  // namespace

ProcessReport inspect_process(pid_t pid, const InspectRequest& request) {
    // Opened before anything is read through /proc/PID, and checked after the last read: a pid
    // reused meanwhile by another process never mixes two processes in one report, and a read
    // that failed because the process ended says so.
    const RemoteProcess remote(pid);
    if (!remote.alive()) throw TargetError(fmt::format("process {}: no such process", pid));  // a zombie already
    const auto exited = [&] { return TargetError(fmt::format("process {}: exited during the scan", pid)); };
    try {
        ProcessReport report = inspect_alive(pid, request, remote);
        if (!remote.alive()) throw exited();
        return report;
    } catch (const TargetError&) {
        if (!remote.alive()) throw exited();
        throw;
    }
}

}  // namespace tcpkeep::cli
