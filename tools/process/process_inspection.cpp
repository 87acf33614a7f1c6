#include "tools/process/process_inspection.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "config/compiled_policy.h"
#include "config/digest.h"
#include "system/policy_file.h"
#include "system/read_kernel_defaults.h"
#include "tools/cgroup/cgroup_target.h"
#include "tools/elf/elf_image.h"
#include "tools/policy/target_policy.h"
#include "tools/process/network_namespace.h"
#include "tools/process/process_facts.h"
#include "tools/process/remote_socket.h"
#include "tools/process/target_error.h"
#include "tools/report/option_values.h"

namespace tcpkeep::cli {
namespace {

using PortRange = std::pair<std::uint16_t, std::uint16_t>;

// The local port range of the current thread's network namespace: connections a program makes get
// their local port from it, so a socket with an ephemeral local port and a fixed remote one is outbound.
PortRange ephemeral_ports() {
    unsigned low = 32768;
    unsigned high = 60999;
    if (const Result<std::string> range = read_small_file("/proc/sys/net/ipv4/ip_local_port_range"))
        std::sscanf(range->c_str(), "%u %u", &low, &high);
    return {static_cast<std::uint16_t>(low), static_cast<std::uint16_t>(high)};
}

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

// Direction when the shim did not record it. Inbound when the socket listens or a listener of the
// namespace holds its local address and port (an accepted connection). With no such listener it
// was not accepted from a live one: outbound, unless only its remote port is ephemeral (the peer
// connected to us, and the listener has closed since): inbound then, but only as a guess.
void infer_direction(SocketReport& s, const Listeners& listeners, PortRange ephemeral_range, bool& guessed) {
    const TcpEntry& e = s.socket.entry;
    auto ephemeral = [&](std::uint16_t port) { return port >= ephemeral_range.first && port <= ephemeral_range.second; };
    const bool accepted = s.socket.listening() || listeners.accept_on(e.local);
    guessed = !accepted && !ephemeral(e.local.port) && ephemeral(e.remote.port);
    s.direction = accepted || guessed ? Direction::inbound : Direction::outbound;
    s.direction_source = accepted ? DirectionSource::listener : DirectionSource::inferred;
}

// What the shim recorded for the socket's fd: its direction and the options the program set.
void take_shim_record(const ShimState& state, SocketReport& s) {
    const std::optional<shim::FdState> st = state.fd_state(s.socket.fd);
    s.made_outside_shim = st && st->kind == shim::FdKind::unknown;
    if (!st || st->kind != shim::FdKind::tcp) return;
    if (st->listener != shim::ListenerMode::none || st->configured) {
        s.direction_source = DirectionSource::shim;
        s.direction = st->listener != shim::ListenerMode::none || (st->flags & shim::fd_inbound) != 0 ? Direction::inbound : Direction::outbound;
    }
    s.program_set = static_cast<std::uint8_t>(st->program_set & ~st->enforced);
}

const Verdict& verdict_for(const CompiledPolicy& policy, const TcpSocket& socket, Direction direction) {
    const TcpEntry& e = socket.entry;
    const PeerAddress peer = e.remote.peer();
    return policy.decide(direction, direction == Direction::inbound ? e.local.port : e.remote.port, socket.listening() ? nullptr : &peer);
}

bool same_decision(const Verdict& a, const Verdict& b) {
    if (a.kind != b.kind) return false;
    if (a.kind != Verdict::Kind::apply) return true;
    for (int i = 0; i < option_count; ++i) {
        const auto o = static_cast<Option>(i);
        if (a.settings.has(o) != b.settings.has(o) || (a.settings.has(o) && option_value(o, a.settings) != option_value(o, b.settings))) return false;
    }
    return true;
}

// `guessed`: the direction is a guess (see infer_direction), and matters when the policy decides
// the other direction differently.
void decide(const CompiledPolicy& policy, SocketReport& s, bool guessed) {
    const Verdict& v = verdict_for(policy, s.socket, s.direction);
    s.action = v.kind;
    s.rule = v.name;
    if (v.kind == Verdict::Kind::apply) s.expected = v.settings;
    if (v.enforce) s.enforced = v.settings.mask;  // whichever policy: the shim's, a named one, an attachment's
    s.direction_ambiguous = guessed && !same_decision(v, verdict_for(policy, s.socket, Direction::outbound));
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

// Sets (or, dry run, only lists) every expected option the socket does not have yet, except those
// the program set itself: the shim leaves them too, unless the rule enforces them.
void apply_policy(int fd, bool dry_run, SocketReport& s) {
    const std::uint8_t program_own = s.program_chose();
    for (int i = 0; i < option_count; ++i) {
        const auto o = static_cast<Option>(i);
        if (!s.expected.has(o) || (program_own & bit(o)) != 0 || option_value(o, s.expected) == option_value(o, *s.actual)) continue;
        OptionChange c{o, option_value(o, *s.actual), option_value(o, s.expected), 0};
        if (!dry_run) {
            const Result<void> written = write_option(fd, o, s.expected);
            c.error = written ? 0 : written.error().code;
        }
        s.changes.push_back(c);
    }
    if (!dry_run && !s.changes.empty()) {
        const Result<Settings> after = read_options(fd);
        s.actual = after ? std::optional<Settings>(*after) : std::nullopt;
    }
}

// The policy an attachment runs: the text it keeps, so neither a later edit of the file nor a file
// out of this mount namespace's reach (attached from a container) changes the verdicts.
ProcessPolicy policy_of_attachment(pid_t pid, const Attachment& a) {
    const Result<std::string> text = attached_policy_text(a);
    if (!text)
        throw TargetError(fmt::format("process {}: cannot read the policy attached to cgroup {}: {}; attach it again, or name one with --policy", pid,
                                      a.cgroup, text.error().message));
    std::string note = fmt::format("attached to cgroup {}", a.cgroup);
    if (const Result<std::string> now = read_policy_text(a.policy, false); now && fmt::format("{:016x}", digest64(*now)) != a.digest)
        note += fmt::format("; {} has changed since: the attachment runs the text it was attached with (attach again to use the edit)", a.policy);
    return attached_policy(pid, a.policy, *text, std::move(note));
}

// The whole pass, while `remote` (opened first) names the process.
ProcessReport inspect_alive(pid_t pid, const InspectRequest& request, const RemoteProcess& remote) {
    ProcessReport report;
    report.pid = pid;
    report.judge_shim = request.mode == InspectMode::verify;
    report.shim = shim_presence(pid);  // says "no such process" / "permission denied" plainly
    report.executable = executable_of(pid);
    report.runs_as = runs_as(pid, report.executable);
    std::optional<Result<ShimState>> shim;  // what the shim published, when one is loaded
    if (report.shim.loaded) shim = read_shim_state(pid, report.shim);
    const ShimState* state = shim && *shim ? &shim->value() : nullptr;
    if (state != nullptr) report.engine = state->engine;
    if (const Result<CgroupTarget> cgroup = cgroup_of_process(pid)) report.cgroup_attachment = attachment_covering(*cgroup);
    // Without a shim, an attachment's policy is the one this process's new sockets get.
    const bool attached_policy = !request.policy_path && !report.shim.loaded && report.cgroup_attachment && !report.cgroup_attachment->policy.empty();
    ProcessPolicy chosen =
        attached_policy ? policy_of_attachment(pid, *report.cgroup_attachment) : policy_of_process(pid, request.policy_path, shim ? &*shim : nullptr);
    report.policy = chosen.name;
    report.policy_origin = origin_name(chosen.origin);
    report.policy_process_view = chosen.process_view;
    report.policy_note = chosen.note;
    if (request.overrides != nullptr) apply_overrides(chosen.policy, *request.overrides);
    const PortRange ephemeral_range = read_namespace(pid, report);
    const CompiledPolicy compiled = CompiledPolicy::compile(chosen.policy, chosen.identity, report.kernel);
    report.policy_applies = compiled.applies_anything();

    const ProcessTcp tcp = request.tcp != nullptr ? *request.tcp : tcp_sockets_of(pid);
    report.shim_inactive = inactive_shim(pid, state, tcp);

    for (const TcpSocket& socket : tcp.sockets) {
        SocketReport s;
        s.socket = socket;
        bool guessed = false;
        infer_direction(s, tcp.namespace_listeners, ephemeral_range, guessed);
        if (state != nullptr) take_shim_record(*state, s);
        decide(compiled, s, guessed && s.direction_source != DirectionSource::shim);
        if (report.missing) {  // pidfd_getfd already refused: list what /proc shows
            report.sockets.push_back(std::move(s));
            continue;
        }
        const Result<UniqueFd> fd = remote.duplicate(socket.fd);
        const int error = fd ? 0 : fd.error().code;
        struct stat st {};
        if (error == EBADF || (fd && (::fstat(fd->get(), &st) != 0 || st.st_ino != socket.entry.inode)))
            continue;  // closed (or replaced) since /proc listed it: no longer this process's socket
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
                apply_policy(fd->get(), request.mode == InspectMode::dry_run, s);
            if (const Result<LiveTcpState> live = read_live_state(fd->get()); live && live->established)
                s.prediction = predict_live(effective_values(*s.actual), report.kernel, *live);
        } else {
            report.missing = fmt::format("option values of fd {}: getsockopt: {}", socket.fd, actual.error().message);
        }
        report.sockets.push_back(std::move(s));
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
